"""The detector's view of one face, handed to alignment, the recognizer and the plugins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DetectedFace:
    """A face in original-image pixel coordinates (after EXIF orientation)."""

    box: np.ndarray        # float32 [4]: x_min, y_min, x_max, y_max
    score: float           # detector probability in [0, 1]
    landmarks: np.ndarray  # float32 [5, 2]: left eye, right eye, nose, left and right mouth corner

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))
