"""Passive single-image liveness from MiniVision's two MiniFASNet models (Apache-2.0).

Each model sees its own crop of the face: the detector box is first converted to the
RetinaFace box the authors tuned their crop rule on (``box_width_ratio``, ``box_height_ratio``:
our box's width and height over the reference's; ``box_centre_shift``: how far, in reference
heights, our box's centre sits above the reference's; measured per detector on LFW, see
../shared/models/MANIFEST.md). Then the authors' ``CropImage``: s = min((H-1)/h, (W-1)/w, scale)
with the model's ``scale`` (2.7 for MiniFASNetV2, 4.0 for MiniFASNetV1SE), a w·s x h·s window
around the box centre shifted (not shrunk) to stay inside the image, resized to 80x80 bilinear,
BGR 0..255 unnormalised. The two softmax outputs are averaged; index 1 is "real".

A face is called real when that averaged probability reaches ``real_threshold`` (the
``LIVENESS_THRESHOLD`` setting of core). The models were trained on camera captures of faces
within about 30 degrees of frontal; the threshold must be calibrated on the deployment's own
cameras, and one image cannot tell a good print or replay from a face.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from core.faces import DetectedFace
from core.model_pack import PluginSpec
from core.plugins.base import FacePlugin
from core.results import Label
from core.runtime import SessionFactory
from core.tensors import nchw_float32

REAL = 1


def reference_box(box: np.ndarray, width_ratio: float, height_ratio: float, centre_shift: float
                  ) -> tuple[float, float, float, float]:
    """(x, y, w, h) of the RetinaFace-like box the crop rule expects, from our detector's box."""
    x_min, y_min, x_max, y_max = (float(v) for v in box[:4])
    width = max(x_max - x_min, 1.0) / width_ratio
    height = max(y_max - y_min, 1.0) / height_ratio
    centre_x = (x_min + x_max) / 2
    centre_y = (y_min + y_max) / 2 + centre_shift * height
    return centre_x - width / 2, centre_y - height / 2, width, height


def crop_window(image_width: int, image_height: int, box: tuple[float, float, float, float], scale: float
                ) -> tuple[int, int, int, int]:
    """The authors' crop window (left, top, right, bottom; inclusive) for one model's scale."""
    x, y, width, height = box
    scale = min((image_height - 1) / height, (image_width - 1) / width, scale)
    new_width, new_height = width * scale, height * scale
    centre_x, centre_y = x + width / 2, y + height / 2
    left, top = centre_x - new_width / 2, centre_y - new_height / 2
    right, bottom = centre_x + new_width / 2, centre_y + new_height / 2
    if left < 0:
        right, left = right - left, 0.0
    if top < 0:
        bottom, top = bottom - top, 0.0
    if right > image_width - 1:
        left, right = left - (right - image_width + 1), image_width - 1.0
    if bottom > image_height - 1:
        top, bottom = top - (bottom - image_height + 1), image_height - 1.0
    return int(left), int(top), int(right), int(bottom)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class LivenessPlugin(FacePlugin):
    slug = "liveness"

    def __init__(self, spec: PluginSpec, model_path: Path, sessions: SessionFactory,
                 companions: dict[str, Path]) -> None:
        self.version = spec.version
        params = spec.params
        self.input_size = int(params["input_size"])
        self.box_ratios = (float(params["box_width_ratio"]), float(params["box_height_ratio"]),
                           float(params["box_centre_shift"]))
        self.real_threshold = float(params["real_threshold"])
        paths = {"main": model_path, **companions}
        scales = params["crop_scales"]
        self.models = [(float(scales[name]), sessions.create(path)) for name, path in paths.items()]

    def real_probabilities(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> np.ndarray:
        """Averaged P(real) of each face; ``image`` RGB."""
        bgr = np.ascontiguousarray(image[..., ::-1])
        height, width = image.shape[:2]
        boxes = [reference_box(face.box, *self.box_ratios) for face in faces]
        total = np.zeros(len(faces))
        for scale, session in self.models:
            crops = []
            for box in boxes:
                left, top, right, bottom = crop_window(width, height, box, scale)
                crops.append(cv2.resize(bgr[top:bottom + 1, left:right + 1], (self.input_size, self.input_size)))
            batch = nchw_float32(np.stack(crops))
            logits = session.run(None, {session.get_inputs()[0].name: batch})[0]
            total += _softmax(logits)[:, REAL]
        return total / len(self.models)

    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[Label]:
        if not faces:
            return []
        return [Label("real", float(p)) if p >= self.real_threshold else Label("spoof", float(1.0 - p))
                for p in self.real_probabilities(image, faces)]
