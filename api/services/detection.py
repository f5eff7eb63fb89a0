"""Detection: the faces of an image, with the plugins' results."""

from __future__ import annotations

from dataclasses import dataclass

from api.services.faces import ImageParams, Stopwatch, find_faces
from common.core_client import CoreClient
from proto import core_pb2 as pb


@dataclass(frozen=True)
class Detection:
    faces: list[pb.Face]
    core: pb.ProcessImageResponse
    timings: dict[str, object]


class Detector:
    def __init__(self, core: CoreClient) -> None:
        self.core = core

    def detect(self, image: bytes, params: ImageParams) -> Detection:
        watch = Stopwatch()
        response = find_faces(self.core, image, params, params.face_plugins)
        return Detection(list(response.faces), response, watch.report(response))
