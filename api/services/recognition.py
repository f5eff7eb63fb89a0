"""Recognition: who the faces of an image (or given embeddings) are, among a service's collection."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from api.indexes import ServiceIndexes
from api.services.face_checks import find_checked_faces
from api.services.faces import ImageParams, Stopwatch, core_plugins, similarity_scale
from common import errors
from common.core_client import CoreClient
from common.recognition_settings import RecognitionSettings, settle_threshold
from common.similarity import normalised
from common.thresholds import ImpostorTail, tail_of
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
                  detect: bool = True, require_liveness: bool = False) -> Recognition:
        """The ``count`` most similar subjects of each face (-1: all), those below ``threshold`` dropped;
        ``detect=False`` takes the whole image as one face; ``require_liveness``: code 61 for a spoof."""
        watch = Stopwatch()
        response = find_checked_faces(self.core, image, params, core_plugins(params.face_plugins, True),
                                      require_liveness, whole_image=not detect)
        started = time.perf_counter()
        embeddings = normalised(np.array([face.embedding for face in response.faces]))
        found = self._candidates(service_id, embeddings, count)
        faces = [RecognizedFace(face, [candidate for candidate in candidates if candidate.similarity >= threshold])
                 for face, candidates in zip(response.faces, found)]
        watch.lap("search", started)
        return Recognition(faces, response, watch.report(response))

    def threshold(self, service_id: int, requested: str | None, settings: RecognitionSettings,
                  fallback: float) -> float:
        """The similarity threshold of a request: its own, else the service's, else ``fallback``;
        ``auto`` from the service's current number of faces and the pack's impostor tail."""
        return settle_threshold(requested, settings, self.indexes.size(service_id), self.impostor_tail, fallback)

    def impostor_tail(self) -> ImpostorTail | None:
        return tail_of(self.core.status().impostor_tail)

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
