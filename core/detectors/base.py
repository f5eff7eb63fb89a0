"""What face detectors share: scaling the image down, padding, thresholding, NMS, mapping back."""

from __future__ import annotations

from abc import ABC, abstractmethod

import cv2
import numpy as np
import onnxruntime as ort

from core.faces import DetectedFace
from core.model_pack import DetectorSpec


class Detector(ABC):
    """Finds faces in an RGB image; subclasses only prepare the input tensor and decode the outputs."""

    def __init__(self, spec: DetectorSpec, session: ort.InferenceSession, max_side: int) -> None:
        self.spec = spec
        self.session = session
        self.max_side = max_side
        self.input_name = session.get_inputs()[0].name

    def detect(self, image: np.ndarray, threshold: float) -> list[DetectedFace]:
        """Faces whose probability is above ``threshold``, in the coordinates of ``image``."""
        height, width = image.shape[:2]
        scale = min(1.0, self._longest_side() / max(height, width))
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        canvas_height, canvas_width = self._canvas_size(*image.shape[:2])
        canvas = np.zeros((canvas_height, canvas_width, 3), dtype=np.uint8)
        canvas[: image.shape[0], : image.shape[1]] = image
        outputs = self.session.run(None, {self.input_name: self._input_tensor(canvas)})
        boxes, scores, landmarks = self._decode(outputs, canvas_height, canvas_width)
        keep = scores > threshold
        boxes, scores, landmarks = boxes[keep], scores[keep], landmarks[keep]
        if len(scores) == 0:
            return []
        corners = boxes.copy()
        corners[:, 2:] -= corners[:, :2]
        kept = cv2.dnn.NMSBoxes(corners.tolist(), scores.tolist(), threshold, self.spec.nms_threshold)
        kept = np.asarray(kept, dtype=np.int64).reshape(-1)
        limits = np.array([width, height, width, height], dtype=np.float32)
        return [
            DetectedFace(
                box=np.clip(boxes[i] / scale, 0, limits).astype(np.float32),
                score=float(scores[i]),
                landmarks=(landmarks[i] / scale).astype(np.float32),
            )
            for i in kept
        ]

    def _longest_side(self) -> int:
        fixed = self.spec.fixed_input_size
        return min(self.max_side, fixed) if fixed else self.max_side

    def _canvas_size(self, height: int, width: int) -> tuple[int, int]:
        """The input tensor's spatial size for an image of this size (padded on the right and bottom)."""
        fixed = self.spec.fixed_input_size
        if fixed:
            return fixed, fixed
        return _round_up(height, 32), _round_up(width, 32)

    @abstractmethod
    def _input_tensor(self, canvas: np.ndarray) -> np.ndarray:
        """NCHW float32 input for an RGB uint8 canvas."""

    @abstractmethod
    def _decode(self, outputs: list[np.ndarray], height: int, width: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes [N, 4] (x_min, y_min, x_max, y_max), scores [N] and landmarks [N, 5, 2] in canvas pixels."""


def _round_up(value: int, multiple: int) -> int:
    return max(multiple, (value + multiple - 1) // multiple * multiple)


def grid_centres(height: int, width: int, stride: int, per_cell: int) -> np.ndarray:
    """Top-left corners (x, y) of every stride cell, row by row, each repeated ``per_cell`` times."""
    rows, cols = height // stride, width // stride
    ys, xs = np.mgrid[:rows, :cols]
    centres = np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float32) * stride
    return np.repeat(centres, per_cell, axis=0)
