"""bench.soak's growth measure: 5-minute means after minute 5, so that one minute's requests in flight do not
read as growth, while a steady climb still does."""

from bench.soak import growth_percent, last_vs_minute_5_percent

FLAT_WITH_SWINGS = [500.0] + [1000.0, 1030.0, 970.0] * 10  # 31 samples: a flat level swinging by 3 %


def test_swings_around_a_flat_level_are_not_growth() -> None:
    assert abs(growth_percent(FLAT_WITH_SWINGS)) < 2.0
    assert abs(last_vs_minute_5_percent(FLAT_WITH_SWINGS)) > 2.0  # what a single sample would have said


def test_a_steady_climb_is_growth() -> None:
    climbing = [1000.0 * (1 + 0.002 * minute) for minute in range(31)]  # 0.2 % a minute
    assert growth_percent(climbing) > 2.0


def test_the_first_minutes_do_not_count() -> None:
    warming_up = [100.0, 300.0, 600.0, 900.0, 990.0] + [1000.0] * 26
    assert growth_percent(warming_up) == 0.0


def test_a_short_run_compares_its_first_and_last_samples() -> None:
    assert growth_percent([100.0, 103.0]) == 3.0
