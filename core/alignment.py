"""Face crops: 5-point similarity alignment and square crops around a box."""

from __future__ import annotations

import cv2
import numpy as np
from skimage.transform import SimilarityTransform

# Where ArcFace-style recognizers expect the 5 landmarks in a 112x112 crop.
ARCFACE_TEMPLATE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)


def similarity_matrix(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 least-squares similarity transform (Umeyama) taking ``source`` points onto ``target``."""
    transform = SimilarityTransform.from_estimate(source, target)
    return transform.params[:2].astype(np.float32)


def warp(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` x ``size`` crop that ``matrix`` maps the image onto (black outside the image)."""
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0.0)


def arcface_crop(image: np.ndarray, landmarks: np.ndarray, size: int = 112) -> np.ndarray:
    """The aligned face crop recognizers are trained on (InsightFace's ``norm_crop``)."""
    template = ARCFACE_TEMPLATE_112 * (size / 112.0)
    return warp(image, similarity_matrix(landmarks, template), size)


def square_crop_matrix(box: np.ndarray, scale: float, size: int) -> np.ndarray:
    """2x3 matrix mapping the square of side ``scale`` x the box's longer side, centred on the box,
    onto a ``size`` x ``size`` crop."""
    x_min, y_min, x_max, y_max = (float(v) for v in box[:4])
    side = max(x_max - x_min, y_max - y_min) * scale
    factor = size / max(side, 1.0)
    centre_x, centre_y = (x_min + x_max) / 2, (y_min + y_max) / 2
    return np.array(
        [[factor, 0, size / 2 - centre_x * factor], [0, factor, size / 2 - centre_y * factor]],
        dtype=np.float32,
    )
