"""Inference sessions: the execution backend (onnxruntime or OpenVINO), its precision and thread
settings, the compiled-model cache, and batch-dynamic recognizers.

Every model of a server runs on the same configuration, chosen once at start (:func:`choose_configuration`):
the one the settings name, or with ``auto`` the fastest one that passes the accuracy gates on this CPU
(bench/core_bench.py and bench/quantized.py measure them): onnxruntime's CUDA provider on GPUs, else
OpenVINO, with the detector in bfloat16 where the CPU computes bfloat16 natively (AVX512-BF16, AMX), the
recognizer in int8 where it has int8 dot products (VNNI, AMX) and the pack ships its int8 calibration, else in
bfloat16 where it can, float32 elsewhere; onnxruntime on the CPU when OpenVINO is not installed.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import onnx
import onnxruntime as ort

from core.cpu_features import (BF16_FEATURES, INT8_FEATURES, cpu_flags, has_native_bf16, has_native_int8,
                               inference_features)

if TYPE_CHECKING:
    from core.model_pack import ModelPack
    from core.settings import CoreSettings

log = logging.getLogger(__name__)

Backend = Literal["auto", "onnxruntime", "openvino"]
Precision = Literal["auto", "f32", "bf16"]


class BackendUnavailable(RuntimeError):
    """The backend or precision the settings ask for cannot run here; the message says why and what to do."""


class Session(Protocol):
    """What detectors, the recognizer and plugins use of a session (onnxruntime's names)."""

    def get_inputs(self) -> list: ...
    def get_outputs(self) -> list: ...
    def run(self, output_names: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]: ...


ROLES = ("detector", "calculator", "plugins")
ModelPrecision = Literal["f32", "bf16", "int8"]


@dataclass(frozen=True)
class RuntimeOptions:
    threads: int
    use_gpu: bool
    backend: Backend = "auto"
    precision: Precision = "auto"
    cache_dir: Path | None = None
    streams: int = 0  # OpenVINO streams per model; 0 = one per thread, each run single-threaded
    # Role (detector, calculator, plugins) -> precision, over the automatic choice.
    model_precisions: dict[str, ModelPrecision] = field(default_factory=dict)
    # Whether the pack ships the recognizer's int8 calibration (core.int8), so that it can run in int8.
    int8_calibrated: bool = False

    @staticmethod
    def automatic_threads(processes_per_host: int) -> int:
        """CPUs this process may use, shared out among the core servers on the host."""
        return max(1, len(os.sched_getaffinity(0)) // processes_per_host)

    @property
    def openvino_streams(self) -> int:
        return self.streams or self.threads

    @property
    def openvino_threads_per_stream(self) -> int:
        """The threads OpenVINO gives each run: the thread budget shared out among the streams.

        One single-threaded run per CPU is the default: these models are small, so one run split over
        several threads spends much of its time waiting for them (bench/results/core.json, cpu_ms_per_face)."""
        return max(1, self.threads // self.openvino_streams)


@dataclass(frozen=True)
class Configuration:
    """The backend every model runs on and each role's precision, in words for the log and GetStatus."""

    backend: Literal["onnxruntime", "openvino"]
    precisions: dict[str, ModelPrecision]  # by role: detector, calculator, plugins
    device: Literal["CPU", "CUDA"]
    reason: str

    @property
    def precision(self) -> str:
        """``f32`` or ``bf16`` when every model runs at it, else each role's: ``detector=bf16 calculator=int8 plugins=f32``."""
        values = set(self.precisions.values())
        if len(values) == 1:
            return values.pop()
        return " ".join(f"{role}={self.precisions[role]}" for role in ROLES)


def runtime_options(settings: "CoreSettings", pack: "ModelPack") -> RuntimeOptions:
    """The runtime options the settings ask for for ``pack``, with the automatic thread count filled in."""
    threads = settings.onnx_threads or RuntimeOptions.automatic_threads(settings.processes_per_host)
    return RuntimeOptions(threads=threads, use_gpu=settings.use_gpu, backend=settings.inference_backend,
                          precision=settings.inference_precision, cache_dir=settings.compiled_model_cache_dir,
                          streams=settings.openvino_streams, model_precisions=dict(settings.model_precisions),
                          int8_calibrated=pack.recognizer.int8_calibration is not None)


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def cuda_available() -> bool:
    return "CUDAExecutionProvider" in ort.get_available_providers()


def choose_configuration(options: RuntimeOptions, flags: frozenset[str] | None = None,
                         openvino: bool | None = None, cuda: bool | None = None) -> Configuration:
    """The configuration for ``options`` on a CPU with ``flags`` (this one's by default); raises
    BackendUnavailable when the settings name one that cannot run here.

    ``auto`` puts the detector in bfloat16 where the CPU computes it natively (its last landmark convolutions
    stay in float32, see core.detectors.landmark_heads), the recognizer in int8 where the CPU has int8 dot
    products (VNNI, AMX) and the pack ships its calibration (core.int8), else in bfloat16 where the CPU has it,
    and keeps the plugins, whose thresholds were calibrated in float32, in float32. Every one of these passes the
    accuracy gates of bench/results/quantized.json.
    """
    flags = cpu_flags() if flags is None else flags
    openvino = openvino_installed() if openvino is None else openvino
    cuda = (options.use_gpu and cuda_available()) if cuda is None else cuda
    _check_named_precisions(options, flags)
    if options.backend == "openvino" and not openvino:
        raise BackendUnavailable("INFERENCE_BACKEND=openvino but the openvino package is not installed: "
                                 "install the core extra (pip install '.[core]') or set INFERENCE_BACKEND=auto")
    if options.backend == "openvino" or (options.backend == "auto" and not cuda and openvino):
        bf16 = "bf16" if has_native_bf16(flags) and options.precision != "f32" else "f32"
        int8 = has_native_int8(flags) and options.int8_calibrated and options.precision == "auto"
        precisions = {"detector": bf16, "calculator": "int8" if int8 else bf16,
                      "plugins": "bf16" if options.precision == "bf16" else "f32", **options.model_precisions}
        if options.backend == "openvino":
            how = "named by INFERENCE_BACKEND"
        elif set(precisions.values()) != {"f32"}:
            how = (f"chosen automatically: the CPU computes {' and '.join(sorted(set(precisions.values()) - {'f32'}))} "
                   "natively; OpenVINO at these precisions is the fastest configuration that passes the accuracy gates")
        else:
            how = "chosen automatically: in float32 OpenVINO is the faster CPU backend (bench/results/core.json)"
        return Configuration("openvino", precisions, "CPU", how)
    device = "CUDA" if cuda else "CPU"
    if options.backend == "onnxruntime":
        how = "named by INFERENCE_BACKEND"
    elif cuda:
        how = "chosen automatically: onnxruntime's CUDA provider is available"
    else:
        how = "chosen automatically: the openvino package is not installed"
    return Configuration("onnxruntime", {role: "f32" for role in ROLES}, device, how)


def _check_named_precisions(options: RuntimeOptions, flags: frozenset[str]) -> None:
    """Raises BackendUnavailable when INFERENCE_PRECISION or MODEL_PRECISIONS name what cannot run here."""
    unknown = set(options.model_precisions) - set(ROLES)
    if unknown:
        raise BackendUnavailable(f"MODEL_PRECISIONS names {', '.join(sorted(unknown))}: the roles are {', '.join(ROLES)}")
    named = {options.precision, *options.model_precisions.values()}
    reduced = sorted(named & {"bf16", "int8"})
    if reduced and options.backend == "onnxruntime":
        raise BackendUnavailable(f"{' and '.join(reduced)} (INFERENCE_PRECISION or MODEL_PRECISIONS) needs "
                                 "INFERENCE_BACKEND=openvino (or auto): onnxruntime computes in float32 here")
    features = ', '.join(inference_features(flags)) or 'none of the inference features'
    if "bf16" in named and not has_native_bf16(flags):
        raise BackendUnavailable(
            f"bf16 (INFERENCE_PRECISION or MODEL_PRECISIONS) needs a CPU that computes bfloat16 natively "
            f"({' or '.join(BF16_FEATURES)}); this one has {features}: use f32 or auto")
    int8_roles = [role for role, precision in options.model_precisions.items() if precision == "int8"]
    if not int8_roles:
        return
    if int8_roles != ["calculator"]:
        raise BackendUnavailable("int8 (MODEL_PRECISIONS) is for the recognizer only: {\"calculator\": \"int8\"}")
    if not has_native_int8(flags):
        raise BackendUnavailable(f"int8 (MODEL_PRECISIONS) needs a CPU with int8 dot products "
                                 f"({' or '.join(INT8_FEATURES)}); this one has {features}: use f32 or auto")
    if not options.int8_calibrated:
        raise BackendUnavailable("int8 (MODEL_PRECISIONS) needs the recognizer's int8 calibration, which this pack "
                                 "does not ship (recognizer.int8_calibration; bench/int8_calibration.py writes it)")


class SessionFactory:
    """Creates inference sessions with the same backend, precision and thread settings for every model."""

    def __init__(self, options: RuntimeOptions, configuration: Configuration | None = None) -> None:
        self.options = options
        self.configuration = configuration or choose_configuration(options)
        self.role = "plugins"  # whose precision create() uses; see for_role()
        self.providers = ["CPUExecutionProvider"]
        if self.configuration.device == "CUDA":
            self.providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        self._openvino = None
        if self.configuration.backend == "openvino":
            import openvino  # the core extra installs it; choose_configuration checked that it is there

            self._openvino = openvino.Core()
            if options.cache_dir is not None:
                self._use_cache(options.cache_dir)

    def _use_cache(self, folder: Path) -> None:
        """Compiled models go to ``folder``; a folder that cannot be written only costs compile time at start."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK):
                raise PermissionError(f"{folder} is not writable")
        except OSError as error:
            log.warning("No compiled-model cache (COMPILED_MODEL_CACHE_DIR): %s; models are compiled at every start",
                        error)
            return
        self._openvino.set_property({"CACHE_DIR": str(folder)})

    def for_role(self, role: str) -> "SessionFactory":
        """The same factory (same OpenVINO core and cache) creating sessions at ``role``'s precision."""
        view = copy.copy(self)
        view.role = role
        return view

    @property
    def precision(self) -> ModelPrecision:
        """The precision create() gives this factory's role's models."""
        return self.configuration.precisions[self.role]

    @property
    def execution_provider(self) -> str:
        return "OpenVINO CPU" if self._openvino else self.providers[0]

    def describe(self) -> str:
        """One line for the start-up log."""
        configuration = self.configuration
        if self._openvino:
            threads = (f"{self.options.openvino_streams} stream(s) per model, "
                       f"{self.options.openvino_threads_per_stream} thread(s) each")
        else:
            threads = f"{self.options.threads} thread(s) per model run"
        return (f"{configuration.backend} {configuration.precision} on {configuration.device}, "
                f"{threads} ({configuration.reason}); "
                f"CPU features: {', '.join(inference_features()) or 'none'}")

    def _session_options(self) -> ort.SessionOptions:
        session_options = ort.SessionOptions()
        session_options.intra_op_num_threads = self.options.threads
        session_options.inter_op_num_threads = 1
        session_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning threads burn CPU that concurrent requests and other core servers need.
        session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session_options.log_severity_level = 3
        return session_options

    def create(self, model: Path | bytes) -> Session:
        if self._openvino is not None:
            return self._compile(model)
        source = str(model) if isinstance(model, Path) else model
        return ort.InferenceSession(source, self._session_options(), providers=self.providers)

    def _float_precision(self) -> str:
        """OpenVINO's precision hint. An int8 graph carries its own precision in its QDQ nodes; what it leaves in
        float (the depthwise convolutions) runs in bfloat16 where the CPU computes it natively, unless
        INFERENCE_PRECISION=f32 asks for float32."""
        if self.precision != "int8":
            return self.precision
        return "bf16" if has_native_bf16() and self.options.precision != "f32" else "f32"

    def _compile(self, model: Path | bytes) -> Session:
        from core.openvino_session import OpenVinoSession

        graph = self._openvino.read_model(str(model)) if isinstance(model, Path) else \
            self._openvino.read_model(model=model, weights=b"")
        compiled = self._openvino.compile_model(graph, "CPU", {
            "INFERENCE_PRECISION_HINT": self._float_precision(),
            "INFERENCE_NUM_THREADS": self.options.threads,  # in all, shared out among the streams
            "NUM_STREAMS": self.options.openvino_streams,
            "PERFORMANCE_HINT": "LATENCY",
            # Other core servers and the api share the CPUs: threads pinned to cores would fight them.
            "ENABLE_CPU_PINNING": False,
        })
        session = OpenVinoSession(graph, compiled, requests=self.options.openvino_streams)
        log.info("OpenVINO %s (%s, %s): %s", "loaded from the compiled-model cache" if session.loaded_from_cache
                 else "compiled", self.role, self.precision,
                 model.name if isinstance(model, Path) else f"a {len(model)}-byte model")
        return session


def with_dynamic_batch(model_path: Path) -> bytes | None:
    """The model with its batch dimension made symbolic, or None when it already is or cannot be.

    Recognizers exported with a fixed batch of 1 keep that 1 in their input and output shapes and
    often in Reshape targets. Those are rewritten to a symbolic batch / 0 (copy the batch); whether the result
    really computes each row independently is checked by the caller on real data.
    """
    model = onnx.load(str(model_path))
    graph = model.graph
    first_dims = [value.type.tensor_type.shape.dim[0] for value in [*graph.input, *graph.output]]
    if all(dim.dim_param or not dim.HasField("dim_value") for dim in first_dims):
        return None
    if any(dim.dim_value != 1 for dim in first_dims if dim.HasField("dim_value")):
        return None
    for dim in first_dims:
        dim.Clear()
        dim.dim_param = "batch"
    reshape_shapes = {node.input[1] for node in graph.node if node.op_type == "Reshape"}
    shape_tensors = [tensor for tensor in graph.initializer if tensor.name in reshape_shapes]
    shape_tensors += [
        attribute.t
        for node in graph.node
        if node.op_type == "Constant" and node.output[0] in reshape_shapes
        for attribute in node.attribute
        if attribute.name == "value"
    ]
    for tensor in shape_tensors:
        shape = onnx.numpy_helper.to_array(tensor).copy()
        if shape.ndim == 1 and shape.size and shape[0] == 1:
            shape[0] = 0  # Reshape's 0 copies the input's dimension: the batch
            tensor.CopyFrom(onnx.numpy_helper.from_array(shape, tensor.name))
    del graph.value_info[:]
    log.info("%s was exported with a fixed batch of 1; made batch-dynamic", model_path.name)
    return model.SerializeToString()
