"""GetMetricData batching arithmetic (cleaner/aws/metrics.py choose_period / queries_per_call: pure).

CloudWatch caps one GetMetricData call at 100,800 datapoints and 500 queries, and keeps 1-minute data
15 days, 5-minute data 63 days and 1-hour data 455 days: the period must be a multiple of what is still
held for the oldest point of the window."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from cleaner.aws.metrics import (
    MAX_DATAPOINTS_PER_CALL,
    MAX_QUERIES_PER_CALL,
    choose_period,
    queries_per_call,
    retention_floor_seconds,
)

LOOKBACKS = [timedelta(days=d) for d in range(1, 456)] + [
    timedelta(hours=h) for h in (1, 6, 23, 15 * 24 + 1, 63 * 24 + 1, 454 * 24 + 7)
]


def points(lookback: timedelta, period: int) -> int:
    # A window not aligned to the period touches one more bucket.
    return math.ceil(lookback.total_seconds() / period) + 1


@pytest.mark.parametrize(
    ("lookback", "floor"),
    [
        (timedelta(days=1), 60),
        (timedelta(days=15), 60),
        (timedelta(days=15, seconds=1), 300),
        (timedelta(days=63), 300),
        (timedelta(days=63, seconds=1), 3600),
        (timedelta(days=455), 3600),
    ],
    ids=["1d", "15d", "15d+1s", "63d", "63d+1s", "455d"],
)
def test_retention_floor(lookback: timedelta, floor: int) -> None:
    assert retention_floor_seconds(lookback) == floor


def test_a_full_batch_never_exceeds_the_datapoint_cap_for_any_lookback() -> None:
    for lookback in LOOKBACKS:
        period = choose_period(lookback)
        size = queries_per_call(lookback, period)
        assert 1 <= size <= MAX_QUERIES_PER_CALL
        assert size * points(lookback, period) <= MAX_DATAPOINTS_PER_CALL, lookback


def test_the_period_is_a_multiple_of_the_retention_floor_and_of_a_minute() -> None:
    for lookback in LOOKBACKS:
        period = choose_period(lookback)
        assert period % retention_floor_seconds(lookback) == 0, lookback
        assert period % 60 == 0


def test_the_chosen_period_always_fits_a_full_batch_of_500_series() -> None:
    # choose_period promises the finest period for which 500 series fit in one call.
    short = [lb for lb in LOOKBACKS if queries_per_call(lb, choose_period(lb)) < MAX_QUERIES_PER_CALL]
    assert short == []


def test_the_chosen_period_is_the_finest_that_fits() -> None:
    ladder = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
    for lookback in LOOKBACKS:
        period = choose_period(lookback)
        floor = retention_floor_seconds(lookback)
        finer = [p for p in ladder if p < period and p % floor == 0]
        for candidate in finer:
            assert queries_per_call(lookback, candidate) < MAX_QUERIES_PER_CALL, (lookback, candidate)


def test_typical_lookbacks() -> None:
    assert choose_period(timedelta(days=14)) == 7200
    assert queries_per_call(timedelta(days=14), 7200) == MAX_QUERIES_PER_CALL
    assert choose_period(timedelta(days=455)) % 86400 == 0
