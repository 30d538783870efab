"""A scan's last stage (aliases, state, then resource policy) bounded by the plan it can propose (issue 21).

The would-be candidates are checked in the order the plan's cap ranks them (largest savings first),
batch after batch, until `max_deletions_per_apply` qualify. The plan is the one checking every version
would have given, capped; what was never checked is kept `not_checked_plan_full`."""

from __future__ import annotations

from datetime import datetime

import boto3

from cleaner.demo.account import SimulatedAccount
from cleaner.plan import plan_json_text
from cleaner.planner import cap_deletions
from cleaner.reasons import Reason
from cleaner.settings import ApplyLimits, Performance

from .support import Scanner, deleted, reasons

R = Reason
TWELVE_OLD = [200 - 10 * n for n in range(12)]  # versions 1-9 are candidates, 10-12 the newest three
EVERYTHING = ApplyLimits(max_deletions_per_apply=100_000)
# The highest pacing the settings allow: the limiter is not the subject here.
FAST = Performance(control_plane_rps=15, get_policy_rps=15)


def _pending(account: SimulatedAccount, name: str, version: str) -> None:
    from moto.awslambda.models import lambda_backends

    lambda_backends[account.account_id][account.region].get_function(name, version).state = "Pending"


def _three_sizes(account: SimulatedAccount) -> None:
    """27 would-be candidates ranked big 1-9, mid 1-9, small 1-9 (savings, then age); the checks keep
    big 1-6 (a resource policy each) and big 7-8 (Pending)."""
    account.function("big", TWELVE_OLD, memory_mb=2048)
    account.function("mid", TWELVE_OLD, memory_mb=1024)
    account.function("small", TWELVE_OLD, memory_mb=512)
    for version in "123456":
        account.permission("big", version)
    for version in "78":
        _pending(account, "big", version)


def test_versions_kept_by_the_last_checks_are_replaced_by_the_next_ones_in_rank_order(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    _three_sizes(account)

    plan = run_scan(limits=ApplyLimits(max_deletions_per_apply=10))

    # The ten largest savings that qualify: big:9, then mid 1-9 (the eight bigger ones were kept).
    assert deleted(plan) == sorted(["big:9", *(f"mid:{v}" for v in range(1, 10))])
    kept = reasons(plan)
    assert [kept[f"big:{v}"] for v in range(1, 7)] == [[R.RESOURCE_POLICY_PROTECTED]] * 6
    assert [kept[f"big:{v}"] for v in (7, 8)] == [[R.CHECK_INCOMPLETE]] * 2
    # Batch 1: the top 10 + 5 (7 qualify); batch 2: the 3 missing + 5 (small 1-5); small 6-9 unchecked.
    assert [kept[f"small:{v}"] for v in range(1, 6)] == [[R.OVER_DELETION_CAP]] * 5
    assert [kept[f"small:{v}"] for v in range(6, 10)] == [[R.NOT_CHECKED_PLAN_FULL]] * 4
    assert run_scan.recorder.calls["lambda:GetFunction"] == 15 + 8
    assert run_scan.recorder.calls["lambda:GetPolicy"] == 15 + 8 - 2  # not for the two Pending
    unchecked = [e for e in plan.keep if e.reasons == [R.NOT_CHECKED_PLAN_FULL]]
    assert all(e.state is None for e in unchecked)
    assert "max_deletions_per_apply 10" in unchecked[0].details[0]
    assert plan.summary.not_checked_count == 4
    assert plan.summary.keep_reasons[R.NOT_CHECKED_PLAN_FULL] == 4
    assert any(w.startswith("4 more would-be candidates") for w in plan.warnings), plan.warnings


def test_the_capped_plan_is_the_plan_of_a_scan_that_checked_everything_then_capped(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    _three_sizes(account)
    everything = run_scan(performance=FAST, limits=EVERYTHING)
    checked_everything = run_scan.recorder.calls["lambda:GetPolicy"]

    for cap in (1, 5, 9, 10, 11, 19, 30):
        limits = ApplyLimits(max_deletions_per_apply=cap)
        plan = run_scan(performance=FAST, limits=limits)
        expected = cap_deletions(everything, limits)
        assert plan.delete == expected.delete, cap
        assert plan.summary.estimated_monthly_savings_usd == expected.summary.estimated_monthly_savings_usd
        # Every version is in the plan once, and the unchecked ones are exactly those ranked below
        # every version checked: deferred, never in `delete`.
        assert len(plan.delete) + len(plan.keep) == len(everything.delete) + len(everything.keep)
        assert run_scan.recorder.calls["lambda:GetPolicy"] <= checked_everything
        not_checked = {e.key for e in plan.keep if e.reasons == [R.NOT_CHECKED_PLAN_FULL]}
        assert not_checked <= {e.key for e in expected.keep if e.reasons == [R.OVER_DELETION_CAP]}


def test_a_cap_above_the_candidates_checks_everything_once_as_before(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    _three_sizes(account)

    capped = run_scan(limits=ApplyLimits(max_deletions_per_apply=500))
    calls = run_scan.recorder.calls.copy()
    uncapped = run_scan(limits=EVERYTHING)

    assert calls == run_scan.recorder.calls
    assert calls["lambda:GetFunction"] == 27
    assert capped.delete == uncapped.delete
    assert capped.summary.not_checked_count == 0
    assert R.NOT_CHECKED_PLAN_FULL not in capped.summary.keep_reasons


def test_regions_are_ranked_together_each_checked_through_its_own_client(
    account: SimulatedAccount, aws_session: boto3.Session, run_scan: Scanner, now: datetime
) -> None:
    europe = SimulatedAccount(aws_session, "eu-west-1", now)
    asia = SimulatedAccount(aws_session, "ap-south-1", now)
    account.function("api", TWELVE_OLD, memory_mb=1024)
    europe.function("api", TWELVE_OLD, memory_mb=2048)
    europe.permission("api", "1")
    asia.function("batch", TWELVE_OLD, memory_mb=1769)
    regions = ["us-east-1", "eu-west-1", "ap-south-1"]
    limits = ApplyLimits(max_deletions_per_apply=12)

    at_once = run_scan(performance=Performance(max_concurrent_regions=3), regions=regions, limits=limits)
    in_turn = run_scan(performance=Performance(max_concurrent_regions=1), regions=regions, limits=limits)
    everything = run_scan(regions=regions, limits=EVERYTHING)

    assert plan_json_text(at_once) == plan_json_text(in_turn)
    assert at_once.delete == cap_deletions(everything, limits).delete
    # eu-west-1 2-9 (2048 MB), then ap-south-1 1-4 (1769 MB); us-east-1 (1024 MB) never checked.
    by_region = {region: [e.version for e in at_once.delete if e.region == region] for region in regions}
    assert by_region == {
        "us-east-1": [],
        "eu-west-1": [str(v) for v in range(2, 10)],
        "ap-south-1": list("1234"),
    }
    us = [e for e in at_once.keep if e.region == "us-east-1" and int(e.version) <= 9]
    assert {tuple(e.reasons) for e in us} == {(R.NOT_CHECKED_PLAN_FULL,)}


def test_aliases_are_listed_only_for_the_functions_the_capped_plan_reaches(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("big", TWELVE_OLD, memory_mb=2048)
    account.alias("big", "live", "1")  # keeps the top-ranked would-be candidate
    for index in range(20):
        account.function(f"small{index:02d}", TWELVE_OLD[:4], memory_mb=128)  # one would-be candidate each

    everything = run_scan(limits=EVERYTHING)
    assert everything.summary.not_checked_count == 0
    plan = run_scan(limits=ApplyLimits(max_deletions_per_apply=5))

    # One batch (5 + 5): big 1-9 and the first small function; the other 19 functions never listed.
    assert run_scan.recorder.calls["lambda:ListAliases"] == 2
    assert plan.delete == cap_deletions(everything, ApplyLimits(max_deletions_per_apply=5)).delete
    assert deleted(plan) == [f"big:{v}" for v in range(2, 7)]
    assert reasons(plan)["big:1"] == [R.ALIAS_PROTECTED]
    unchecked = [e for e in plan.keep if e.reasons == [R.NOT_CHECKED_PLAN_FULL]]
    assert len(unchecked) == 19 and all(e.function_name.startswith("small") for e in unchecked)
    assert unchecked[0].details[0].startswith("aliases, state and resource policy not read")
