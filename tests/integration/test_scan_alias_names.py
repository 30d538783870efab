"""Alias names for traffic attribution come from CloudWatch's ListMetrics; ListAliases runs only for the
functions that still hold a candidate after usage. ListMetrics is a hint: whatever it misses or adds,
a version is never made to look unused, and candidates are judged exactly as with aliases listed first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from cleaner.aws.metrics import LIST_METRICS_HORIZON
from cleaner.demo.account import SimulatedAccount
from cleaner.reasons import Reason

from .support import Faults, Scanner, deleted, reasons

OLD = [100, 90, 80, 70, 60, 50]  # 1-3 stale, 4-6 the newest three
R = Reason


def _series(datum: Any) -> tuple[Any, ...]:
    return (datum.namespace, datum.name, tuple(sorted((d.name, d.value) for d in datum.dimensions)))


@pytest.fixture
def list_metrics_as_aws(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    """moto lists every series ever put; AWS only those with a datapoint in the past two weeks."""
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.list_metrics
    end = now.astimezone(UTC).replace(tzinfo=None)  # moto keeps naive UTC timestamps

    def list_metrics(self: Any, *args: Any) -> tuple[str | None, list[Any]]:
        token, metrics = original(self, *args)
        recent = {
            _series(d) for d in self.get_all_metrics() if end - LIST_METRICS_HORIZON <= d.timestamp <= end
        }
        return token, [metric for metric in metrics if _series(metric) in recent]

    monkeypatch.setattr(CloudWatchBackend, "list_metrics", list_metrics)


@pytest.fixture
def list_metrics_lists_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a just-created series looks to ListMetrics (AWS: up to 15 minutes until it is listed)."""
    from moto.cloudwatch.models import CloudWatchBackend

    empty: Callable[..., tuple[None, list[Any]]] = lambda self, *args: (None, [])  # noqa: E731
    monkeypatch.setattr(CloudWatchBackend, "list_metrics", empty)


@pytest.mark.usefixtures("list_metrics_as_aws")
def test_an_alias_with_traffic_only_older_than_list_metrics_window_still_keeps_the_version_it_ran(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("api", OLD)
    account.alias("api", "beta", "6")
    # 20 days ago: inside a 30-day lookback, outside the two weeks ListMetrics lists.
    account.invocations("api", 9, days_ago=20, alias="beta", executed_version="1")

    plan = run_scan(lookback_days=30)

    assert reasons(plan)["api:1"] == [R.HAS_RECENT_INVOCATIONS]
    assert deleted(plan) == ["api:2", "api:3"]  # the listed alias explains the function-level total
    assert run_scan.recorder.calls["cloudwatch:ListMetrics"] == 1
    assert run_scan.recorder.calls["lambda:ListAliases"] == 1


@pytest.mark.usefixtures("list_metrics_lists_nothing")
def test_alias_traffic_that_list_metrics_does_not_list_keeps_every_candidate_as_uncertain(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("api", OLD)
    account.alias("api", "beta", "6")
    account.invocations("api", 9, days_ago=2, alias="beta", executed_version="1")

    plan = run_scan()

    for label in ("api:1", "api:2", "api:3"):
        assert reasons(plan)[label] == [R.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN], label
    assert deleted(plan) == []


@pytest.mark.usefixtures("list_metrics_as_aws")
def test_a_series_of_an_alias_that_no_longer_exists_does_not_explain_traffic(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    # CloudWatch still lists `old` (deleted since, or never listed by ListAliases): usage is read again
    # with the aliases ListAliases returns, as if the aliases had been listed first.
    account.function("api", OLD)
    account.invocations("api", 4, days_ago=2, alias="old", executed_version="1")

    plan = run_scan()

    for label in ("api:1", "api:2", "api:3"):
        assert reasons(plan)[label] == [R.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN], label
    assert deleted(plan) == []


@pytest.mark.usefixtures("list_metrics_as_aws")
def test_list_metrics_denied_falls_back_to_list_aliases_with_the_same_candidates(
    account: SimulatedAccount, run_scan: Scanner, faults: Faults
) -> None:
    account.function("api", OLD)
    account.alias("api", "beta", "6")
    account.invocations("api", 9, days_ago=2, alias="beta", executed_version="1")
    faults.deny("cloudwatch", "ListMetrics")

    plan = run_scan()

    assert reasons(plan)["api:1"] == [R.HAS_RECENT_INVOCATIONS]
    assert deleted(plan) == ["api:2", "api:3"]
    assert any("cloudwatch:ListMetrics" in warning for warning in plan.warnings), plan.warnings


@pytest.mark.usefixtures("list_metrics_as_aws")
def test_list_aliases_runs_only_for_functions_that_still_hold_a_candidate_after_usage(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("used", OLD)
    account.alias("used", "live", "6")
    for version in "123":
        account.invocations("used", 2, days_ago=1, alias="live", executed_version=version)
    account.function("idle", OLD)
    account.alias("idle", "rollback", "2")

    plan = run_scan()

    assert deleted(plan) == ["idle:1", "idle:3"]
    assert reasons(plan)["idle:2"] == [R.ALIAS_PROTECTED]
    assert reasons(plan)["used:1"] == [R.HAS_RECENT_INVOCATIONS]
    assert run_scan.recorder.calls["lambda:ListAliases"] == 1  # idle only: used keeps every version
    assert run_scan.recorder.calls["cloudwatch:ListMetrics"] == 1
