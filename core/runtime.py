"""onnxruntime sessions: execution provider, thread counts, and batch-dynamic recognizers."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import onnx
import onnxruntime as ort

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuntimeOptions:
    threads: int
    use_gpu: bool

    @staticmethod
    def automatic_threads(processes_per_host: int) -> int:
        """CPUs this process may use, shared out among the core servers on the host."""
        return max(1, len(os.sched_getaffinity(0)) // processes_per_host)


class SessionFactory:
    """Creates inference sessions with the same provider and thread settings for every model."""

    def __init__(self, options: RuntimeOptions) -> None:
        self.options = options
        available = ort.get_available_providers()
        self.providers = ["CPUExecutionProvider"]
        if options.use_gpu and "CUDAExecutionProvider" in available:
            self.providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]

    @property
    def execution_provider(self) -> str:
        return self.providers[0]

    def _session_options(self) -> ort.SessionOptions:
        session_options = ort.SessionOptions()
        session_options.intra_op_num_threads = self.options.threads
        session_options.inter_op_num_threads = 1
        session_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Spinning threads burn CPU that concurrent requests and other core servers need.
        session_options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session_options.log_severity_level = 3
        return session_options

    def create(self, model: Path | bytes) -> ort.InferenceSession:
        source = str(model) if isinstance(model, Path) else model
        return ort.InferenceSession(source, self._session_options(), providers=self.providers)


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
    return model.SerializeToString()
