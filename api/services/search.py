"""Search: every stored face that matches each face of an image, best first."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from api.indexes import ServiceIndexes
from api.services.face_checks import find_checked_faces
from api.services.faces import ImageParams, Stopwatch, core_plugins, similarity_scale
from common.core_client import CoreClient
from common.similarity import normalised
from proto import core_pb2 as pb

DEFAULT_LIMIT = 100
SEARCH_THRESHOLD = 0.5  # when neither the request nor the service gives one: "the same person"


@dataclass(frozen=True)
class SearchMatch:
    image_id: str
    subject: str
    similarity: float


@dataclass(frozen=True)
class FaceMatches:
    face: pb.Face
    matches: list[SearchMatch]  # best first


@dataclass(frozen=True)
class SearchResult:
    faces: list[FaceMatches]
    core: pb.ProcessImageResponse
    timings: dict[str, object]


class Searcher:
    def __init__(self, core: CoreClient, indexes: ServiceIndexes) -> None:
        self.core = core
        self.indexes = indexes

    def search(self, service_id: int, image: bytes, params: ImageParams, threshold: float, limit: int,
               require_liveness: bool = False) -> SearchResult:
        """For every face of the image, the stored faces at or above ``threshold``, at most ``limit``
        (0: all)."""
        watch = Stopwatch()
        response = find_checked_faces(self.core, image, params, core_plugins(params.face_plugins, True),
                                      require_liveness, limit=0)
        started = time.perf_counter()
        embeddings = normalised(np.array([face.embedding for face in response.faces]))
        scale = similarity_scale(self.core)
        found = self.indexes.search(service_id, embeddings, limit if limit > 0 else -1)
        faces = []
        for face, candidates in zip(response.faces, found):
            scored = [SearchMatch(face_id, subject, scale.of_cosine(cosine)) for face_id, subject, cosine in candidates]
            faces.append(FaceMatches(face, [match for match in scored if match.similarity >= threshold]))
        watch.lap("search", started)
        return SearchResult(faces, response, watch.report(response))
