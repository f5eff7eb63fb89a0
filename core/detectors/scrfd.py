"""SCRFD (InsightFace): anchor-free distances from 2 anchors per cell at strides 8, 16 and 32."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.detectors.base import Detector, anchor_corners
from core.detectors.landmark_heads import LandmarkConv, split_landmark_heads
from core.model_pack import DetectorSpec
from core.runtime import Session, SessionFactory
from core.tensors import nchw_float32

log = logging.getLogger(__name__)

STRIDES = (8, 16, 32)
ANCHORS_PER_CELL = 2
POINTS = 5
# The graph's outputs: scores, then box distances, then landmarks, each by stride.
LANDMARK_OUTPUTS = range(2 * len(STRIDES), 3 * len(STRIDES))


class ScrfdDetector(Detector):
    def __init__(self, spec: DetectorSpec, session: Session, max_side: int,
                 landmark_convs: Sequence[LandmarkConv] = ()) -> None:
        """With ``landmark_convs`` the session's landmark outputs are the feature maps those convolutions read."""
        super().__init__(spec, session, max_side)
        self.landmark_convs = list(landmark_convs)

    @classmethod
    def create(cls, spec: DetectorSpec, model_path: Path, sessions: SessionFactory, max_side: int) -> Detector:
        """In bfloat16 the landmarks' last convolutions are computed in float32 (core.detectors.landmark_heads)."""
        if sessions.precision != "bf16":
            return super().create(spec, model_path, sessions, max_side)
        split = split_landmark_heads(model_path, LANDMARK_OUTPUTS)
        if split is None:
            log.warning("%s: landmark outputs not found as expected; its landmarks are computed in bf16 as well",
                        spec.name)
            return super().create(spec, model_path, sessions, max_side)
        body, convs = split
        return cls(spec, sessions.create(body), max_side, convs)

    def _input_tensor(self, canvas: np.ndarray) -> np.ndarray:
        return nchw_float32(canvas[np.newaxis], mean=127.5, scale=1 / 128)

    def _decode(self, outputs, height, width, threshold):
        count = len(STRIDES)
        boxes, scores, landmarks = [], [], []
        for level, stride in enumerate(STRIDES):
            level_scores = outputs[level].reshape(-1)
            anchors = np.flatnonzero(level_scores > threshold)
            corners = anchor_corners(anchors, width, stride, ANCHORS_PER_CELL)
            distances = outputs[count + level].reshape(-1, 4)[anchors] * stride
            points = self._landmark_rows(outputs[2 * count + level], level, anchors).reshape(-1, POINTS, 2) * stride
            scores.append(level_scores[anchors])
            boxes.append(np.concatenate([corners - distances[:, :2], corners + distances[:, 2:]], axis=1))
            landmarks.append(points + corners[:, np.newaxis, :])
        return np.concatenate(boxes), np.concatenate(scores), np.concatenate(landmarks)

    def _landmark_rows(self, output: np.ndarray, level: int, anchors: np.ndarray) -> np.ndarray:
        """The ``anchors``' landmark values [N, 10]: the graph's rows, or computed from the feature map it returned."""
        if not self.landmark_convs:
            return output.reshape(-1, POINTS * 2)[anchors]
        per_cell = self.landmark_convs[level].at(output, anchors // ANCHORS_PER_CELL)
        return per_cell.reshape(len(anchors), ANCHORS_PER_CELL, POINTS * 2)[np.arange(len(anchors)),
                                                                            anchors % ANCHORS_PER_CELL]
