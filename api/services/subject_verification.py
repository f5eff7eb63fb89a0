"""Verification against a person: each face of an image compared with every stored face of one
subject; the best similarity is the answer, each stored face's similarity is listed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from api import errors
from api.collection_store import CollectionStore
from api.similarity import normalised, similarity_from_cosine


@dataclass(frozen=True)
class StoredFaceSimilarity:
    image_id: str
    similarity: float


@dataclass(frozen=True)
class SubjectVerdict:
    subject: str
    similarity: float  # the best over the subject's faces
    faces: list[StoredFaceSimilarity]  # in enrolment order


def subject_reference(store: CollectionStore, service_id: int, subject: str) -> tuple[str, list[str], np.ndarray]:
    """(the subject's stored name, its image ids, their unit embeddings); code 42 when there is no
    such subject, 28-style validation when it has no face to compare with."""
    found = store.subject_faces(service_id, subject)
    if found is None:
        raise errors.subject_not_found(subject)
    name, collection = found
    if not collection.face_ids:
        raise errors.validation(f"Subject {name} has no faces to verify against; add one first; ")
    return name, collection.face_ids, normalised(collection.embeddings)


def verify_against_subject(name: str, image_ids: list[str], references: np.ndarray, embeddings: np.ndarray,
                           coefficients: tuple[float, float]) -> list[SubjectVerdict]:
    """One verdict per embedding (the faces found in the request's image)."""
    c0, c1 = coefficients
    verdicts = []
    for cosines in normalised(embeddings) @ references.T:
        faces = [StoredFaceSimilarity(image_id, similarity_from_cosine(float(cosine), c0, c1))
                 for image_id, cosine in zip(image_ids, cosines)]
        verdicts.append(SubjectVerdict(name, max(face.similarity for face in faces), faces))
    return verdicts
