"""Recognition: who the faces of an image (or given embeddings) are, among a service's collection."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from api.indexes import ServiceIndexes
from api.services.faces import ImageParams, Stopwatch, core_plugins, find_faces, similarity_scale
from common import errors
from common.core_client import CoreClient
from common.similarity import normalised
from proto import core_pb2 as pb


@dataclass(frozen=True)
class Candidate:
    subject: str
    similarity: float


@dataclass(frozen=True)
class RecognizedFace:
    face: pb.Face
    candidates: list[Candidate]  # most similar first


@dataclass(frozen=True)
class Recognition:
    faces: list[RecognizedFace]
    core: pb.ProcessImageResponse  # plugin versions and the core's timings
    timings: dict[str, object]


@dataclass(frozen=True)
class RecognizedEmbedding:
    embedding: np.ndarray
    candidates: list[Candidate]


class Recognizer:
    def __init__(self, core: CoreClient, indexes: ServiceIndexes) -> None:
        self.core = core
        self.indexes = indexes

    def recognize(self, service_id: int, image: bytes, params: ImageParams, count: int, threshold: float,
                  detect: bool = True) -> Recognition:
        """The ``count`` most similar subjects of each face (-1: all), those below ``threshold`` dropped;
        ``detect=False`` takes the whole image as one face."""
        watch = Stopwatch()
        response = find_faces(self.core, image, params, core_plugins(params.face_plugins, True),
                              whole_image=not detect)
        started = time.perf_counter()
        embeddings = normalised(np.array([face.embedding for face in response.faces]))
        found = self._candidates(service_id, embeddings, count)
        faces = [RecognizedFace(face, [candidate for candidate in candidates if candidate.similarity >= threshold])
                 for face, candidates in zip(response.faces, found)]
        watch.lap("search", started)
        return Recognition(faces, response, watch.report(response))

    def recognize_embeddings(self, service_id: int, embeddings: np.ndarray, count: int) -> list[RecognizedEmbedding]:
        """The ``count`` most similar subjects of each given embedding."""
        check_dimension(embeddings, self.core.status().embedding_size)
        found = self._candidates(service_id, normalised(embeddings), count)
        return [RecognizedEmbedding(vector, candidates) for vector, candidates in zip(embeddings, found)]

    def _candidates(self, service_id: int, embeddings: np.ndarray, count: int) -> list[list[Candidate]]:
        scale = similarity_scale(self.core)
        return [[Candidate(subject, scale.of_cosine(cosine)) for _, subject, cosine in found]
                for found in self.indexes.search(service_id, embeddings, count)]


def check_dimension(embeddings: np.ndarray, expected: int) -> None:
    if embeddings.shape[1] != expected:
        raise errors.validation(f"Embeddings should have {expected} values, not {embeddings.shape[1]}; ")
