"""A recognition service's own settings (stored on its row, set through the admin API and the
``likeness`` CLI) and how a request's similarity threshold is settled from them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from common import errors
from common.thresholds import DEFAULT_STRANGER_TARGET, ImpostorTail, auto_threshold

AUTO = "auto"


@dataclass(frozen=True)
class RecognitionSettings:
    similarity_threshold: str | None = None  # "auto", a number in [0, 1], or None: none
    stranger_target: float = DEFAULT_STRANGER_TARGET
    min_quality: float | None = None  # None: the model pack's acceptable level; 0: no gate


def parse_threshold(value: str, name: str = "similarity_threshold") -> str:
    """``auto`` or a number in [0, 1] in canonical text (6 significant digits, as stored); code 26 otherwise."""
    text = value.strip().lower()
    if text == AUTO:
        return AUTO
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not 0.0 <= number <= 1.0:
        raise errors.validation(f"{name} should be a number between 0 and 1, or auto; ")
    return format(number, ".6g")


def parse_fraction(value: object, name: str, *, low_open: bool) -> float:
    """A number in (0, 1) (``low_open``) or [0, 1]; code 26 otherwise."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not ((0.0 < number < 1.0) if low_open else (0.0 <= number <= 1.0)):
        bounds = "greater than 0 and less than 1" if low_open else "between 0 and 1"
        raise errors.validation(f"{name} should be a number {bounds}; ")
    return number


def settle_threshold(requested: str | None, settings: RecognitionSettings, faces: int,
                     tail: Callable[[], ImpostorTail | None], fallback: float) -> float:
    """The similarity threshold of one request: the request's, else the service's, else ``fallback``;
    ``auto`` becomes the threshold that keeps a stranger's chance of being named among ``faces``
    at the service's stranger target."""
    choice = requested if requested is not None else settings.similarity_threshold
    if choice is None:
        return fallback
    if choice != AUTO:
        return float(choice)
    impostors = tail()
    if impostors is None:
        raise errors.validation("similarity_threshold=auto needs the model pack's measured impostor tail, "
                                "and this pack has none; give a number instead; ")
    return auto_threshold(impostors, faces, settings.stranger_target)
