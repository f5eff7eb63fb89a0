"""What face detectors share: scaling the image down, padding, thresholding, NMS, mapping back."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import cv2
import numpy as np

from core.faces import DetectedFace
from core.model_pack import DetectorSpec
from core.runtime import Session, SessionFactory


class Detector(ABC):
    """Finds faces in an RGB image; subclasses only prepare the input tensor and decode the outputs."""

    def __init__(self, spec: DetectorSpec, session: Session, max_side: int) -> None:
        self.spec = spec
        self.session = session
        self.max_side = max_side
        self.input_name = session.get_inputs()[0].name

    @classmethod
    def create(cls, spec: DetectorSpec, model_path: Path, sessions: SessionFactory, max_side: int) -> "Detector":
        """The detector with its model loaded by ``sessions``."""
        return cls(spec, sessions.create(model_path), max_side)

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
        boxes, scores, landmarks = self._decode(outputs, canvas_height, canvas_width, threshold)
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
    def _decode(self, outputs: list[np.ndarray], height: int, width: int, threshold: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Boxes [N, 4] (x_min, y_min, x_max, y_max), scores [N] and landmarks [N, 5, 2] in canvas pixels of the
        N anchors whose score is above ``threshold``."""


def _round_up(value: int, multiple: int) -> int:
    return max(multiple, (value + multiple - 1) // multiple * multiple)


def anchor_corners(anchors: np.ndarray, width: int, stride: int, per_cell: int) -> np.ndarray:
    """Top-left corners (x, y) [N, 2] of the stride cells of ``anchors`` (indices into the row-by-row list of
    cells, each holding ``per_cell`` anchors) on a canvas ``width`` pixels wide."""
    rows, cols = np.divmod(anchors // per_cell, width // stride)
    return np.stack([cols, rows], axis=1).astype(np.float32) * stride
