"""Checks on the faces the core finds: the enrolment quality gate and the liveness requirement."""

from __future__ import annotations

from collections.abc import Sequence

from api.services.faces import ImageParams, find_faces
from common import errors
from common.core_client import CoreClient
from proto import core_pb2 as pb

QUALITY = "quality"
LIVENESS = "liveness"


def require_plugin(core: CoreClient, slug: str, asked_by: str) -> None:
    """Code 26 when the core cannot run the plugin ``slug`` that ``asked_by`` needs."""
    status = core.status()
    if slug not in status.available_plugins:
        reason = dict(status.unavailable_plugins).get(slug, "the model pack has none")
        raise errors.validation(f"{asked_by} needs the {slug} check, which this server cannot do: {reason}; ")


def find_checked_faces(core: CoreClient, image: bytes, params: ImageParams, plugins: list[str],
                       require_liveness: bool, *, limit: int | None = None,
                       whole_image: bool = False) -> pb.ProcessImageResponse:
    """``find_faces``; with ``require_liveness``, also judged by the liveness plugin and refused with
    code 61 when a face looks spoofed."""
    if not require_liveness:
        return find_faces(core, image, params, plugins, limit=limit, whole_image=whole_image)
    require_plugin(core, LIVENESS, "require_liveness=true")
    response = find_faces(core, image, params, plugins if LIVENESS in plugins else [*plugins, LIVENESS],
                          limit=limit, whole_image=whole_image)
    check_live(response.faces)
    return response


def minimum_quality(requested: float | None, service_minimum: float | None, pack_default: float) -> float:
    """The request's ``min_quality``, else the service's, else the pack's acceptable level (0 when
    the pack has no quality model): 0 means no gate."""
    if requested is not None:
        return requested
    return pack_default if service_minimum is None else service_minimum


def check_quality(face: pb.Face, minimum: float) -> None:
    """Code 60 when the face is below ``minimum``."""
    if minimum > 0 and face.quality.value < minimum:
        raise errors.quality_too_low(face.quality.value, minimum, list(face.quality.reasons))


def check_live(faces: Sequence[pb.Face]) -> None:
    """Code 61 when any face is judged a spoof."""
    spoofed = sum(1 for face in faces if face.liveness.value != "real")
    if spoofed:
        raise errors.spoof(spoofed)
