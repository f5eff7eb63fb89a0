"""The embedding server's options, read from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from common.config import PROJECT_ROOT, ServiceSettings



class CoreSettings(ServiceSettings):
    port: int = Field(default=50051, ge=1, le=65535, description="gRPC port")
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535,
        description="HTTP port of the Prometheus metrics (/metrics); unset = PORT + 1000, 0 = no metrics server",
    )
    model_pack: str = Field(
        default="default",
        description="Model pack: a name from core/packs/ (default, open, buffalo_l) or a path to a pack .toml file",
    )
    models_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "models",
        description="Folder the pack's model files are looked up in (and fetched into when absent)",
    )
    fetch_missing_models: bool = Field(
        default=True, description="Download model files the pack names but MODELS_DIR lacks, checking their sha256"
    )
    img_length_limit: int = Field(
        default=640, ge=64, le=4096,
        description="Images are scaled down so that their long side is at most this for detection",
    )
    decode_min_long_side: int = Field(
        default=1280, ge=0,
        description="Large JPEGs are decoded at 1/2, 1/4 or 1/8 scale while their long side stays at least this "
                    "(much faster; faces are cropped from that); 0 = always full size",
    )
    max_image_pixels: int = Field(
        default=50_000_000, ge=1, description="Images with more pixels than this are refused"
    )
    grpc_workers: int = Field(default=8, ge=1, le=256, description="Requests handled at once")
    max_message_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="Largest gRPC request accepted, in bytes"
    )
    onnx_threads: int = Field(
        default=0, ge=0,
        description="CPU threads each model may use: onnxruntime runs one request on all of them, OpenVINO shares "
                    "them out among its streams (OPENVINO_STREAMS); 0 = the CPUs this process may use divided by "
                    "PROCESSES_PER_HOST",
    )
    processes_per_host: int = Field(
        default=1, ge=1, description="How many core servers share this machine's CPUs (sets the automatic thread count)"
    )
    use_gpu: bool = Field(default=True, description="Use the CUDA execution provider when onnxruntime has it")
    inference_backend: Literal["auto", "onnxruntime", "openvino"] = Field(
        default="auto",
        description="auto (onnxruntime CUDA on GPUs, else OpenVINO where it is installed, else onnxruntime), "
                    "onnxruntime or openvino",
    )
    inference_precision: Literal["auto", "f32", "bf16"] = Field(
        default="auto",
        description="auto (with OpenVINO: the detector in bf16 on CPUs with AVX512-BF16 or AMX, the recognizer in "
                    "int8 on CPUs with VNNI or AMX, else bf16 where the CPU has it; the rest in f32), f32 (every "
                    "model) or bf16 (every model; OpenVINO only)",
    )
    model_precisions: dict[Literal["detector", "calculator", "plugins"], Literal["f32", "bf16", "int8"]] = Field(
        default_factory=dict,
        description='Precision per model role over INFERENCE_PRECISION, as JSON: {"calculator": "bf16"} '
                    '(int8: the recognizer only, where the pack ships its int8 calibration)',
    )
    compiled_model_cache_dir: Path | None = Field(
        default=PROJECT_ROOT / "var" / "compiled-models",
        description="Folder where OpenVINO keeps compiled models so that a restart does not compile again; "
                    "empty = no cache",
    )
    openvino_streams: int = Field(
        # Measured by bench/core_bench.py: these models are small, and one run split over two threads spends
        # much of its CPU time waiting (14.4 against 12.0 CPU ms per face for two single-threaded streams).
        default=0, ge=0, le=64,
        description="OpenVINO inference streams per model (runs that proceed at once), each with "
                    "ONNX_THREADS / streams threads; 0 = one single-threaded stream per ONNX_THREADS",
    )
    batching: bool = Field(
        # Measured by bench/core_bench.py: on CPUs, concurrent requests already keep every core busy
        # and one batch worker is slower (about 5 %); turn it on for GPUs.
        default=False, description="Compute embeddings of faces from concurrent requests together (for GPUs)"
    )
    max_batch_size: int = Field(default=16, ge=1, le=1024, description="Most faces in one embedding batch")
    max_batch_wait_ms: float = Field(
        default=5.0, ge=0, le=1000,
        description="Longest a face waits for others to join its batch (a lone request never waits)",
    )
    warmup_rounds: int = Field(
        default=2, ge=1, le=1000, description="Inference runs on a sample image before reporting SERVING"
    )
    enable_response_caching: bool = Field(default=False, description="Cache responses on local disk")
    cache_responses_size_limit_bytes: int = Field(
        default=1024 * 1024 * 1024, ge=0, description="Size of the local response cache; least recently used evicted (SQLite's write-ahead log, up to about 4 MB, comes on top)"
    )
    response_cache_dir: Path = Field(
        default=PROJECT_ROOT / "var" / "core-cache", description="Folder of the local response cache"
    )
    enable_second_layer_response_cache: bool = Field(
        default=False, description="Also use a response cache shared by several core servers"
    )
    second_layer_response_cache_dir: Path | None = Field(
        default=None, description="Folder of the shared response cache (required when it is enabled)"
    )
    second_layer_cache_size_limit_bytes: int = Field(
        default=10 * 1024 * 1024 * 1024, ge=0, description="Size of the shared response cache"
    )
    memory_in_megabytes: int = Field(
        default=512, ge=16,
        description="Bound on what the server keeps in memory: in-memory response cache and queued batch work",
    )
    liveness_threshold: float | None = Field(
        default=None, ge=0, le=1,
        description="P(real) from which the liveness plugin calls a face real (unset: the pack's value, 0.5); "
                    "calibrate it on the deployment's own cameras",
    )
    build_version: str = Field(default="dev", description="Version string reported by the status call")

    @field_validator("compiled_model_cache_dir", mode="before")
    @classmethod
    def _empty_is_no_cache(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def metrics_http_port(self) -> int:
        """The port the metrics are served on; 0 = none."""
        return self.port + 1000 if self.metrics_port is None else self.metrics_port

    @model_validator(mode="after")
    def _metrics_port_in_range(self) -> "CoreSettings":
        if self.metrics_http_port > 65535:
            raise ValueError(f"PORT + 1000 ({self.metrics_http_port}) is no port: set METRICS_PORT (0 = no metrics)")
        return self

    @model_validator(mode="after")
    def _second_layer_needs_a_folder(self) -> "CoreSettings":
        if self.enable_second_layer_response_cache and self.second_layer_response_cache_dir is None:
            raise ValueError("ENABLE_SECOND_LAYER_RESPONSE_CACHE needs SECOND_LAYER_RESPONSE_CACHE_DIR")
        return self
