"""Mask / no mask from AIZOO's FaceMaskDetection SSD (MIT), used as a per-face classifier.

Each face is cut out as a square of side ``crop_scale`` x the box's longer side around the box
centre (black outside the image), resized to ``input_size`` (260), RGB / 255, NHWC. The graph
has a fixed batch of 1, so faces run one by one. The SSD's boxes are decoded against anchors
built once from the upstream table; among those overlapping the known face box with
IoU > ``min_iou``, the one with the highest class score gives P(mask) (column 0).

If no decoded box overlaps the face that much (the SSD did not see this face as a face), the
box overlapping it most is used instead, so every face gets an answer about its own region.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.alignment import square_crop_matrix, warp
from core.faces import DetectedFace
from core.model_pack import PluginSpec
from core.plugins.base import FacePlugin
from core.results import Label
from core.runtime import SessionFactory

# AIZOOTech/FaceMaskDetection: feature map sides, anchor sizes and aspect ratios per map.
FEATURE_MAPS = (33, 17, 9, 5, 3)
ANCHOR_SIZES = ((0.04, 0.056), (0.08, 0.11), (0.16, 0.22), (0.32, 0.45), (0.64, 0.72))
ANCHOR_RATIOS = (1.0, 0.62, 0.42)
VARIANCES = np.array([0.1, 0.1, 0.2, 0.2], dtype=np.float32)


def ssd_anchors() -> np.ndarray:
    """[A, 4] anchors (centre x, centre y, width, height) in input-normalised coordinates, in the
    network's order: per map, cells row by row, 4 anchors per cell (both sizes at ratio 1, then
    the first size at the other ratios)."""
    per_map = []
    for side, (first, second) in zip(FEATURE_MAPS, ANCHOR_SIZES):
        shapes = [(size, ANCHOR_RATIOS[0]) for size in (first, second)]
        shapes += [(first, ratio) for ratio in ANCHOR_RATIOS[1:]]
        widths_heights = np.array([(s * np.sqrt(r), s / np.sqrt(r)) for s, r in shapes])
        centres = (np.arange(side) + 0.5) / side
        centre_y, centre_x = np.meshgrid(centres, centres, indexing="ij")
        cells = np.stack([centre_x.ravel(), centre_y.ravel()], axis=1)
        per_map.append(np.concatenate([
            np.repeat(cells, len(shapes), axis=0),
            np.tile(widths_heights, (len(cells), 1)),
        ], axis=1))
    return np.concatenate(per_map).astype(np.float32)


def decode(offsets: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """SSD box offsets [A, 4] -> boxes (x_min, y_min, x_max, y_max)."""
    scaled = offsets * VARIANCES
    centres = anchors[:, :2] + scaled[:, :2] * anchors[:, 2:]
    sizes = anchors[:, 2:] * np.exp(scaled[:, 2:])
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)


def iou(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """IoU of each of ``boxes`` [A, 4] with ``box`` [4] (x_min, y_min, x_max, y_max)."""
    top_left = np.maximum(boxes[:, :2], box[:2])
    bottom_right = np.minimum(boxes[:, 2:], box[2:])
    intersection = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return intersection / (areas + np.prod(box[2:] - box[:2]) - intersection)


class MaskPlugin(FacePlugin):
    slug = "mask"

    def __init__(self, spec: PluginSpec, model_path: Path, sessions: SessionFactory) -> None:
        self.version = spec.version
        self.input_size = int(spec.params["input_size"])
        self.crop_scale = float(spec.params["crop_scale"])
        self.min_iou = float(spec.params["min_iou"])
        self.session = sessions.create(model_path)
        self.input_name = self.session.get_inputs()[0].name
        self.anchors = ssd_anchors()

    def mask_probability(self, image: np.ndarray, face: DetectedFace) -> float:
        matrix = square_crop_matrix(face.box, self.crop_scale, self.input_size)
        crop = warp(image, matrix, self.input_size).astype(np.float32) / 255.0
        offsets, scores = self.session.run(None, {self.input_name: crop[None]})
        corners = face.box[:4].reshape(2, 2).astype(np.float32)
        face_box = (corners @ matrix[:, :2].T + matrix[:, 2]).ravel() / self.input_size
        overlaps = iou(decode(offsets[0], self.anchors), face_box)
        candidates = overlaps > self.min_iou
        if not candidates.any():
            candidates = overlaps == overlaps.max()
        class_scores = np.where(candidates, scores[0].max(axis=1), -1.0)
        return float(scores[0, int(np.argmax(class_scores)), 0])

    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[Label]:
        results = []
        for face in faces:
            probability = self.mask_probability(image, face)
            wearing = probability >= 0.5
            results.append(Label("with_mask" if wearing else "without_mask",
                                 probability if wearing else 1.0 - probability))
        return results
