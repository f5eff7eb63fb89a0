"""Face embeddings from aligned crops, L2-normalised."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx

from core.graph_rewrites import depthwise_grouped_convolutions
from core.int8 import int8_model
from core.model_pack import RecognizerSpec
from core.runtime import SessionFactory, with_dynamic_batch
from core.tensors import nchw_float32

log = logging.getLogger(__name__)


def runnable_graph(model_path: Path, openvino: bool) -> Path | bytes:
    """The recognizer's graph as it runs: the file, or its batch-dynamic version (``with_dynamic_batch``), and on
    OpenVINO with narrow grouped convolutions written as depthwise ones (core.graph_rewrites)."""
    dynamic_model = with_dynamic_batch(model_path)
    if not openvino:
        return dynamic_model if dynamic_model is not None else model_path
    model = onnx.load_from_string(dynamic_model) if dynamic_model is not None else onnx.load(str(model_path))
    return depthwise_grouped_convolutions(model).SerializeToString()


class Recognizer:
    def __init__(self, spec: RecognizerSpec, model_path: Path, sessions: SessionFactory) -> None:
        self.spec = spec
        model = runnable_graph(model_path, sessions.configuration.backend == "openvino")
        if sessions.precision == "int8":
            model = int8_model(model, spec.int8_calibration)
        self.session = sessions.create(model)
        self.input_name = self.session.get_inputs()[0].name
        self._mean = np.array(spec.mean, dtype=np.float32)
        self._scale = 1.0 / np.array(spec.std, dtype=np.float32)
        self.batchable = self._computes_rows_independently()
        if self.batchable and hasattr(self.session, "rows_independent"):
            # OpenVINO then splits a request's faces among the inference streams idle at the time.
            self.session.rows_independent = True

    def embed(self, crops: np.ndarray) -> np.ndarray:
        """Embeddings [N, D] of aligned RGB uint8 crops [N, S, S, 3]."""
        if self.batchable or len(crops) <= 1:
            raw = self._run(crops)
        else:
            raw = np.concatenate([self._run(crops[i:i + 1]) for i in range(len(crops))])
        return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)

    def input_tensor(self, crops: np.ndarray) -> np.ndarray:
        """The model's input for aligned RGB uint8 crops [N, S, S, 3]."""
        pixels = crops[..., ::-1] if self.spec.colour == "BGR" else crops
        if self.spec.layout == "NCHW":
            return nchw_float32(pixels, self._mean, self._scale)
        return np.ascontiguousarray((pixels.astype(np.float32) - self._mean) * self._scale)

    def _run(self, crops: np.ndarray) -> np.ndarray:
        return self.session.run(None, {self.input_name: self.input_tensor(crops)})[0].reshape(len(crops), -1)

    def _computes_rows_independently(self) -> bool:
        """Whether a batch gives the same rows as one-by-one runs (a graph may mix rows or reject N > 1)."""
        size = self.spec.crop_size
        crops = np.random.default_rng(0).integers(0, 256, (2, size, size, 3), dtype=np.uint8)
        try:
            together = self._run(crops)
        except Exception as error:  # onnxruntime raises its own exception types for shape errors
            log.info("%s rejects batches (%s); embeddings are computed one at a time", self.spec.name, error)
            return False
        alone = np.concatenate([self._run(crops[:1]), self._run(crops[1:])])
        independent = bool(np.allclose(together, alone, rtol=1e-3, atol=1e-4))
        if not independent:
            log.info("%s mixes the rows of a batch; embeddings are computed one at a time", self.spec.name)
        return independent
