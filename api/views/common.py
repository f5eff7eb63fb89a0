"""What the image endpoints share: the request's image, the core call, CompreFace's answers."""

from __future__ import annotations

import time

from flask import request

from api import errors
from api.app import platform
from api.image_input import request_image
from api.params import ImageParams
from api.services.face_checks import LIVENESS, check_live, require_plugin
from api.services.thresholds import ImpostorTail, tail_of
from proto import core_pb2 as pb


def image(field: str = "file") -> bytes:
    settings = platform().settings
    return request_image(request, field, platform().fetcher, settings.max_file_size)


def find_faces(image_bytes: bytes, params: ImageParams, plugins: list[str], *, limit: int | None = None,
               whole_image: bool = False) -> pb.ProcessImageResponse:
    """The faces the core finds; no face is CompreFace's error 28."""
    response = platform().core.process_image(
        image_bytes, det_prob_threshold=params.det_prob_threshold,
        limit=params.limit if limit is None else limit, face_plugins=plugins,
        whole_image_is_face=whole_image, with_timings=params.status)
    if not response.faces:
        raise errors.no_face()
    return response


def similarity_coefficients() -> tuple[float, float]:
    status = platform().core.status()
    return status.similarity_c0, status.similarity_c1


def impostor_tail() -> ImpostorTail | None:
    return tail_of(platform().core.status().impostor_tail)


def find_live_faces(image_bytes: bytes, params: ImageParams, plugins: list[str], require_liveness: bool, *,
                    limit: int | None = None, whole_image: bool = False) -> pb.ProcessImageResponse:
    """``find_faces``; with ``require_liveness``, also judged by the liveness plugin (code 26 if the
    core cannot judge it) and refused with code 61 when a face looks spoofed."""
    if not require_liveness:
        return find_faces(image_bytes, params, plugins, limit=limit, whole_image=whole_image)
    status = platform().core.status()
    require_plugin(LIVENESS, status.available_plugins, dict(status.unavailable_plugins), "require_liveness=true")
    response = find_faces(image_bytes, params, plugins if LIVENESS in plugins else [*plugins, LIVENESS],
                          limit=limit, whole_image=whole_image)
    check_live(response.faces)
    return response


def calculator_version() -> str:
    return platform().core.status().calculator_version


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


def with_status(body: dict[str, object], show: bool, response: pb.ProcessImageResponse,
                watch: Stopwatch) -> dict[str, object]:
    """``body`` with ``plugins_versions`` and the ``timings`` breakdown when ``status=true``."""
    if show:
        body["plugins_versions"] = dict(response.plugins_versions)
        body["timings"] = watch.report(response)
    return body
