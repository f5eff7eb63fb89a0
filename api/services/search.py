"""Search: every stored face that matches each face of an image, best first."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from api.indexes import ServiceIndexes
from api.similarity import similarity_from_cosine

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class SearchMatch:
    image_id: str
    subject: str
    similarity: float


def search_faces(indexes: ServiceIndexes, service_id: int, embeddings: np.ndarray, threshold: float, limit: int,
                 coefficients: tuple[float, float]) -> list[list[SearchMatch]]:
    """Per embedding, the stored faces at or above ``threshold``, best first, at most ``limit``
    (0: all)."""
    found = indexes.search(service_id, embeddings, limit if limit > 0 else -1)
    c0, c1 = coefficients
    matches = []
    for candidates in found:
        scored = [SearchMatch(face_id, subject, similarity_from_cosine(cosine, c0, c1))
                  for face_id, subject, cosine in candidates]
        matches.append([match for match in scored if match.similarity >= threshold])
    return matches
