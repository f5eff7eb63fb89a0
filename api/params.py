"""Request parameters as CompreFace reads them: from the query or from form fields, validated with
its messages (code 26, each message followed by "; ")."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Request

from api.services.faces import ImageParams
from common import errors
from common.recognition_settings import parse_fraction, parse_threshold

T = TypeVar("T")
D = TypeVar("D")

TRUE_WORDS = {"true", "1", "yes", "on"}
FALSE_WORDS = {"false", "0", "no", "off", ""}
INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1


def raw(request: Request, name: str) -> str | None:
    """The parameter from the query string or a form field; None when absent."""
    values = request.args.getlist(name) + request.form.getlist(name)
    return ",".join(values) if values else None


def integer(request: Request, name: str, default: int) -> int:
    """A 32-bit integer, as CompreFace's Java parameters are: larger values are code 26, not a 5xx
    further down (the core's protobuf fields and PostgreSQL's OFFSET have fixed widths)."""
    value = _converted(request, name, int, "an integer", default)
    if not INT_MIN <= value <= INT_MAX:
        raise errors.validation(f"{name} should be an integer from {INT_MIN} to {INT_MAX}; ")
    return value


def number(request: Request, name: str) -> float | None:
    return _converted(request, name, float, "a number", None)


def _converted(request: Request, name: str, convert: Callable[[str], T], kind: str, default: D) -> T | D:
    """The parameter converted, ``default`` when absent or empty, code 26 when malformed."""
    value = raw(request, name)
    if value is None or value == "":
        return default
    try:
        return convert(value)
    except ValueError:
        raise errors.validation(f"{name} should be {kind}; ") from None


def boolean(request: Request, name: str, default: bool) -> bool:
    value = raw(request, name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return default if word == "" else False
    raise errors.validation(f"{name} should be true or false; ")


def plugins(request: Request) -> list[str]:
    """``face_plugins`` comma-separated, repeated, or both."""
    value = raw(request, "face_plugins") or ""
    return [slug.strip().lower() for slug in value.split(",") if slug.strip()]


def image_params(request: Request) -> ImageParams:
    limit = integer(request, "limit", 0)
    if limit < 0:
        raise errors.validation("Limit should be equal or greater than 0; ")
    threshold = number(request, "det_prob_threshold")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise errors.no_face("Detection threshold incorrect (0 <= det_prob_threshold <= 1)")
    return ImageParams(limit, threshold, plugins(request), boolean(request, "status", False))


def prediction_count(request: Request) -> int:
    """At least 1; -1 means every candidate (an addition CompreFace's maintainers recommend)."""
    count = integer(request, "prediction_count", 1)
    if count == 0 or count < -1:
        raise errors.validation("prediction_count should be equal or greater than 1; ")
    return count


def similarity_threshold(request: Request) -> str | None:
    """An addition: candidates below this similarity are dropped, so a stranger gets no subject.
    A number in [0, 1] or ``auto`` (canonical text), None when the request gives none."""
    value = raw(request, "similarity_threshold")
    if value is None or value == "":
        return None
    return parse_threshold(value)


def min_quality(request: Request) -> float | None:
    """An addition: the enrolment gate's level for this request (0 turns it off)."""
    value = raw(request, "min_quality")
    if value is None or value == "":
        return None
    return parse_fraction(value, "min_quality", low_open=False)
