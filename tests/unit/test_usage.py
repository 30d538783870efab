"""Traffic attribution (cleaner/usage.py): which series explain the function-level total, and how a
version's usage is summed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.usage import NO_TRAFFIC, SeriesTotal, invocation_dimensions, unattributed, version_usage

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def test_dimensions_are_in_one_canonical_order() -> None:
    assert invocation_dimensions("api") == (("FunctionName", "api"),)
    assert invocation_dimensions("api", "api:3") == (("FunctionName", "api"), ("Resource", "api:3"))
    assert invocation_dimensions("api", executed_version="3", resource="api:live") == (
        ("FunctionName", "api"),
        ("Resource", "api:live"),
        ("ExecutedVersion", "3"),
    )


def test_unattributed_is_what_the_version_and_alias_series_leave_unexplained() -> None:
    assert unattributed(SeriesTotal(10), [SeriesTotal(3), SeriesTotal(4)]) == 3
    assert unattributed(SeriesTotal(7), [SeriesTotal(3), SeriesTotal(4)]) == 0
    assert unattributed(SeriesTotal(5), []) == 5
    assert unattributed(NO_TRAFFIC, []) == 0


def test_unattributed_is_never_negative_when_series_overcount() -> None:
    # Late or differently-aggregated datapoints can make the parts exceed the whole.
    assert unattributed(SeriesTotal(2), [SeriesTotal(3), SeriesTotal(4)]) == 0


totals = st.floats(min_value=0, max_value=1e9, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(totals, st.lists(totals, max_size=6))
def test_unattributed_is_never_negative_and_never_more_than_the_total(
    whole: float, parts: list[float]
) -> None:
    left = unattributed(SeriesTotal(whole), [SeriesTotal(p) for p in parts])
    assert 0 <= left <= whole
    if sum(parts) <= whole:
        assert left == whole - sum(parts)


def test_series_totals_add_and_keep_the_newest_timestamp() -> None:
    a = SeriesTotal(2, T0)
    b = SeriesTotal(3, T0 + timedelta(hours=5))
    assert a + b == SeriesTotal(5, T0 + timedelta(hours=5))
    assert b + a == SeriesTotal(5, T0 + timedelta(hours=5))
    assert a + NO_TRAFFIC == a
    total = NO_TRAFFIC + NO_TRAFFIC
    assert (total.total, total.last) == (0, None)


def test_version_usage_sums_direct_and_alias_routed_traffic() -> None:
    direct = SeriesTotal(4, T0 + timedelta(days=1))
    routed = {"live": SeriesTotal(2, T0 + timedelta(days=3)), "beta": SeriesTotal(1, T0)}
    usage = version_usage(direct, routed)
    assert (usage.direct, usage.via_aliases, usage.total) == (4, 3, 7)
    assert usage.last_invoked == T0 + timedelta(days=3)


def test_version_usage_keeps_the_direct_timestamp_when_it_is_newest() -> None:
    usage = version_usage(SeriesTotal(1, T0 + timedelta(days=9)), {"live": SeriesTotal(2, T0)})
    assert usage.last_invoked == T0 + timedelta(days=9)


def test_version_usage_without_traffic_has_no_last_invocation() -> None:
    usage = version_usage(NO_TRAFFIC, {})
    assert (usage.total, usage.last_invoked) == (0, None)
    usage = version_usage(NO_TRAFFIC, {"live": NO_TRAFFIC})
    assert (usage.total, usage.last_invoked) == (0, None)


def test_version_usage_through_aliases_only() -> None:
    usage = version_usage(NO_TRAFFIC, {"live": SeriesTotal(6, T0)})
    assert (usage.direct, usage.via_aliases, usage.last_invoked) == (0, 6, T0)
