"""``similarity_threshold=auto``: the similarity a stranger reaches against N enrolled faces with at
most a target probability, from the recognizer's impostor tail measured on LFW-dev.

A stranger compared with N faces is named when any of the N similarities reaches the threshold.
Taking the comparisons as independent, P(named) = 1 - (1 - far(t))^N, so the threshold must have
a per-comparison impostor rate far(t) <= 1 - (1 - target)^(1/N) (about target / N).

``far(t)`` comes from the pack's table of (similarity, share of LFW-dev impostor pairs reaching
it), measured down to about five pairs in the ~5.2 million. Between points log10(far) is
interpolated linearly in the similarity. Beyond the rarest measured point the tail is extended as
an exponential (a straight line in log10(far)) with the flatter of two slopes: the rarest
measured segment's, and the least-squares fit to the points at or below TAIL_FIT_FROM. Measured
impostor tails flatten at the top (look-alikes, relatives, mislabelled photos), so the flatter
slope keeps the estimate on the side of fewer strangers named; it is an estimate, not a
measurement.

Two things make a stranger more likely to be named than the independent-comparison formula says:
a stranger who looks like someone enrolled is close to that face in every photo (comparisons of
one stranger are not independent), and the table is an in-sample estimate. So auto aims at
target / MARGIN: at 826 real faces a 1 % aim measured 1.23 % of strangers named, a 0.5 % aim
0.25 % (bench/results/open_set.json, auto_no_margin and auto).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_STRANGER_TARGET = 0.01
TAIL_FIT_FROM = 1e-3
MARGIN = 2.0


@dataclass(frozen=True)
class ImpostorTail:
    """(similarity, far) points, similarity ascending and far descending, far in (0, 1)."""

    similarities: np.ndarray
    log_fars: np.ndarray  # log10(far)

    @classmethod
    def from_points(cls, points: Sequence[tuple[float, float]]) -> "ImpostorTail":
        if len(points) < 2:
            raise ValueError("an impostor tail needs at least two (similarity, far) points")
        similarities = np.array([similarity for similarity, _ in points], dtype=np.float64)
        fars = np.array([far for _, far in points], dtype=np.float64)
        if np.any(np.diff(similarities) <= 0) or np.any(np.diff(fars) >= 0) or fars.min() <= 0 or fars.max() >= 1:
            raise ValueError("impostor tail points must rise in similarity and fall in far, with 0 < far < 1")
        return cls(similarities, np.log10(fars))

    def _extension(self) -> tuple[float, float]:
        """(slope, intercept) of log10(far) against similarity beyond the last point."""
        fitted = self.log_fars <= math.log10(TAIL_FIT_FROM)
        if fitted.sum() < 2:
            fitted = np.zeros_like(fitted)
            fitted[-2:] = True
        body = float(np.polyfit(self.similarities[fitted], self.log_fars[fitted], 1)[0])
        rarest = float((self.log_fars[-1] - self.log_fars[-2]) / (self.similarities[-1] - self.similarities[-2]))
        slope = max(body, rarest)  # both negative: the flatter one
        return slope, float(self.log_fars[-1] - slope * self.similarities[-1])

    def similarity_at(self, far: float) -> float:
        """The similarity that impostor comparisons reach with probability ``far``."""
        if not 0.0 < far < 1.0:
            raise ValueError("far must be in (0, 1)")
        log_far = math.log10(far)
        if log_far >= self.log_fars[0]:
            return float(self.similarities[0])
        if log_far >= self.log_fars[-1]:
            # np.interp needs rising x: log_fars fall, so interpolate on the reversed arrays.
            return float(np.interp(log_far, self.log_fars[::-1], self.similarities[::-1]))
        slope, intercept = self._extension()
        if slope >= 0:
            return 1.0
        return min(1.0, (log_far - intercept) / slope)

    def far_at(self, similarity: float) -> float:
        """The share of impostor comparisons reaching ``similarity`` (extended past the table)."""
        if similarity <= self.similarities[0]:
            return float(10 ** self.log_fars[0])
        if similarity <= self.similarities[-1]:
            return float(10 ** np.interp(similarity, self.similarities, self.log_fars))
        slope, intercept = self._extension()
        return float(10 ** min(self.log_fars[-1], slope * similarity + intercept))


def per_comparison_far(target: float, faces: int) -> float:
    """The per-comparison impostor rate that keeps P(a stranger is named among ``faces``) at ``target``."""
    if not 0.0 < target < 1.0:
        raise ValueError("the stranger target must be in (0, 1)")
    return -math.expm1(math.log1p(-target) / max(faces, 1))


def auto_threshold(tail: ImpostorTail, faces: int, target: float = DEFAULT_STRANGER_TARGET) -> float:
    """The threshold for ``faces`` enrolled faces (aiming at ``target`` / MARGIN), rounded up to
    the api's 5 decimals."""
    if not 0.0 < target < 1.0:
        raise ValueError("the stranger target must be in (0, 1)")
    similarity = tail.similarity_at(per_comparison_far(target / MARGIN, faces))
    return min(1.0, math.ceil(similarity * 1e5 - 1e-9) / 1e5)


def strangers_named(tail: ImpostorTail, threshold: float, faces: int) -> float:
    """Expected share of strangers named at ``threshold`` against ``faces`` faces (independence)."""
    if faces <= 0:
        return 0.0
    return -math.expm1(faces * math.log1p(-tail.far_at(threshold)))


def tail_of(points: Sequence[object]) -> ImpostorTail | None:
    """The tail from GetStatus's ``impostor_tail`` (objects with similarity and far); None when empty."""
    if not points:
        return None
    return ImpostorTail.from_points([(point.similarity, point.far) for point in points])
