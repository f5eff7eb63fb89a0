"""Age and gender from Cydral's dlib networks (CC0), run as ONNX.

Both networks see a dlib-style face chip: the similarity transform taking the 5 landmarks onto
``params.template`` x ``input_size``, anti-aliased by warping bilinearly to K x the chip size
(K = ceil(source pixels per chip pixel), 1..16) and area-averaging down, then RGB
``(pixel - mean) / std`` NCHW. All faces of an image go through in one batch.

Gender: probabilities [female, male]; the larger one is reported.

Age: 81 classes whose values are w = [0.25, 1, 2, ..., 80] years. CompreFace clients expect a
range, so ``low``/``high`` are the 25th and 75th percentiles of the predicted distribution
(the interquartile range, widened if needed to contain the expected age sum(p_i w_i)), and
``probability`` is the probability mass of the classes inside [low, high].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from core.alignment import similarity_matrix, warp
from core.faces import DetectedFace
from core.model_pack import PluginSpec
from core.plugins.base import FacePlugin
from core.results import AgeRange, Label
from core.runtime import SessionFactory
from core.tensors import nchw_float32

MAX_OVERSAMPLING = 16
AGE_VALUES = np.array([0.25, *range(1, 81)], dtype=np.float32)
AGE_QUANTILES = (0.25, 0.75)


def chip(image: np.ndarray, landmarks: np.ndarray, template: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` x ``size`` face chip that puts ``landmarks`` on ``template`` x ``size``."""
    matrix = similarity_matrix(landmarks, template * size)
    source_per_chip_pixel = 1.0 / math.sqrt(abs(float(np.linalg.det(matrix[:, :2]))))
    factor = min(max(math.ceil(source_per_chip_pixel), 1), MAX_OVERSAMPLING)
    # Plain scaling by K, as the templates were measured; re-centring pixels by (K - 1) / 2
    # lowered gender accuracy on 465 LFW faces from 99.8 % to 99.1 %.
    big = warp(image, matrix * factor, size * factor)
    return cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)


class _CydralPlugin(FacePlugin):
    """Chips every face, normalises, and runs the network once per image."""

    def __init__(self, spec: PluginSpec, model_path: Path, sessions: SessionFactory) -> None:
        self.version = spec.version
        self.size = int(spec.params["input_size"])
        self.template = np.asarray(spec.params["template"], dtype=np.float32)
        self.mean = np.asarray(spec.params["mean"], dtype=np.float32)
        self.scale = 1 / np.asarray(spec.params["std"], dtype=np.float32)
        self.session = sessions.create(model_path)
        self.input_name = self.session.get_inputs()[0].name

    def probabilities(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> np.ndarray:
        chips = np.stack([chip(image, face.landmarks, self.template, self.size) for face in faces])
        batch = nchw_float32(chips, self.mean, self.scale)
        return self.session.run(None, {self.input_name: batch})[0]


class GenderPlugin(_CydralPlugin):
    slug = "gender"

    def __init__(self, spec: PluginSpec, model_path: Path, sessions: SessionFactory) -> None:
        super().__init__(spec, model_path, sessions)
        self.labels = tuple(spec.params.get("labels", ("female", "male")))

    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[Label]:
        if not faces:
            return []
        results = []
        for row in self.probabilities(image, faces):
            best = int(np.argmax(row))
            results.append(Label(self.labels[best], float(row[best])))
        return results


def age_ranges(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of class probabilities: (low, high, probability mass in [low, high])."""
    cumulative = np.cumsum(probabilities, axis=1)
    last = len(AGE_VALUES) - 1
    low_class, high_class = (
        np.minimum((cumulative < quantile).sum(axis=1), last) for quantile in AGE_QUANTILES
    )
    expected = probabilities @ AGE_VALUES
    low = np.minimum(np.floor(AGE_VALUES[low_class]), np.floor(expected)).astype(np.int64)
    high = np.maximum(np.ceil(AGE_VALUES[high_class]), np.ceil(expected)).astype(np.int64)
    # Class c covers age c (class 0 the first year), so [low, high] holds classes low .. high.
    classes = np.arange(len(AGE_VALUES))
    inside = (classes >= low[:, None]) & (classes <= high[:, None])
    return low, high, (probabilities * inside).sum(axis=1)


class AgePlugin(_CydralPlugin):
    slug = "age"

    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[AgeRange]:
        if not faces:
            return []
        low, high, mass = age_ranges(self.probabilities(image, faces))
        return [AgeRange(int(face_low), int(face_high), float(min(face_mass, 1.0)))
                for face_low, face_high, face_mass in zip(low, high, mass)]
