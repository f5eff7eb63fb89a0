"""CompreFace's similarity: ``(tanh((c0 - d) * c1) + 1) / 2`` of the euclidean distance ``d``."""

from __future__ import annotations

import math

import numpy as np


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def similarity_from_cosine(cosine: float, c0: float, c1: float) -> float:
    """Similarity of two unit vectors with this cosine, rounded half-up to 5 decimals as CompreFace does."""
    distance = math.sqrt(max(0.0, 2.0 - 2.0 * cosine))
    return round_half_up((math.tanh((c0 - distance) * c1) + 1) / 2)


def round_half_up(value: float, digits: int = 5) -> float:
    scale = 10 ** digits
    return math.floor(value * scale + 0.5) / scale
