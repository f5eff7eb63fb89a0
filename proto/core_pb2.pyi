from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProcessImageRequest(_message.Message):
    __slots__ = ("image", "det_prob_threshold", "limit", "face_plugins", "whole_image_is_face", "with_timings")
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    DET_PROB_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FACE_PLUGINS_FIELD_NUMBER: _ClassVar[int]
    WHOLE_IMAGE_IS_FACE_FIELD_NUMBER: _ClassVar[int]
    WITH_TIMINGS_FIELD_NUMBER: _ClassVar[int]
    image: bytes
    det_prob_threshold: float
    limit: int
    face_plugins: _containers.RepeatedScalarFieldContainer[str]
    whole_image_is_face: bool
    with_timings: bool
    def __init__(self, image: _Optional[bytes] = ..., det_prob_threshold: _Optional[float] = ..., limit: _Optional[int] = ..., face_plugins: _Optional[_Iterable[str]] = ..., whole_image_is_face: _Optional[bool] = ..., with_timings: _Optional[bool] = ...) -> None: ...

class Point(_message.Message):
    __slots__ = ("x", "y")
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    x: float
    y: float
    def __init__(self, x: _Optional[float] = ..., y: _Optional[float] = ...) -> None: ...

class Box(_message.Message):
    __slots__ = ("x_min", "y_min", "x_max", "y_max", "probability")
    X_MIN_FIELD_NUMBER: _ClassVar[int]
    Y_MIN_FIELD_NUMBER: _ClassVar[int]
    X_MAX_FIELD_NUMBER: _ClassVar[int]
    Y_MAX_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    x_min: int
    y_min: int
    x_max: int
    y_max: int
    probability: float
    def __init__(self, x_min: _Optional[int] = ..., y_min: _Optional[int] = ..., x_max: _Optional[int] = ..., y_max: _Optional[int] = ..., probability: _Optional[float] = ...) -> None: ...

class Age(_message.Message):
    __slots__ = ("low", "high", "probability")
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    low: int
    high: int
    probability: float
    def __init__(self, low: _Optional[int] = ..., high: _Optional[int] = ..., probability: _Optional[float] = ...) -> None: ...

class Gender(_message.Message):
    __slots__ = ("value", "probability")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    value: str
    probability: float
    def __init__(self, value: _Optional[str] = ..., probability: _Optional[float] = ...) -> None: ...

class Mask(_message.Message):
    __slots__ = ("value", "probability")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    value: str
    probability: float
    def __init__(self, value: _Optional[str] = ..., probability: _Optional[float] = ...) -> None: ...

class Pose(_message.Message):
    __slots__ = ("pitch", "yaw", "roll")
    PITCH_FIELD_NUMBER: _ClassVar[int]
    YAW_FIELD_NUMBER: _ClassVar[int]
    ROLL_FIELD_NUMBER: _ClassVar[int]
    pitch: float
    yaw: float
    roll: float
    def __init__(self, pitch: _Optional[float] = ..., yaw: _Optional[float] = ..., roll: _Optional[float] = ...) -> None: ...

class Face(_message.Message):
    __slots__ = ("box", "landmarks", "embedding", "landmarks2d106", "age", "gender", "pose", "mask", "timings_ms")
    class TimingsMsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    BOX_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS2D106_FIELD_NUMBER: _ClassVar[int]
    AGE_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    POSE_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_MS_FIELD_NUMBER: _ClassVar[int]
    box: Box
    landmarks: _containers.RepeatedCompositeFieldContainer[Point]
    embedding: _containers.RepeatedScalarFieldContainer[float]
    landmarks2d106: _containers.RepeatedCompositeFieldContainer[Point]
    age: Age
    gender: Gender
    pose: Pose
    mask: Mask
    timings_ms: _containers.ScalarMap[str, float]
    def __init__(self, box: _Optional[_Union[Box, _Mapping]] = ..., landmarks: _Optional[_Iterable[_Union[Point, _Mapping]]] = ..., embedding: _Optional[_Iterable[float]] = ..., landmarks2d106: _Optional[_Iterable[_Union[Point, _Mapping]]] = ..., age: _Optional[_Union[Age, _Mapping]] = ..., gender: _Optional[_Union[Gender, _Mapping]] = ..., pose: _Optional[_Union[Pose, _Mapping]] = ..., mask: _Optional[_Union[Mask, _Mapping]] = ..., timings_ms: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ProcessImageResponse(_message.Message):
    __slots__ = ("faces", "image_width", "image_height", "plugins_versions", "timings_ms", "cache", "embedding_batch_size")
    class PluginsVersionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class TimingsMsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    FACES_FIELD_NUMBER: _ClassVar[int]
    IMAGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    IMAGE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PLUGINS_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_MS_FIELD_NUMBER: _ClassVar[int]
    CACHE_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    faces: _containers.RepeatedCompositeFieldContainer[Face]
    image_width: int
    image_height: int
    plugins_versions: _containers.ScalarMap[str, str]
    timings_ms: _containers.ScalarMap[str, float]
    cache: str
    embedding_batch_size: int
    def __init__(self, faces: _Optional[_Iterable[_Union[Face, _Mapping]]] = ..., image_width: _Optional[int] = ..., image_height: _Optional[int] = ..., plugins_versions: _Optional[_Mapping[str, str]] = ..., timings_ms: _Optional[_Mapping[str, float]] = ..., cache: _Optional[str] = ..., embedding_batch_size: _Optional[int] = ...) -> None: ...

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ModelInfo(_message.Message):
    __slots__ = ("role", "name", "version", "sha256", "license")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    role: str
    name: str
    version: str
    sha256: str
    license: str
    def __init__(self, role: _Optional[str] = ..., name: _Optional[str] = ..., version: _Optional[str] = ..., sha256: _Optional[str] = ..., license: _Optional[str] = ...) -> None: ...

class StatusResponse(_message.Message):
    __slots__ = ("pack", "pack_license", "models", "embedding_size", "available_plugins", "unavailable_plugins", "similarity_c0", "similarity_c1", "calculator_version", "default_det_prob_threshold", "build_version", "execution_provider", "inference_backend", "inference_precision", "inference_choice", "cpu_features")
    class UnavailablePluginsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PACK_FIELD_NUMBER: _ClassVar[int]
    PACK_LICENSE_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_SIZE_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_PLUGINS_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_PLUGINS_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_C0_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_C1_FIELD_NUMBER: _ClassVar[int]
    CALCULATOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_DET_PROB_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    BUILD_VERSION_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_BACKEND_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_PRECISION_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_CHOICE_FIELD_NUMBER: _ClassVar[int]
    CPU_FEATURES_FIELD_NUMBER: _ClassVar[int]
    pack: str
    pack_license: str
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    embedding_size: int
    available_plugins: _containers.RepeatedScalarFieldContainer[str]
    unavailable_plugins: _containers.ScalarMap[str, str]
    similarity_c0: float
    similarity_c1: float
    calculator_version: str
    default_det_prob_threshold: float
    build_version: str
    execution_provider: str
    inference_backend: str
    inference_precision: str
    inference_choice: str
    cpu_features: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, pack: _Optional[str] = ..., pack_license: _Optional[str] = ..., models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ..., embedding_size: _Optional[int] = ..., available_plugins: _Optional[_Iterable[str]] = ..., unavailable_plugins: _Optional[_Mapping[str, str]] = ..., similarity_c0: _Optional[float] = ..., similarity_c1: _Optional[float] = ..., calculator_version: _Optional[str] = ..., default_det_prob_threshold: _Optional[float] = ..., build_version: _Optional[str] = ..., execution_provider: _Optional[str] = ..., inference_backend: _Optional[str] = ..., inference_precision: _Optional[str] = ..., inference_choice: _Optional[str] = ..., cpu_features: _Optional[_Iterable[str]] = ...) -> None: ...
