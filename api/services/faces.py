"""Faces found by the core in an image, the similarity scale of its models, and the timings of a request."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from common import errors
from common.core_client import CoreClient
from common.similarity import SimilarityScale, normalised
from proto import core_pb2 as pb

CALCULATOR = "calculator"


@dataclass(frozen=True)
class ImageParams:
    """How to look for faces: CompreFace's ``limit``, ``det_prob_threshold``, ``face_plugins``, ``status``."""

    limit: int
    det_prob_threshold: float | None
    face_plugins: list[str]
    status: bool


def core_plugins(client_plugins: list[str], need_embedding: bool) -> list[str]:
    """What to ask the core for: the client's plugins, plus the calculator when the API needs it."""
    wanted = list(dict.fromkeys(client_plugins))
    if need_embedding and CALCULATOR not in wanted:
        wanted.append(CALCULATOR)
    return wanted


def find_faces(core: CoreClient, image: bytes, params: ImageParams, plugins: list[str], *,
               limit: int | None = None, whole_image: bool = False) -> pb.ProcessImageResponse:
    """The faces the core finds; no face is CompreFace's error 28."""
    response = core.process_image(
        image, det_prob_threshold=params.det_prob_threshold, limit=params.limit if limit is None else limit,
        face_plugins=plugins, whole_image_is_face=whole_image, with_timings=params.status)
    if not response.faces:
        raise errors.no_face()
    return response


def embedding(face: pb.Face) -> np.ndarray:
    """The face's embedding scaled to unit length."""
    return normalised(np.array(face.embedding))


def similarity_scale(core: CoreClient) -> SimilarityScale:
    status = core.status()
    return SimilarityScale(status.similarity_c0, status.similarity_c1)


class Stopwatch:
    """Milliseconds spent per step of a request, for the ``status=true`` breakdown."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.steps: dict[str, float] = {}

    def lap(self, step: str, since: float) -> None:
        self.steps[step] = round((time.perf_counter() - since) * 1000, 2)

    def report(self, core: pb.ProcessImageResponse | None = None) -> dict[str, object]:
        report: dict[str, object] = dict(self.steps)
        if core is not None:
            report["core"] = {step: round(ms, 2) for step, ms in core.timings_ms.items()}
        report["total"] = round((time.perf_counter() - self.started) * 1000, 2)
        return report
