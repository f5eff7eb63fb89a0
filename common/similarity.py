"""CompreFace's similarity: ``(tanh((c0 - d) * c1) + 1) / 2`` of the euclidean distance ``d``.

The one place a cosine or a distance becomes the similarity a client sees. Embeddings are compared
after scaling to unit length, where ``d = sqrt(2 - 2 cos)``; ``c0`` and ``c1`` come from the core's
model pack (calibrated so that 0.5 sits at the model's verification threshold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass(frozen=True)
class SimilarityScale:
    """The model's coefficients, applied."""

    c0: float
    c1: float

    def of_cosine(self, cosine: float) -> float:
        return similarity_from_cosine(float(cosine), self.c0, self.c1)

    def between(self, embeddings: np.ndarray, reference: np.ndarray) -> list[float]:
        """The similarity of each row of ``embeddings`` to ``reference`` (neither needs unit length)."""
        cosines = normalised(embeddings) @ normalised(reference)
        return [self.of_cosine(cosine) for cosine in np.atleast_1d(cosines)]
