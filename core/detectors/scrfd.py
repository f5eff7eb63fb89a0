"""SCRFD (InsightFace): anchor-free distances from 2 anchors per cell at strides 8, 16 and 32."""

from __future__ import annotations

import numpy as np

from core.detectors.base import Detector, grid_centres

STRIDES = (8, 16, 32)
ANCHORS_PER_CELL = 2


class ScrfdDetector(Detector):
    def _input_tensor(self, canvas: np.ndarray) -> np.ndarray:
        blob = (canvas.astype(np.float32) - 127.5) / 128.0
        return blob.transpose(2, 0, 1)[np.newaxis]

    def _decode(self, outputs, height, width):
        count = len(STRIDES)
        boxes, scores, landmarks = [], [], []
        for level, stride in enumerate(STRIDES):
            centres = grid_centres(height, width, stride, ANCHORS_PER_CELL)
            distances = outputs[count + level].reshape(-1, 4) * stride
            points = outputs[2 * count + level].reshape(-1, 5, 2) * stride
            scores.append(outputs[level].reshape(-1))
            boxes.append(np.concatenate([centres - distances[:, :2], centres + distances[:, 2:]], axis=1))
            landmarks.append(points + centres[:, np.newaxis, :])
        return np.concatenate(boxes), np.concatenate(scores), np.concatenate(landmarks)
