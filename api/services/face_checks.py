"""Checks on the faces the core found: the enrolment quality gate and the liveness requirement."""

from __future__ import annotations

from collections.abc import Sequence

from api import errors
from proto import core_pb2 as pb

QUALITY = "quality"
LIVENESS = "liveness"


def minimum_quality(requested: float | None, service_minimum: float | None, pack_default: float) -> float:
    """The request's ``min_quality``, else the service's, else the pack's acceptable level (0 when
    the pack has no quality model): 0 means no gate."""
    if requested is not None:
        return requested
    return pack_default if service_minimum is None else service_minimum


def require_plugin(slug: str, available: Sequence[str], unavailable: dict[str, str], asked_by: str) -> None:
    if slug not in available:
        reason = unavailable.get(slug, "the model pack has none")
        raise errors.validation(f"{asked_by} needs the {slug} check, which this server cannot do: {reason}; ")


def check_quality(face: pb.Face, minimum: float) -> None:
    """Code 50 when the face is below ``minimum``."""
    if minimum > 0 and face.quality.value < minimum:
        raise errors.quality_too_low(face.quality.value, minimum, list(face.quality.reasons))


def check_live(faces: Sequence[pb.Face]) -> None:
    """Code 51 when any face is judged a spoof."""
    spoofed = sum(1 for face in faces if face.liveness.value != "real")
    if spoofed:
        raise errors.spoof(spoofed)
