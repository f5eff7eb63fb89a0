"""106 facial landmarks from InsightFace's 2d106det.

The model sees a square crop of side ``crop_scale`` x the box's longer side around the box centre,
resized to ``input_size`` (192), RGB 0..255 NCHW (its normalisation is inside the graph). It
returns 106 (x, y) pairs in [-1, 1] of that crop, mapped back here to image pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from core.alignment import square_crop_matrix, warp
from core.faces import DetectedFace
from core.model_pack import PluginSpec
from core.plugins.base import FacePlugin
from core.results import Landmarks106
from core.runtime import SessionFactory


class Landmarks106Plugin(FacePlugin):
    slug = "landmarks2d106"

    def __init__(self, spec: PluginSpec, model_path: Path, sessions: SessionFactory) -> None:
        self.version = spec.version
        self.input_size = int(spec.params["input_size"])
        self.crop_scale = float(spec.params["crop_scale"])
        self.session = sessions.create(model_path)
        self.input_name = self.session.get_inputs()[0].name

    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[Landmarks106]:
        if not faces:
            return []
        matrices = [square_crop_matrix(face.box, self.crop_scale, self.input_size) for face in faces]
        crops = np.stack([warp(image, matrix, self.input_size) for matrix in matrices])
        batch = np.ascontiguousarray(crops.transpose(0, 3, 1, 2), dtype=np.float32)
        output = self.session.run(None, {self.input_name: batch})[0]
        in_crop = (output.reshape(len(faces), 106, 2) + 1.0) * (self.input_size / 2)
        results = []
        for matrix, points in zip(matrices, in_crop):
            inverse = cv2.invertAffineTransform(matrix)
            results.append(Landmarks106((points @ inverse[:, :2].T + inverse[:, 2]).astype(np.float32)))
        return results
