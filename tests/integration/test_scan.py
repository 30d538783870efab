"""The scan against a simulated AWS account (moto): every reason flag from real API answers, failures
that stop the run or keep only the versions they touch, and what the scan spends in API calls."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from cleaner.aws.ratelimit import CONTROL_PLANE, RateLimiter
from cleaner.aws.session import AwsContext
from cleaner.demo.account import SimulatedAccount
from cleaner.exit_codes import ExitCode
from cleaner.plan import plan_json_text
from cleaner.reasons import Reason
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, Performance, ScanSettings

from .support import (
    Faults,
    Predicate,
    Scanner,
    associate_lambda_edge,
    deleted,
    entries,
    function_is,
    reasons,
    run_cli_scan,
)

OLD = [100, 90, 80, 70, 60, 50]  # six deploys, all stale: 1-3 are candidates, 4-6 the newest three
ARN = "arn:aws:lambda:us-east-1:123456789012:function"
R = Reason


# --- every reason flag from a real (simulated) account --------------------------------------------------


def test_a_stale_unused_version_is_proposed_with_no_activity_and_stale(
    account: SimulatedAccount, run_scan: Scanner, now: datetime
) -> None:
    account.function("api", OLD, memory_mb=2048)

    plan = run_scan()

    assert deleted(plan) == ["api:1", "api:2", "api:3"]
    entry = entries(plan)["api:1"]
    assert entry.reasons == [R.NO_ACTIVITY_AND_STALE]
    assert (entry.function_arn, entry.state, entry.age_days, entry.last_invoked) == (
        f"{ARN}:api:1",
        "Active",
        100,
        None,
    )
    assert entry.last_modified == now - timedelta(days=100)
    assert entry.estimated_monthly_cost_usd > 0
    assert plan.warnings == []


def test_an_alias_keeps_the_version_it_points_at(account: SimulatedAccount, run_scan: Scanner) -> None:
    account.function("api", OLD)
    account.alias("api", "rollback", "2")

    plan = run_scan()

    assert reasons(plan)["api:2"] == [R.ALIAS_PROTECTED]
    assert "alias rollback (primary)" in entries(plan)["api:2"].details
    assert deleted(plan) == ["api:1", "api:3"]


def test_weighted_alias_routing_keeps_the_additional_version(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("api", OLD)
    account.alias("api", "live", "6", weights={"1": 0.1})

    plan = run_scan()

    assert reasons(plan)["api:1"] == [R.ALIAS_PROTECTED]
    assert "alias live (weighted 0.1)" in entries(plan)["api:1"].details
    assert deleted(plan) == ["api:2", "api:3"]


def test_a_version_invoked_directly_in_the_lookback_window_is_kept(
    account: SimulatedAccount, run_scan: Scanner, now: datetime
) -> None:
    account.function("api", OLD)
    account.invocations("api", 5, days_ago=3, version="2")

    plan = run_scan()

    entry = entries(plan)["api:2"]
    assert entry.reasons == [R.HAS_RECENT_INVOCATIONS]
    assert entry.invocations_in_window == 5
    assert entry.last_invoked == now - timedelta(days=3)
    assert deleted(plan) == ["api:1", "api:3"]


def test_a_version_reached_only_through_an_alias_is_kept_from_its_executed_version_series(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("api", OLD)
    # `beta` points at 6 now, but ran version 1 two days ago: only ExecutedVersion=1 says so.
    account.alias("api", "beta", "6")
    account.invocations("api", 9, days_ago=2, alias="beta", executed_version="1")

    plan = run_scan()

    entry = entries(plan)["api:1"]
    assert entry.reasons == [R.HAS_RECENT_INVOCATIONS]
    assert entry.invocations_in_window == 9
    assert deleted(plan) == ["api:2", "api:3"]  # the alias traffic explains the function-level total


def test_unqualified_traffic_keeps_every_candidate_of_the_function_as_uncertain(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("legacy", OLD)
    account.function("quiet", OLD)
    account.invocations("legacy", 12, days_ago=2, unqualified=True)

    plan = run_scan()

    for version in ("1", "2", "3"):
        assert reasons(plan)[f"legacy:{version}"] == [R.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN]
    assert "12 function-level invocations" in entries(plan)["legacy:1"].details[0]
    assert deleted(plan) == ["quiet:1", "quiet:2", "quiet:3"]


def test_traffic_partly_unexplained_still_makes_the_function_uncertain(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("api", OLD)
    account.invocations("api", 40, days_ago=1, version="6")
    account.invocations("api", 1, days_ago=1, unqualified=True)

    plan = run_scan()

    assert deleted(plan) == []
    assert reasons(plan)["api:1"] == [R.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN]


def test_a_function_whose_traffic_is_fully_explained_by_version_and_alias_series_is_not_blocked(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("api", OLD)
    account.alias("api", "live", "6")
    account.invocations("api", 40, days_ago=1, version="6")
    account.invocations("api", 900, days_ago=2, alias="live", executed_version="6")
    account.invocations("api", 3, days_ago=4, version="5")

    plan = run_scan()

    assert deleted(plan) == ["api:1", "api:2", "api:3"]
    assert entries(plan)["api:1"].invocations_in_window == 0
    assert reasons(plan)["api:6"] == [R.PROTECTED_KEPT_LAST_N, R.ALIAS_PROTECTED, R.HAS_RECENT_INVOCATIONS]


@pytest.mark.parametrize(("lookback_days", "kept"), [(None, False), (30, True)])
def test_only_traffic_inside_the_lookback_window_keeps_a_version(
    account: SimulatedAccount, run_scan: Scanner, lookback_days: int | None, kept: bool
) -> None:
    account.function("api", OLD)
    account.invocations("api", 5, days_ago=20, version="2")

    plan = run_scan(lookback_days=lookback_days)

    assert ("api:2" in deleted(plan)) is not kept
    assert entries(plan)["api:2"].reasons == (
        [R.HAS_RECENT_INVOCATIONS] if kept else [R.NO_ACTIVITY_AND_STALE]
    )


def test_event_source_mappings_keep_their_version_whether_created_with_name_or_arn(
    account: SimulatedAccount, run_scan: Scanner, aws_session: boto3.Session
) -> None:
    account.function("consumer", OLD)
    by_name = account.event_source_mapping("consumer", "2", "orders")
    sqs = aws_session.client("sqs", region_name="us-east-1")
    queue_url = sqs.create_queue(QueueName="refunds")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    account.lambda_.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=f"{ARN}:consumer:3")

    plan = run_scan()

    assert reasons(plan)["consumer:2"] == [R.EVENT_SOURCE_MAPPING_PROTECTED]
    assert reasons(plan)["consumer:3"] == [R.EVENT_SOURCE_MAPPING_PROTECTED]
    assert f"event source mapping {by_name}" in entries(plan)["consumer:2"].details
    assert deleted(plan) == ["consumer:1"]


def test_a_resource_policy_granted_on_exactly_a_version_keeps_only_that_version(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("hook", OLD)
    account.permission("hook", "2")
    account.lambda_.add_permission(
        FunctionName="hook", StatementId="any", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com"
    )

    plan = run_scan()

    assert reasons(plan)["hook:2"] == [R.RESOURCE_POLICY_PROTECTED]
    assert "resource policy statement invoke-hook-2" in entries(plan)["hook:2"].details
    assert deleted(plan) == ["hook:1", "hook:3"]


def test_a_lambda_edge_association_keeps_its_version(
    account: SimulatedAccount, run_scan: Scanner, aws_session: boto3.Session
) -> None:
    account.function("edge", OLD, memory_mb=128)
    distribution = associate_lambda_edge(aws_session, f"{ARN}:edge:1")

    plan = run_scan()

    assert reasons(plan)["edge:1"] == [R.CLOUDFRONT_PROTECTED]
    assert f"CloudFront distribution {distribution}" in entries(plan)["edge:1"].details
    assert deleted(plan) == ["edge:2", "edge:3"]


@pytest.mark.parametrize("value", ["", "compliance", "false"])
def test_the_protect_tag_keeps_every_version_whatever_its_value(
    account: SimulatedAccount, run_scan: Scanner, value: str
) -> None:
    account.function("payments", OLD, tags={"snapstart-cleaner:keep": value})
    account.function("api", OLD, tags={"team": "payments"})

    plan = run_scan()

    assert reasons(plan)["payments:1"] == [R.TAG_PROTECTED]
    assert reasons(plan)["payments:6"] == [R.TAG_PROTECTED, R.PROTECTED_KEPT_LAST_N]
    assert deleted(plan) == ["api:1", "api:2", "api:3"]


def test_a_custom_protect_tag_is_honoured(account: SimulatedAccount, run_scan: Scanner) -> None:
    account.function("payments", OLD, tags={"team:keep": "yes"})

    plan = run_scan(protect_tag="team:keep")

    assert deleted(plan) == []
    assert reasons(plan)["payments:1"] == [R.TAG_PROTECTED]


def test_include_and_exclude_globs_keep_the_functions_they_filter_out(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    for name in ("api-orders", "api-sandbox", "worker"):
        account.function(name, OLD)

    plan = run_scan(include=["api-*"], exclude=["*-sandbox"])

    assert deleted(plan) == ["api-orders:1", "api-orders:2", "api-orders:3"]
    assert reasons(plan)["api-sandbox:1"] == [R.EXCLUDED_BY_FILTER]
    assert reasons(plan)["worker:2"] == [R.EXCLUDED_BY_FILTER]
    assert reasons(plan)["worker:5"] == [R.EXCLUDED_BY_FILTER, R.PROTECTED_KEPT_LAST_N]


def test_versions_younger_than_min_age_days_are_kept_as_too_recent(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("api", [30, 14, 13.9, 10, 5, 1])

    plan = run_scan(min_age_days=14)

    assert deleted(plan) == ["api:1", "api:2"]  # exactly 14 days old is old enough
    assert reasons(plan)["api:3"] == [R.TOO_RECENT]
    assert reasons(plan)["api:6"] == [R.TOO_RECENT, R.PROTECTED_KEPT_LAST_N]


def test_keep_last_n_counts_every_published_version_snapstart_or_not(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    # SnapStart was turned off for the last three deploys: they are the newest three, so every old
    # SnapStart version is a candidate, and the non-SnapStart ones are not in the plan at all.
    account.function("reports", OLD, snapstart=[True] * 3 + [False] * 3)

    plan = run_scan(keep_last_n=3)

    assert deleted(plan) == ["reports:1", "reports:2", "reports:3"]
    assert sorted(entries(plan)) == ["reports:1", "reports:2", "reports:3"]


def test_keep_last_n_and_min_age_overrides_apply_per_function(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("payments-core", OLD)
    account.function("api", OLD)

    plan = run_scan(overrides=[{"functions": "payments-*", "keep_last_n": 5}])

    assert deleted(plan) == ["api:1", "api:2", "api:3", "payments-core:1"]
    assert reasons(plan)["payments-core:2"] == [R.PROTECTED_KEPT_LAST_N]


def test_state_is_read_from_get_function_and_a_version_not_settled_is_kept(
    account: SimulatedAccount, run_scan: Scanner, aws_session: boto3.Session
) -> None:
    from moto.awslambda.models import lambda_backends

    account.function("api", OLD)
    backend = lambda_backends[account.account_id]["us-east-1"]
    backend.get_function("api", "1").state = "Inactive"
    backend.get_function("api", "2").state = "Pending"

    def drop_state(parsed: dict[str, Any], **_: Any) -> None:
        for configuration in parsed.get("Functions", []):
            configuration.pop("State", None)  # as AWS answers ListFunctions

    aws_session.events.register("after-call.lambda.ListFunctions", drop_state)

    plan = run_scan()

    assert deleted(plan) == ["api:1", "api:3"]
    assert entries(plan)["api:1"].state == "Inactive"
    assert entries(plan)["api:2"].state == "Pending"
    assert reasons(plan)["api:2"] == [R.CHECK_INCOMPLETE]


def test_every_reason_that_fires_is_listed(account: SimulatedAccount, run_scan: Scanner) -> None:
    account.function("api", OLD, tags={"snapstart-cleaner:keep": "x"})
    account.alias("api", "live", "6", weights={"1": 0.5})
    account.function("other", OLD)

    plan = run_scan(exclude=["api"])

    # The tag listing covers the region; aliases are only listed for functions with candidates.
    assert reasons(plan)["api:1"] == [R.EXCLUDED_BY_FILTER, R.TAG_PROTECTED]
    assert reasons(plan)["api:6"] == [R.EXCLUDED_BY_FILTER, R.TAG_PROTECTED, R.PROTECTED_KEPT_LAST_N]


# --- failures ----------------------------------------------------------------------------------------


def test_access_denied_on_list_functions_stops_the_scan_with_exit_3_naming_the_permission(
    account: SimulatedAccount, aws_session: boto3.Session, faults: Faults, tmp_path: Path, now: datetime
) -> None:
    account.function("api", OLD)
    faults.deny("lambda", "ListFunctions")

    run = run_cli_scan(aws_session, tmp_path, now)

    assert run.code == ExitCode.ACCESS_ERROR
    assert "lambda:ListFunctions" in run.stderr
    assert "AccessDeniedException" in run.stderr
    assert not run.plans_dir.exists()


@pytest.mark.usefixtures("no_retry_backoff")
def test_list_functions_throttled_beyond_the_retries_stops_the_scan(
    account: SimulatedAccount, aws_session: boto3.Session, faults: Faults, tmp_path: Path, now: datetime
) -> None:
    account.function("api", OLD)
    (tmp_path / "pyproject.toml").write_text("[tool.cleaner]\nmax_attempts = 3\n")
    faults.throttle("lambda", "ListFunctions")

    run = run_cli_scan(aws_session, tmp_path, now)

    assert run.code == ExitCode.ACCESS_ERROR
    assert "lambda:ListFunctions: TooManyRequestsException" in run.stderr
    assert faults.calls["lambda:ListFunctions"] == 3
    assert not run.plans_dir.exists()


def test_without_credentials_the_scan_exits_3_and_writes_nothing(
    tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata probing

    run = run_cli_scan(None, tmp_path, now)

    assert run.code == ExitCode.ACCESS_ERROR
    assert "no AWS credentials" in run.stderr
    assert not run.plans_dir.exists()


def test_access_denied_on_the_account_lookup_exits_3_naming_it(
    account: SimulatedAccount, aws_session: boto3.Session, faults: Faults, tmp_path: Path, now: datetime
) -> None:
    faults.deny("sts", "GetCallerIdentity")

    run = run_cli_scan(aws_session, tmp_path, now)

    assert run.code == ExitCode.ACCESS_ERROR
    assert "sts:GetCallerIdentity" in run.stderr
    assert not run.plans_dir.exists()


@pytest.mark.usefixtures("no_retry_backoff")
def test_list_functions_throttled_once_is_retried_and_the_scan_succeeds(
    account: SimulatedAccount, aws_session: boto3.Session, faults: Faults, run_scan: Scanner
) -> None:
    account.function("api", OLD)
    faults.throttle("lambda", "ListFunctions", times=1)

    plan = run_scan()

    assert faults.calls["lambda:ListFunctions"] == 1
    assert run_scan.recorder.calls["lambda:ListFunctions"] == 2  # the throttled attempt and its retry
    assert deleted(plan) == ["api:1", "api:2", "api:3"]
    assert plan.warnings == []


ALL_CANDIDATES = {f"{f}:{v}" for f in ("alpha", "beta") for v in "123"} | {"gamma:2", "gamma:3"}
EVERY_OLD_VERSION = ALL_CANDIDATES | {"gamma:1"}
BETA = {"beta:1", "beta:2", "beta:3"}


def _deny(service: str, operation: str, only: Predicate | None = None) -> Any:
    return lambda faults: faults.deny(service, operation, only)


def _throttle(service: str, operation: str, only: Predicate | None = None) -> Any:
    return lambda faults: faults.throttle(service, operation, None, only)


def _status(function: str, status: str) -> Any:
    return lambda faults: faults.series_status(function, status)


# (injected failure, the permission named in the warning, the versions it must keep, retried attempts)
CHECK_FAILURES = {
    "ListAliases denied for one function": (
        _deny("lambda", "ListAliases", function_is("beta")),
        "lambda:ListAliases",
        BETA,
        None,
    ),
    "ListAliases throttled out": (
        _throttle("lambda", "ListAliases", function_is("beta")),
        "lambda:ListAliases",
        BETA,
        3,
    ),
    "ListEventSourceMappings denied": (
        _deny("lambda", "ListEventSourceMappings"),
        "lambda:ListEventSourceMappings",
        EVERY_OLD_VERSION,
        None,
    ),
    "GetFunction denied for one version": (
        _deny("lambda", "GetFunction", function_is("beta", "2")),
        "lambda:GetFunction",
        {"beta:2"},
        None,
    ),
    "GetFunction throttled out for one version": (
        _throttle("lambda", "GetFunction", function_is("beta", "2")),
        "lambda:GetFunction",
        {"beta:2"},
        3,
    ),
    "GetPolicy denied for one function": (
        _deny("lambda", "GetPolicy", function_is("beta")),
        "lambda:GetPolicy",
        BETA,
        None,
    ),
    "GetPolicy throttled out for one version": (
        _throttle("lambda", "GetPolicy", function_is("beta", "3")),
        "lambda:GetPolicy",
        {"beta:3"},
        3,
    ),
    "GetMetricData denied": (
        _deny("cloudwatch", "GetMetricData"),
        "cloudwatch:GetMetricData",
        # Usage is read before ListAliases, so gamma's aliases are never listed: gamma:1 is kept by
        # the failure too (check_incomplete) rather than as alias_protected.
        EVERY_OLD_VERSION,
        None,
    ),
    "GetMetricData throttled out": (
        _throttle("cloudwatch", "GetMetricData"),
        "cloudwatch:GetMetricData",
        # Usage is read before ListAliases, so gamma's aliases are never listed: gamma:1 is kept by
        # the failure too (check_incomplete) rather than as alias_protected.
        EVERY_OLD_VERSION,
        3,
    ),
    "GetMetricData PartialData for one function": (
        _status("beta", "PartialData"),
        "cloudwatch:GetMetricData",
        BETA,
        None,
    ),
    "GetMetricData Forbidden for one function": (
        _status("beta", "Forbidden"),
        "cloudwatch:GetMetricData",
        BETA,
        None,
    ),
    "tag:GetResources denied": (
        _deny("tag", "GetResources"),
        "tag:GetResources",
        EVERY_OLD_VERSION,
        None,
    ),
    "tag:GetResources throttled out": (
        _throttle("tag", "GetResources"),
        "tag:GetResources",
        EVERY_OLD_VERSION,
        3,
    ),
}


@pytest.mark.usefixtures("no_retry_backoff")
@pytest.mark.parametrize("case", CHECK_FAILURES)
def test_a_check_that_fails_keeps_exactly_the_versions_it_covers_with_check_incomplete(
    account: SimulatedAccount,
    aws_session: boto3.Session,
    faults: Faults,
    tmp_path: Path,
    now: datetime,
    case: str,
) -> None:
    inject, permission, kept, attempts = CHECK_FAILURES[case]
    for name in ("alpha", "beta", "gamma"):
        account.function(name, OLD)
    account.alias("gamma", "rollback", "1")
    (tmp_path / "pyproject.toml").write_text("[tool.cleaner]\nmax_attempts = 3\n")
    # Without the failure: the candidates are deleted, gamma:1 is aliased, 4-6 are the newest three.
    before = {label: [R.NO_ACTIVITY_AND_STALE] for label in ALL_CANDIDATES}
    before |= {f"{f}:{v}": [R.PROTECTED_KEPT_LAST_N] for f in ("alpha", "beta", "gamma") for v in "456"}
    before["gamma:1"] = [R.ALIAS_PROTECTED]

    inject(faults)
    run = run_cli_scan(aws_session, tmp_path, now)

    assert run.code == ExitCode.OK, run.stderr
    plan = run.plan()
    assert set(deleted(plan)) == ALL_CANDIDATES - kept
    after = reasons(plan)
    assert set(after) == set(before)
    for label in after:
        if label in kept:
            assert R.CHECK_INCOMPLETE in after[label], label
            assert any(permission in detail for detail in entries(plan)[label].details)
        else:
            assert after[label] == before[label], label  # nothing else affected
    assert any(w.startswith(permission) for w in plan.warnings), plan.warnings
    assert permission in run.stdout  # the printed summary repeats the warning
    if attempts is not None:
        assert sum(n for name, n in faults.calls.items() if name.startswith(permission)) == attempts


# --- API economy -------------------------------------------------------------------------------------


def test_the_scan_makes_no_per_version_control_plane_calls(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    account.function("excluded-fn", OLD)
    account.function("young", [10, 8, 6, 4, 2])
    account.function("tagged", OLD, tags={"snapstart-cleaner:keep": "x"})
    account.function("no-snapstart", OLD, snapstart=False)
    account.function("aliased", OLD)
    for version in "123":
        account.alias("aliased", f"a{version}", version)
    account.function("busy", OLD)
    account.invocations("busy", 3, days_ago=1, version="2")
    account.function("quiet", [400, 350, 300, 250, 200, 150, 120, 100, 90, 80, 70, 60, 50])
    account.function("hooked", OLD)
    account.permission("hooked", "2")
    account.function("mapped", OLD)
    account.event_source_mapping("mapped", "1", "jobs")

    plan = run_scan(exclude=["excluded-*"])

    quiet = [f"quiet:{v}" for v in range(1, 11)]
    assert deleted(plan) == sorted(
        ["busy:1", "busy:3", "hooked:1", "hooked:3", "mapped:2", "mapped:3", *quiet]
    )
    calls = run_scan.recorder.calls
    assert calls["lambda:ListFunctions"] == 1
    assert calls["resourcegroupstaggingapi:GetResources"] == 1
    # Once per function that still has candidates after the filters, age, keep-last-N and the tag.
    assert calls["lambda:ListAliases"] == 5
    assert calls["lambda:ListEventSourceMappings"] == 1
    assert calls["cloudfront:ListDistributions"] == 1
    # Function totals for all, then version/alias series for the one function with traffic.
    assert calls["cloudwatch:GetMetricData"] == 2
    # GetFunction for the versions left after usage; GetPolicy for those every other check would delete.
    remaining = 2 + 10 + 3 + 2  # busy, quiet, hooked, mapped
    assert calls["lambda:GetFunction"] == remaining
    assert calls["lambda:GetPolicy"] == remaining
    assert {c for c in calls if c.startswith("lambda:")} == {
        "lambda:ListFunctions",
        "lambda:ListAliases",
        "lambda:ListEventSourceMappings",
        "lambda:GetFunction",
        "lambda:GetPolicy",
        "lambda:GetAccountSettings",  # once per region: the code storage the plan frees (issue 20)
    }
    assert calls["lambda:GetAccountSettings"] == 1
    assert run_scan.recorder.by_bucket()[CONTROL_PLANE] == 1 + 5 + 1 + 1


def test_get_policy_is_asked_only_about_versions_every_other_check_would_delete(
    account: SimulatedAccount, run_scan: Scanner
) -> None:
    from moto.awslambda.models import lambda_backends

    account.function("api", OLD)
    lambda_backends[account.account_id]["us-east-1"].get_function("api", "3").state = "Pending"

    plan = run_scan()

    assert deleted(plan) == ["api:1", "api:2"]
    assert run_scan.recorder.calls["lambda:GetFunction"] == 3
    assert run_scan.recorder.calls["lambda:GetPolicy"] == 2


def test_a_scan_with_nothing_to_delete_stops_asking(account: SimulatedAccount, run_scan: Scanner) -> None:
    account.function("young", [10, 5, 1])
    account.function("tagged", OLD, tags={"snapstart-cleaner:keep": ""})

    plan = run_scan()

    assert deleted(plan) == []
    calls = run_scan.recorder.calls
    # No check beyond the tag; what the plan is worth is read once per region or account regardless.
    assert set(calls) == {
        "sts:GetCallerIdentity",
        "lambda:ListFunctions",
        "resourcegroupstaggingapi:GetResources",
        "pricing:GetProducts",
        "lambda:GetAccountSettings",
        "ce:GetCostAndUsage",
    }
    assert (
        calls["pricing:GetProducts"] == calls["lambda:GetAccountSettings"] == calls["ce:GetCostAndUsage"] == 1
    )


def test_each_region_is_listed_once_and_lambda_edge_only_in_us_east_1(
    account: SimulatedAccount, aws_session: boto3.Session, run_scan: Scanner, now: datetime
) -> None:
    europe = SimulatedAccount(aws_session, "eu-west-1", now)
    account.function("api", OLD)
    europe.function("api", OLD)
    europe.function("worker", OLD)

    plan = run_scan(regions=["us-east-1", "eu-west-1"])

    assert sorted((e.region, e.function_name, e.version) for e in plan.delete) == sorted(
        (region, name, v)
        for region, name in (("us-east-1", "api"), ("eu-west-1", "api"), ("eu-west-1", "worker"))
        for v in "123"
    )
    calls = run_scan.recorder.calls
    assert calls["lambda:ListFunctions"] == 2
    assert calls["lambda:ListEventSourceMappings"] == 2
    assert calls["resourcegroupstaggingapi:GetResources"] == 2
    assert calls["lambda:ListAliases"] == 3
    assert calls["cloudfront:ListDistributions"] == 1


def test_regions_scanned_at_once_give_the_plan_regions_scanned_in_turn_give(
    account: SimulatedAccount, aws_session: boto3.Session, run_scan: Scanner, faults: Faults, now: datetime
) -> None:
    europe = SimulatedAccount(aws_session, "eu-west-1", now)
    asia = SimulatedAccount(aws_session, "ap-south-1", now)
    account.function("api", OLD)
    account.alias("api", "live", "2")
    europe.function("api", OLD, memory_mb=2048)
    europe.function("worker", OLD)
    asia.function("batch", OLD, runtime="java21")
    faults.deny("lambda", "GetPolicy", function_is("worker"))  # a failing check: its warning is merged
    regions = ["us-east-1", "eu-west-1", "ap-south-1"]

    in_turn = run_scan(performance=Performance(max_concurrent_regions=1), regions=regions)
    at_once = run_scan(performance=Performance(max_concurrent_regions=3), regions=regions)

    assert plan_json_text(at_once) == plan_json_text(in_turn)
    assert len(at_once.delete) == 2 + 3 + 3 and at_once.warnings and "lambda:GetPolicy" in at_once.warnings[0]


def test_the_control_plane_is_paced_at_the_configured_rate(
    account: SimulatedAccount, aws_session: boto3.Session, now: datetime
) -> None:
    for index in range(6):
        account.function(f"fn-{index}", OLD)
    clock = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    performance = Performance(control_plane_rps=2, max_workers=1)
    aws = AwsContext(aws_session, performance=performance)
    aws.limiter = RateLimiter(
        {CONTROL_PLANE: performance.control_plane_rps}, clock=lambda: clock[0], sleep=sleep
    )

    plan = scan(aws, ScanSettings(regions=["us-east-1"]), now, "paced", lambda _: None, limits=ApplyLimits())

    assert len(plan.delete) == 18
    # ListFunctions, 6 x ListAliases, ListEventSourceMappings, GetAccountSettings: a burst of 2, then
    # one every 0.5 s.
    assert sleeps == pytest.approx([0.5] * (9 - 2))
    assert clock[0] == pytest.approx((9 - 2) / 2)
    assert aws.limiter.waited_seconds == pytest.approx(3.5)
