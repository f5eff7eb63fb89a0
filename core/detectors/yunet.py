"""YuNet (OpenCV Zoo, 2023mar): one prior per cell at strides 8, 16 and 32, BGR input 0..255."""

from __future__ import annotations

import numpy as np

from core.detectors.base import Detector, anchor_corners
from core.tensors import nchw_float32

STRIDES = (8, 16, 32)


class YunetDetector(Detector):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        names = [output.name for output in self.session.get_outputs()]
        self._order = [names.index(f"{kind}_{stride}") for kind in ("cls", "obj", "bbox", "kps")
                       for stride in STRIDES]

    def _input_tensor(self, canvas: np.ndarray) -> np.ndarray:
        return nchw_float32(canvas[np.newaxis, :, :, ::-1])

    def _decode(self, outputs, height, width, threshold):
        outputs = [outputs[i] for i in self._order]
        count = len(STRIDES)
        boxes, scores, landmarks = [], [], []
        for level, stride in enumerate(STRIDES):
            classes = np.clip(outputs[level].reshape(-1), 0, 1)
            objectness = np.clip(outputs[count + level].reshape(-1), 0, 1)
            level_scores = np.sqrt(classes * objectness)
            anchors = np.flatnonzero(level_scores > threshold)
            corners = anchor_corners(anchors, width, stride, 1)
            raw_boxes = outputs[2 * count + level].reshape(-1, 4)[anchors]
            raw_points = outputs[3 * count + level].reshape(-1, 5, 2)[anchors]
            centres = corners + raw_boxes[:, :2] * stride
            sizes = np.exp(raw_boxes[:, 2:]) * stride
            scores.append(level_scores[anchors])
            boxes.append(np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1))
            landmarks.append(corners[:, np.newaxis, :] + raw_points * stride)
        return np.concatenate(boxes), np.concatenate(scores), np.concatenate(landmarks)
