"""Face image quality from LightQNet (Chen et al. 2021, MIT), on a 0-1 scale calibrated on LFW-dev.

The network sees the ArcFace-aligned 112x112 crop (the recognizer's own alignment) resized to
``input_size`` (96), RGB ``(pixel - 128) / 128``, NCHW, all faces of an image in one batch. Its raw
score is high on every good photo and narrow there (LFW: 0.57 to 0.62 for 90 % of faces), so it is
mapped onto ``value`` through the raw scores measured on LFW-dev (``bench.quality --write`` stores
them in the pack as ``raw_at_percent``: the raw score below which that percentage of LFW-dev
faces fall):

* at and above LFW-dev's 1st percentile, ``value = 0.5 + 0.5 * (p - 1) / 99`` where ``p`` is the
  percentage of LFW-dev faces scoring lower (interpolated in the table); 1.0 is LFW-dev's best;
* below it, ``value = 0.5 * raw / raw_at_1_percent``: in proportion to the raw score.

So 0.5 is the level that only 1 % of LFW-dev's press photos fall below, the default minimum for
enrolment, and ``acceptable`` means ``value >= acceptable_at``. Reasons are named where a cheap
measure shows them: ``face_too_small`` (the box's shorter side under ``min_face_side`` pixels of
the image the detector saw), ``strong_head_pose`` (|yaw| or |pitch| of core.plugins.pose beyond
``max_yaw`` / ``max_pitch`` degrees) and ``blur`` (variance of the Laplacian of the grey aligned
crop under ``min_sharpness``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from core.alignment import arcface_crop
from core.faces import DetectedFace
from core.model_pack import PluginSpec
from core.plugins.base import FacePlugin
from core.plugins.pose import head_pose
from core.results import Quality
from core.runtime import SessionFactory
from core.tensors import nchw_float32

ALIGNED_SIZE = 112


def scaled_quality(raw: np.ndarray, percents: np.ndarray, raw_at_percent: np.ndarray) -> np.ndarray:
    """LightQNet raw scores -> the documented 0-1 scale, from the LFW-dev percentile table
    (``percents`` ascending, starting at 1)."""
    raw = np.asarray(raw, dtype=np.float64)
    floor = raw_at_percent[0]
    above = 0.5 + 0.5 * (np.interp(raw, raw_at_percent, percents) - percents[0]) / (100.0 - percents[0])
    below = 0.5 * np.clip(raw, 0.0, None) / floor
    return np.clip(np.where(raw >= floor, above, below), 0.0, 1.0)


def sharpness(aligned: np.ndarray) -> float:
    """Variance of the Laplacian of the grey aligned crop: low on blurred faces."""
    grey = cv2.cvtColor(aligned, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


class QualityPlugin(FacePlugin):
    slug = "quality"

    def __init__(self, spec: PluginSpec, model_path: Path, sessions: SessionFactory) -> None:
        self.version = spec.version
        params = spec.params
        self.input_size = int(params["input_size"])
        table = np.asarray(params["raw_at_percent"], dtype=np.float64)
        self.percents, self.raw_at_percent = table[:, 0], table[:, 1]
        if self.percents[0] <= 0 or np.any(np.diff(self.raw_at_percent) < 0):
            raise ValueError("quality raw_at_percent must start above 0 % and rise")
        self.acceptable_at = float(params["acceptable_at"])
        self.min_face_side = float(params["min_face_side"])
        self.max_yaw = float(params["max_yaw"])
        self.max_pitch = float(params["max_pitch"])
        self.min_sharpness = float(params["min_sharpness"])
        self.session = sessions.create(model_path)
        self.input_name = self.session.get_inputs()[0].name

    def raw_scores(self, aligned: np.ndarray) -> np.ndarray:
        """LightQNet's own scores of aligned 112x112 RGB crops [N, 112, 112, 3]."""
        small = np.stack([cv2.resize(crop, (self.input_size, self.input_size), interpolation=cv2.INTER_AREA)
                          for crop in aligned])
        batch = nchw_float32(small, mean=128.0, scale=1 / 128)
        return self.session.run(None, {self.input_name: batch})[0].reshape(-1)

    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[Quality]:
        if not faces:
            return []
        aligned = np.stack([arcface_crop(image, face.landmarks, ALIGNED_SIZE) for face in faces])
        values = scaled_quality(self.raw_scores(aligned), self.percents, self.raw_at_percent)
        height, width = image.shape[:2]
        results = []
        for face, crop, value in zip(faces, aligned, values):
            reasons = []
            if min(face.box[2] - face.box[0], face.box[3] - face.box[1]) < self.min_face_side:
                reasons.append("face_too_small")
            pitch, yaw, _ = head_pose(face.landmarks, width, height)
            if abs(yaw) > self.max_yaw or abs(pitch) > self.max_pitch:
                reasons.append("strong_head_pose")
            if sharpness(crop) < self.min_sharpness:
                reasons.append("blur")
            results.append(Quality(round(float(value), 4), bool(value >= self.acceptable_at), tuple(reasons)))
        return results
