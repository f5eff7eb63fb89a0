"""What every face plugin (age, gender, mask, 106 landmarks, pose) looks like to the pipeline."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from core.faces import DetectedFace
from proto import core_pb2


class FacePlugin(ABC):
    """Adds one kind of result to each face of an image.

    ``slug`` is CompreFace's plugin name; ``version`` names the model behind it (reported in
    ``plugins_versions``).
    """

    slug: str
    version: str

    @abstractmethod
    def annotate(self, image: np.ndarray, faces: Sequence[DetectedFace],
                 results: Sequence[core_pb2.Face]) -> None:
        """Fill this plugin's field of ``results[i]`` for ``faces[i]``.

        ``image`` is the original image, RGB uint8 [H, W, 3]; ``faces`` are in its coordinates.
        """
