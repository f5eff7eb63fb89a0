"""An OpenVINO compiled model behind the small part of onnxruntime's session interface that the
detectors, the recognizer and the plugins use: ``get_inputs()``, ``get_outputs()`` and ``run()``."""

from __future__ import annotations

import queue
from dataclasses import dataclass

import ml_dtypes
import numpy as np
import openvino as ov


@dataclass(frozen=True)
class Port:
    """A model input or output, named as onnxruntime's ``NodeArg`` is."""

    name: str


class OpenVinoSession:
    """Runs a compiled model from many threads: each run borrows one of ``requests`` infer requests (an infer
    request is not thread-safe) and waits while all are busy. One request per inference stream is as much as the
    model can run at once; more would only hold more memory (each keeps buffers for the largest input it saw).

    Each stream computes on one thread or a few, so a batch run on one request leaves the other streams' cores
    idle while no other call needs them (a group photo, a quiet server). Where the owner sets
    ``rows_independent`` (the graph computes each row of the first axis on its own), a batch is split among the
    requests idle at that moment and its parts run at once; under full load none is idle and the batch stays
    whole."""

    def __init__(self, model: ov.Model, compiled: ov.CompiledModel, requests: int) -> None:
        """``model`` as read from the ONNX file names the ports as the file does (compiling may add names)."""
        self.compiled = compiled
        self._inputs = [Port(port.get_any_name()) for port in model.inputs]
        self._outputs = [Port(port.get_any_name()) for port in model.outputs]
        self._output_index = {port.name: index for index, port in enumerate(self._outputs)}
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(requests):
            self._idle.put(compiled.create_infer_request())
        self.rows_independent = False

    @property
    def loaded_from_cache(self) -> bool:
        return bool(self.compiled.get_property("LOADED_FROM_CACHE"))

    @property
    def precision(self) -> str:
        return str(self.compiled.get_property("INFERENCE_PRECISION_HINT"))

    def get_inputs(self) -> list[Port]:
        return self._inputs

    def get_outputs(self) -> list[Port]:
        return self._outputs

    def _input_index(self, name: str) -> int:
        return next(index for index, port in enumerate(self._inputs) if port.name == name)

    def run(self, output_names: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The outputs (all, in model order, or those named) for the named inputs, as onnxruntime returns them."""
        inputs = {self._input_index(name): value for name, value in feeds.items()}
        requests = self._borrow(len(next(iter(inputs.values()))) if self.rows_independent else 1)
        try:
            parts = [dict(zip(inputs, values)) for values in
                     zip(*(np.array_split(value, len(requests)) for value in inputs.values()))]
            _infer_at_once(requests, parts)
            indices = [self._output_index[name] for name in output_names] if output_names else \
                range(len(self._outputs))
            # Copies (concatenate copies even one part): the requests' output buffers are reused by their next run.
            return [np.concatenate([_values(request.get_output_tensor(index)) for request in requests])
                    for index in indices]
        finally:
            for request in requests:
                self._idle.put(request)

    def _borrow(self, most: int) -> list[ov.InferRequest]:
        """One infer request (waiting for it while all are busy), and more up to ``most`` of those idle now."""
        requests = [self._idle.get()]
        while len(requests) < most:
            try:
                requests.append(self._idle.get_nowait())
            except queue.Empty:
                break
        return requests


def _values(tensor: ov.Tensor) -> np.ndarray:
    """The tensor's values as NumPy sees them: OpenVINO hands bfloat16 values over typed as float16."""
    if tensor.element_type == ov.Type.bf16:
        return tensor.data.view(ml_dtypes.bfloat16)
    return tensor.data


def _infer_at_once(requests: list[ov.InferRequest], parts: list[dict[int, np.ndarray]]) -> None:
    """Runs each request on its part at the same time; returns when all are done (raising the first failure)."""
    started: list[ov.InferRequest] = []
    failure: Exception | None = None
    try:
        for request, part in zip(requests, parts):
            request.start_async(part, share_inputs=True)  # no copy: the parts outlive the run
            started.append(request)
    finally:
        for request in started:
            try:
                request.wait()
            except RuntimeError as error:
                failure = failure or error
    if failure is not None:
        raise failure
