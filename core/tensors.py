"""Model input tensors from uint8 pixels."""

from __future__ import annotations

import cv2
import numpy as np


def nchw_float32(pixels: np.ndarray, mean: float | np.ndarray = 0.0, scale: float | np.ndarray = 1.0) -> np.ndarray:
    """``(pixels - mean) * scale`` as a contiguous float32 NCHW tensor, for uint8 images [N, H, W, C].

    ``mean`` and ``scale`` are one number or one per channel. OpenCV splits each image into its channel planes,
    which are converted to float straight into the tensor, and the arithmetic runs in place: several times faster
    than normalising a float copy of the pixels and transposing it, for the same values.
    """
    count, height, width, channels = pixels.shape
    tensor = np.empty((count, channels, height, width), dtype=np.float32)
    for image, planes in zip(pixels, tensor):
        for plane, values in zip(planes, cv2.split(image)):
            plane[...] = values
    tensor -= np.asarray(mean, dtype=np.float32).reshape(-1, 1, 1)  # one value, or one per channel
    tensor *= np.asarray(scale, dtype=np.float32).reshape(-1, 1, 1)
    return tensor
