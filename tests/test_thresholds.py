"""similarity_threshold=auto: the threshold math on its own (no server)."""

from __future__ import annotations

import math

import pytest

from common.thresholds import MARGIN, ImpostorTail, auto_threshold, per_comparison_far, strangers_named

# An exponential tail: far = 10 ** (-10 * (s - 0.1)), i.e. far 1e-1 at 0.2 ... 1e-5 at 0.6.
POINTS = [(0.1 + 0.1 * k, 10.0 ** -k) for k in range(1, 6)]


@pytest.fixture
def tail() -> ImpostorTail:
    return ImpostorTail.from_points(POINTS)


def test_per_comparison_rate_is_about_target_over_n() -> None:
    assert per_comparison_far(0.01, 1) == pytest.approx(0.01)
    assert per_comparison_far(0.01, 1000) == pytest.approx(0.01 / 1000, rel=0.01)
    # Exactly the rate that makes 1 - (1 - far)^N equal the target.
    far = per_comparison_far(0.05, 826)
    assert 1 - (1 - far) ** 826 == pytest.approx(0.05, rel=1e-9)


def test_similarity_inside_the_table_is_interpolated_in_log_far(tail: ImpostorTail) -> None:
    assert tail.similarity_at(1e-3) == pytest.approx(0.4)
    assert tail.similarity_at(10 ** -2.5) == pytest.approx(0.35)
    assert tail.far_at(0.45) == pytest.approx(10 ** -3.5)


def test_beyond_the_table_the_tail_is_extended_as_an_exponential(tail: ImpostorTail) -> None:
    assert tail.similarity_at(1e-7) == pytest.approx(0.8)
    assert tail.far_at(0.8) == pytest.approx(1e-7)
    assert tail.similarity_at(1e-30) == 1.0


def test_a_tail_that_flattens_at_its_rarest_point_is_extended_with_the_flatter_slope() -> None:
    # The body falls a decade per 0.1; the last measured decade takes 0.2 (look-alikes at the top).
    flattening = ImpostorTail.from_points([*POINTS, (0.8, 1e-6)])
    assert flattening.similarity_at(1e-7) == pytest.approx(1.0)
    assert flattening.far_at(0.9) == pytest.approx(10 ** -6.5)
    # A rarest segment steeper than the body's fit (a decade in 0.01) is not trusted: the fit's
    # slope, about a decade per 0.08, is used instead.
    steep = ImpostorTail.from_points([*POINTS, (0.61, 1e-6)])
    assert 0.68 < steep.similarity_at(1e-7) < 0.70


def test_rates_above_the_table_get_its_lowest_similarity(tail: ImpostorTail) -> None:
    assert tail.similarity_at(0.5) == pytest.approx(0.2)


def test_auto_threshold_rises_with_the_collection_and_keeps_the_target_with_a_margin(tail: ImpostorTail) -> None:
    sizes = [1, 100, 826, 10_000, 100_000]
    thresholds = [auto_threshold(tail, n) for n in sizes]
    assert thresholds == sorted(thresholds) and len(set(thresholds)) == len(sizes)
    aim = 0.01 / MARGIN
    for n, threshold in zip(sizes, thresholds):
        assert strangers_named(tail, threshold, n) <= aim * (1 + 1e-6)
        assert strangers_named(tail, threshold - 0.001, n) > aim
    assert thresholds[0] == pytest.approx(0.1 - 0.1 * math.log10(aim), abs=1e-5)  # far = aim for one comparison
    assert auto_threshold(tail, 0) == thresholds[0]


def test_a_stricter_target_gives_a_higher_threshold(tail: ImpostorTail) -> None:
    assert auto_threshold(tail, 826, 0.001) > auto_threshold(tail, 826, 0.01) > auto_threshold(tail, 826, 0.1)


def test_thresholds_are_rounded_up_to_the_apis_five_decimals(tail: ImpostorTail) -> None:
    threshold = auto_threshold(tail, 777)
    assert threshold == round(threshold, 5)
    assert threshold >= tail.similarity_at(per_comparison_far(0.01 / MARGIN, 777))


def test_no_faces_names_no_stranger(tail: ImpostorTail) -> None:
    assert strangers_named(tail, 0.3, 0) == 0.0


@pytest.mark.parametrize("points", [
    [(0.2, 0.1)],
    [(0.3, 0.1), (0.2, 0.01)],
    [(0.2, 0.1), (0.3, 0.2)],
    [(0.2, 0.1), (0.3, 0.0)],
])
def test_malformed_tables_are_refused(points: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError):
        ImpostorTail.from_points(points)


@pytest.mark.parametrize("target", [0.0, 1.0, -0.1, math.nan])
def test_targets_outside_0_1_are_refused(tail: ImpostorTail, target: float) -> None:
    with pytest.raises(ValueError):
        auto_threshold(tail, 10, target)
