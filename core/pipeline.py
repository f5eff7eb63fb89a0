"""One image in, its faces out: decode, detect, align, embed, plugins. Plain data in and out;
core.service speaks protobuf and keeps the response cache."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from core.alignment import ARCFACE_TEMPLATE_112, arcface_crop
from core.batching import EmbeddingBatcher
from core.cache import ResponseCache
from core.detectors import build_detector
from core.faces import DetectedFace
from core.images import ImageError, decode_image
from core.model_pack import ModelPack
from core.plugins import build_plugins
from core.recognizer import Recognizer
from core.results import FaceResult, ImageResult, Landmarks106
from core.runtime import SessionFactory
from core.settings import CoreSettings

log = logging.getLogger(__name__)

CALCULATOR = "calculator"
LANDMARKS = "landmarks"
# CompreFace skips these when the whole image is taken as the face; liveness needs the
# surroundings of a detected face.
NEEDS_DETECTION = {"pose", "mask", "liveness"}


class InvalidInput(ValueError):
    """A request the server cannot process as given; the message is for the client."""


@dataclass(frozen=True)
class ImageRequest:
    image: bytes
    det_prob_threshold: float | None = None  # None: the pack's default
    limit: int = 0  # 0: no limit
    face_plugins: Sequence[str] = ()
    whole_image_is_face: bool = False
    with_timings: bool = False


@dataclass(frozen=True)
class ResolvedRequest:
    """A request checked, with its detection threshold and the plugins that will run, in order."""

    request: ImageRequest
    threshold: float
    plugins: list[str] = field(default_factory=list)


class FacePipeline:
    def __init__(self, settings: CoreSettings, pack: ModelPack, model_paths: dict[str, Path | str],
                 sessions: SessionFactory) -> None:
        self.settings = settings
        self.pack = pack
        self.sessions = sessions
        if settings.liveness_threshold is not None and "liveness" in pack.plugins:
            pack = _with_plugin_param(pack, "liveness", "real_threshold", settings.liveness_threshold)
            self.pack = pack
        self.detector = build_detector(pack.detector, _required(model_paths, "detector"),
                                       sessions.for_role("detector"), settings.img_length_limit)
        self.recognizer = Recognizer(pack.recognizer, _required(model_paths, CALCULATOR), sessions.for_role(CALCULATOR))
        self.plugins, self.unavailable_plugins = build_plugins(pack, model_paths, sessions.for_role("plugins"))
        memory = settings.memory_in_megabytes * 1024 * 1024
        self.batcher = None
        if settings.batching and self.recognizer.batchable:
            self.batcher = EmbeddingBatcher(self.recognizer.embed, settings.max_batch_size,
                                            settings.max_batch_wait_ms / 1000, memory // 2)
        self.cache = _build_cache(settings, memory // 2)
        self.model_versions = ";".join(
            [f"pack={pack.name}", f"max_side={settings.img_length_limit}"]
            + [f"{role}={model.version}:{model.sha256}" for role, model in pack.model_files().items()]
        )
        self.plugins_versions = {"detector": pack.detector.name, CALCULATOR: pack.recognizer.name}
        self.plugins_versions.update({slug: plugin.version for slug, plugin in self.plugins.items()})

    def close(self) -> None:
        if self.batcher:
            self.batcher.stop()
        if self.cache:
            self.cache.close()

    def process(self, request: ImageRequest) -> ImageResult:
        return self.compute(self.resolve(request))

    def resolve(self, request: ImageRequest) -> ResolvedRequest:
        """The request checked (InvalidInput if not valid), its threshold and plugins settled."""
        threshold = self.pack.detector.default_threshold
        if request.det_prob_threshold is not None:
            threshold = request.det_prob_threshold
            if not 0.0 <= threshold <= 1.0:
                raise InvalidInput("Detection threshold incorrect (0 <= det_prob_threshold <= 1)")
        if request.limit < 0:
            raise InvalidInput("Limit value is invalid (limit >= 0)")
        return ResolvedRequest(request, threshold, self._requested_plugins(request))

    def _requested_plugins(self, request: ImageRequest) -> list[str]:
        """Known, available plugin slugs in a stable order; others are ignored as CompreFace does."""
        wanted = {slug.strip().lower() for slug in request.face_plugins}
        known = [CALCULATOR, LANDMARKS, *sorted(self.plugins)]
        chosen = [slug for slug in known if slug in wanted]
        if request.whole_image_is_face:
            chosen = [slug for slug in chosen if slug not in NEEDS_DETECTION]
        return chosen

    def compute(self, resolved: ResolvedRequest) -> ImageResult:
        request, plugins = resolved.request, resolved.plugins
        timings: dict[str, float] = {}
        started = time.perf_counter()
        with _timed(timings, "decode"):
            try:
                decoded = decode_image(request.image, self.settings.max_image_pixels,
                                       self.settings.decode_min_long_side)
            except ImageError as error:
                raise InvalidInput(str(error)) from None
        image = decoded.pixels
        embed = CALCULATOR in plugins
        batching = self.batcher.request() if (embed and self.batcher) else nullcontext()
        with batching:
            with _timed(timings, "detector"):
                faces = self._find_faces(image, resolved.threshold, request.whole_image_is_face, request.limit)
            results = [_in_original(face, decoded.scale) for face in faces]
            batch_size = 0
            if embed and faces:
                batch_size = self._add_embeddings(image, faces, results, request.whole_image_is_face, timings)
        for slug in plugins:
            if slug in self.plugins and faces:
                with _timed(timings, slug):
                    answers = self.plugins[slug].annotate(image, faces)
                for result, answer in zip(results, answers):
                    result.plugins[slug] = _plugin_in_original(answer, decoded.scale)
        answer = ImageResult(
            faces=results, image_width=decoded.width, image_height=decoded.height,
            plugins_versions={slug: self.plugins_versions[slug]
                              for slug in ["detector", *plugins] if slug in self.plugins_versions},
            embedding_batch_size=batch_size,
        )
        if request.with_timings:
            timings["total"] = (time.perf_counter() - started) * 1000
            answer.timings_ms = timings
            _share_timings(answer, timings, ["detector", *plugins])
        return answer

    def _find_faces(self, image: np.ndarray, threshold: float, whole_image: bool, limit: int
                    ) -> list[DetectedFace]:
        if whole_image:
            height, width = image.shape[:2]
            scale = np.array([width / 112.0, height / 112.0], dtype=np.float32)
            return [DetectedFace(box=np.array([0, 0, width, height], dtype=np.float32), score=1.0,
                                 landmarks=ARCFACE_TEMPLATE_112 * scale)]
        faces = sorted(self.detector.detect(image, threshold), key=lambda face: face.area, reverse=True)
        return faces[:limit] if limit else faces

    def _add_embeddings(self, image: np.ndarray, faces: Sequence[DetectedFace], results: list[FaceResult],
                        whole_image: bool, timings: dict[str, float]) -> int:
        size = self.pack.recognizer.crop_size
        with _timed(timings, "align"):
            if whole_image:
                crops = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)[np.newaxis]
            else:
                crops = np.stack([arcface_crop(image, face.landmarks, size) for face in faces])
        with _timed(timings, CALCULATOR):
            if self.batcher:
                embeddings, batch_size = self.batcher.embed(crops)
            else:
                embeddings, batch_size = self.recognizer.embed(crops), len(crops)
        for result, embedding in zip(results, embeddings):
            result.embedding = embedding
        return batch_size

    def warm_up(self, rounds: int) -> None:
        """Runs every model once per round so that the first real request is not slow."""
        rng = np.random.default_rng(0)
        image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
        face = DetectedFace(box=np.array([200, 100, 400, 340], dtype=np.float32), score=1.0,
                            landmarks=ARCFACE_TEMPLATE_112 * 2 + np.array([188, 105], dtype=np.float32))
        size = self.pack.recognizer.crop_size
        for _ in range(rounds):
            self.detector.detect(image, 0.5)
            self.recognizer.embed(rng.integers(0, 256, (1, size, size, 3), dtype=np.uint8))
            for plugin in self.plugins.values():
                plugin.annotate(image, [face])


def _required(model_paths: dict[str, Path | str], role: str) -> Path:
    path = model_paths[role]
    if isinstance(path, str):
        raise FileNotFoundError(f"The {role} model is unavailable: {path}")
    return path


def _build_cache(settings: CoreSettings, memory_bytes: int) -> ResponseCache | None:
    shared = settings.second_layer_response_cache_dir if settings.enable_second_layer_response_cache else None
    if not settings.enable_response_caching and shared is None:
        return None
    return ResponseCache(
        memory_bytes=memory_bytes if settings.enable_response_caching else 0,
        local_dir=settings.response_cache_dir if settings.enable_response_caching else None,
        local_limit_bytes=settings.cache_responses_size_limit_bytes,
        shared_dir=shared,
        shared_limit_bytes=settings.second_layer_cache_size_limit_bytes,
    )


def _with_plugin_param(pack: ModelPack, slug: str, name: str, value: object) -> ModelPack:
    spec = pack.plugins[slug]
    plugin = spec.model_copy(update={"params": {**spec.params, name: value}})
    return pack.model_copy(update={"plugins": {**pack.plugins, slug: plugin}})


def _in_original(face: DetectedFace, scale: float) -> FaceResult:
    """The face's box and landmarks in original-image pixels (``scale`` original pixels per decoded pixel)."""
    x_min, y_min, x_max, y_max = (round(float(value) * scale) for value in face.box)
    return FaceResult(box=(x_min, y_min, x_max, y_max), probability=face.score,
                      landmarks=(face.landmarks * scale).astype(np.float32))


def _plugin_in_original(answer: object, scale: float) -> object:
    """Plugin answers holding decoded-image points, moved to original-image pixels."""
    if isinstance(answer, Landmarks106):
        return replace(answer, points=(answer.points * scale).astype(np.float32))
    return answer


def _share_timings(answer: ImageResult, timings: dict[str, float], steps: list[str]) -> None:
    """Each face's share of the per-image step times, as CompreFace reports ``execution_time``."""
    count = max(1, len(answer.faces))
    for face in answer.faces:
        face.timings_ms = {step: timings[step] / count for step in steps if step in timings}


@contextmanager
def _timed(timings: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + (time.perf_counter() - started) * 1000
