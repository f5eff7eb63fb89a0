"""An OpenVINO compiled model behind the small part of onnxruntime's session interface that the
detectors, the recognizer and the plugins use: ``get_inputs()``, ``get_outputs()`` and ``run()``."""

from __future__ import annotations

import queue
from dataclasses import dataclass

import numpy as np
import openvino as ov


@dataclass(frozen=True)
class Port:
    """A model input or output, named as onnxruntime's ``NodeArg`` is."""

    name: str


class OpenVinoSession:
    """Runs a compiled model from many threads: each run borrows one of ``requests`` infer requests (an infer
    request is not thread-safe) and waits while all are busy. One request per inference stream is as much as the
    model can run at once; more would only hold more memory (each keeps buffers for the largest input it saw)."""

    def __init__(self, model: ov.Model, compiled: ov.CompiledModel, requests: int) -> None:
        """``model`` as read from the ONNX file names the ports as the file does (compiling may add names)."""
        self.compiled = compiled
        self._inputs = [Port(port.get_any_name()) for port in model.inputs]
        self._outputs = [Port(port.get_any_name()) for port in model.outputs]
        self._output_index = {port.name: index for index, port in enumerate(self._outputs)}
        self._idle: queue.SimpleQueue[ov.InferRequest] = queue.SimpleQueue()
        for _ in range(requests):
            self._idle.put(compiled.create_infer_request())

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
        request = self._idle.get()
        try:
            request.infer({self._input_index(name): value for name, value in feeds.items()})
            indices = [self._output_index[name] for name in output_names] if output_names else \
                range(len(self._outputs))
            # Copies: the request's output buffers are reused by its next run.
            return [np.array(request.get_output_tensor(index).data) for index in indices]
        finally:
            self._idle.put(request)
