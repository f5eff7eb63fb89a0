"""What every face plugin (age, gender, mask, 106 landmarks, pose, quality, liveness) looks like to the
pipeline."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from core.faces import DetectedFace
from core.results import PluginResult


class FacePlugin(ABC):
    """Adds one kind of result to each face of an image.

    ``slug`` is CompreFace's plugin name; ``version`` names the model behind it (reported in
    ``plugins_versions``).
    """

    slug: str
    version: str

    @abstractmethod
    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace]) -> list[PluginResult]:
        """This plugin's result for each of ``faces``, in order.

        ``image`` is the original image, RGB uint8 [H, W, 3]; ``faces`` are in its coordinates.
        """
