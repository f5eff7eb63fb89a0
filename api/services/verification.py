"""Verification: how similar faces are, between two images, to a stored face, or between embeddings."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from api.services.collections import Collections
from api.services.face_checks import find_checked_faces
from api.services.faces import ImageParams, Stopwatch, core_plugins, embedding, similarity_scale
from api.services.recognition import check_dimension
from common import errors
from common.core_client import CoreClient
from proto import core_pb2 as pb


@dataclass(frozen=True)
class Match:
    face: pb.Face
    similarity: float


@dataclass(frozen=True)
class ImageVerification:
    """The source image's face and each face of the target image with its similarity to it."""

    source: pb.Face
    matches: list[Match]
    core: pb.ProcessImageResponse  # the target's: plugin versions and the core's timings
    timings: dict[str, object]


@dataclass(frozen=True)
class FaceVerification:
    """Each face of an image with its similarity to a stored face of ``subject``."""

    subject: str
    matches: list[Match]
    core: pb.ProcessImageResponse
    timings: dict[str, object]


@dataclass(frozen=True)
class StoredFaceSimilarity:
    image_id: str
    similarity: float


@dataclass(frozen=True)
class SubjectVerdict:
    """One face of an image against a subject: the best similarity over its stored faces, and each one's."""

    face: pb.Face
    similarity: float
    faces: list[StoredFaceSimilarity]  # in enrolment order


@dataclass(frozen=True)
class SubjectVerification:
    subject: str
    verdicts: list[SubjectVerdict]
    core: pb.ProcessImageResponse
    timings: dict[str, object]


@dataclass(frozen=True)
class EmbeddingMatch:
    embedding: np.ndarray
    similarity: float


class Verifier:
    def __init__(self, core: CoreClient, collections: Collections) -> None:
        self.core = core
        self.collections = collections

    def verify_images(self, source_image: bytes, target_image: bytes, params: ImageParams) -> ImageVerification:
        """The source must hold one face; every face of the target is compared with it."""
        return self.verify_image_targets(source_image, [target_image], params)[0]

    def verify_image_targets(self, source_image: bytes, target_images: list[bytes], params: ImageParams,
                             require_liveness: bool = False) -> list[ImageVerification]:
        """One verification per target image, in order, against the source's one face."""
        watch = Stopwatch()
        plugins = core_plugins(params.face_plugins, True)
        source = find_checked_faces(self.core, source_image, params, plugins, require_liveness)
        if len(source.faces) > 1:
            raise errors.more_than_one_face()
        scale = similarity_scale(self.core)
        reference = embedding(source.faces[0])
        results = []
        for target_image in target_images:
            target = find_checked_faces(self.core, target_image, params, plugins, require_liveness)
            matches = [Match(face, scale.of_cosine(float(embedding(face) @ reference))) for face in target.faces]
            results.append(ImageVerification(source.faces[0], matches, target, watch.report(target)))
        return results

    def verify_against_subject(self, service_id: int, subject: str, image: bytes, params: ImageParams,
                               require_liveness: bool = False) -> SubjectVerification:
        """Each face of the image against every stored face of ``subject`` (code 42 when unknown)."""
        name, stored = self.collections.subject_faces(service_id, subject)
        watch = Stopwatch()
        response = find_checked_faces(self.core, image, params, core_plugins(params.face_plugins, True),
                                      require_liveness)
        started = time.perf_counter()
        scale = similarity_scale(self.core)
        verdicts = []
        for face in response.faces:
            similarities = scale.between(stored.embeddings, embedding(face))
            faces = [StoredFaceSimilarity(image_id, similarity)
                     for image_id, similarity in zip(stored.face_ids, similarities)]
            verdicts.append(SubjectVerdict(face, max(item.similarity for item in faces), faces))
        watch.lap("compare", started)
        return SubjectVerification(name, verdicts, response, watch.report(response))

    def verify_against_face(self, service_id: int, face_id: str, image: bytes,
                            params: ImageParams, require_liveness: bool = False) -> FaceVerification:
        stored, reference = self.collections.face(service_id, face_id)
        watch = Stopwatch()
        response = find_checked_faces(self.core, image, params, core_plugins(params.face_plugins, True),
                                      require_liveness)
        started = time.perf_counter()
        scale = similarity_scale(self.core)
        matches = [Match(face, similarity) for face, similarity in
                   zip(response.faces, scale.between(np.array([face.embedding for face in response.faces]),
                                                     reference))]
        watch.lap("compare", started)
        return FaceVerification(stored.subject, matches, response, watch.report(response))

    def verify_embeddings_against_face(self, service_id: int, face_id: str,
                                       embeddings: np.ndarray) -> list[EmbeddingMatch]:
        _, reference = self.collections.face(service_id, face_id)
        check_dimension(embeddings, len(reference))
        return self.verify_embeddings(reference, embeddings)

    def verify_embeddings(self, source: np.ndarray, targets: np.ndarray) -> list[EmbeddingMatch]:
        """Each target with its similarity to ``source``, most similar first."""
        if targets.shape[1] != source.shape[-1]:
            raise errors.validation("source and targets should have the same number of values; ")
        similarities = similarity_scale(self.core).between(targets, source)
        matches = [EmbeddingMatch(row, similarity) for row, similarity in zip(targets, similarities)]
        return sorted(matches, key=lambda match: match.similarity, reverse=True)
