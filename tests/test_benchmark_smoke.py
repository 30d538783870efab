"""A tiny run of the scan benchmark (tests/benchmarks/bench_scan.py) and checks of its moto speed-ups.

The benchmark itself is not collected by pytest (`bench_*.py`); this runs its main function on a tiny
account and asserts the report's structure and invariants that must hold at any size. Never timings.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cleaner.aws.metrics import invocation_queries
from cleaner.aws.ratelimit import CONTROL_PLANE, CallRecorder, attach
from cleaner.demo.account import DEMO_ACCOUNT_ID, SimulatedAccount

BENCHMARK = Path(__file__).parent / "benchmarks" / "bench_scan.py"
REGION = "us-east-1"


def _load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scan", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


@pytest.fixture(scope="module")
def report() -> Iterator[dict[str, Any]]:
    # Module-scoped, so it runs before conftest's per-test credentials fixture: do the same here.
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_CONFIG_FILE", "/dev/null")
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        # 12 functions cover every profile of the mix once; 6 versions each leave 3 old ones apiece.
        yield dict(bench.run_benchmark(12, 6))


@pytest.fixture(scope="module")
def capped_report(report: dict[str, Any]) -> dict[str, Any]:
    """The same account with a plan that fills up: max_deletions_per_apply 5 (after `report`, whose
    fixture set up the credentials)."""
    return dict(bench.run_benchmark(12, 6, max_deletions=CAP))


CAP = 5


def test_report_has_the_fields_the_issue_asks_for(report: dict[str, Any]) -> None:
    assert report["versions"] == 72
    for who in ("ours", "naive", "lower_bound"):
        calls = report[who]["calls"]
        assert set(calls) == {"by_operation", "by_bucket", "total"}
        assert calls["total"] == sum(calls["by_operation"].values()) == sum(calls["by_bucket"].values())
        assert report[who]["projected_seconds"] > 0
    for key in ("wall_seconds", "peak_rss_mb", "projected_seconds_at_configured_pacing"):
        assert report["ours"][key] > 0
    assert isinstance(report["same_candidates"], bool)
    assert report["model_100k"]["versions"] == pytest.approx(100_000, abs=6)


def test_ours_spends_less_of_the_shared_control_plane_than_the_naive_scanner(report: dict[str, Any]) -> None:
    ours = report["ours"]["calls"]["by_bucket"][CONTROL_PLANE]
    naive = report["naive"]["calls"]["by_bucket"][CONTROL_PLANE]
    assert ours < naive
    model = report["model_100k"]
    assert (
        model["ours"]["calls"]["by_bucket"][CONTROL_PLANE]
        < model["naive"]["calls"]["by_bucket"][CONTROL_PLANE]
    )


def test_ours_never_makes_fewer_calls_than_the_lower_bound(report: dict[str, Any]) -> None:
    # If it did, either the bound is not a bound or our scan skipped a check a correct scan needs.
    ours = report["ours"]["calls"]["by_bucket"]
    for bucket, needed in report["lower_bound"]["calls"]["by_bucket"].items():
        assert ours.get(bucket, 0) >= needed, bucket
    assert report["ours"]["projected_seconds"] >= report["lower_bound"]["projected_seconds"]


def test_both_scanners_find_the_same_candidates_where_their_rules_agree(report: dict[str, Any]) -> None:
    differences = report["candidate_differences"]
    assert report["same_candidates"], differences["unexplained"]
    assert differences["agreed"] > 0
    # The mix contains every known difference, so each must show up, explained.
    assert any("$LATEST has SnapStart off" in reason for reason in differences["only_ours"])
    assert any("naive keeps all" in reason for reason in differences["only_ours"])
    assert set(differences["only_naive"]) == {
        "naive does not check the protect tag",
        "naive does not list event source mappings",
        "naive does not read version resource policies",
    }


def test_naive_calls_match_the_formula_the_model_uses(report: dict[str, Any]) -> None:
    assert report["naive"]["formula_matches_measured"]


def test_isolated_scan_counts_the_same_calls_as_the_in_process_scan(report: dict[str, Any]) -> None:
    isolated = bench.run_benchmark(12, 6, naive=False, isolated=True)
    assert isolated["ours"]["calls"] == report["ours"]["calls"]
    assert isolated["ours"]["candidates"] == report["ours"]["candidates"]


# --- the benchmark's moto speed-ups answer exactly what moto answers ---------------------------------


def _queries(dimension_sets: list[list[tuple[str, str]]], period: int) -> list[dict[str, Any]]:
    return invocation_queries([tuple(dimensions) for dimensions in dimension_sets], period)


@pytest.mark.parametrize("scan_by", ["TimestampDescending", "TimestampAscending"])
@pytest.mark.parametrize("period", [3600, 7200, 86400])
def test_indexed_get_metric_data_answers_like_moto(
    account: SimulatedAccount, now: datetime, scan_by: str, period: int
) -> None:
    from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends

    account.invocations("api", 5, days_ago=1, version="3")
    account.invocations("api", 7, days_ago=1.01, version="3")  # same period at coarse periods
    account.invocations("api", 11, days_ago=2, alias="live", executed_version="4")
    account.invocations("api", 13, days_ago=20, unqualified=True)  # outside the window
    account.invocations("worker", 3, days_ago=0.5, unqualified=True)
    dimension_sets = [
        [("FunctionName", "api")],
        [("FunctionName", "api"), ("Resource", "api:3")],
        [("FunctionName", "api"), ("Resource", "api:live")],
        [("FunctionName", "api"), ("Resource", "api:live"), ("ExecutedVersion", "4")],
        [("Resource", "api:3"), ("FunctionName", "api")],  # order moto cannot match
        [("FunctionName", "worker")],
        [("FunctionName", "nobody")],
    ]
    backend = cloudwatch_backends[DEMO_ACCOUNT_ID][REGION]
    end = now.replace(tzinfo=None)  # moto parses request times to naive UTC
    arguments = (_queries(dimension_sets, period), end - timedelta(days=14), end, scan_by)
    expected = CloudWatchBackend.get_metric_data(backend, *arguments)
    assert any(result["values"] for result in expected)
    assert bench.indexed_get_metric_data(CloudWatchBackend.get_metric_data)(backend, *arguments) == expected


def _arns(pages: Any, key: str) -> list[str]:
    return [item["FunctionArn"] for page in pages for item in page[key]]


def test_paged_listings_return_what_moto_returns_in_one_page(account: SimulatedAccount) -> None:
    for name in ("a", "b", "c"):
        account.function(name, [30.0 - day for day in range(20)])
    lambda_ = account.session.client("lambda", region_name=REGION)
    unpaged_all = _arns([lambda_.list_functions(FunctionVersion="ALL")], "Functions")
    unpaged_latest = _arns([lambda_.list_functions()], "Functions")
    unpaged_versions = _arns([lambda_.list_versions_by_function(FunctionName="b")], "Versions")

    recorder = CallRecorder()
    attach(lambda_, REGION, None, recorder)
    with bench.moto_speedups():
        paged_all = _arns(
            lambda_.get_paginator("list_functions").paginate(FunctionVersion="ALL"), "Functions"
        )
        paged_latest = _arns(lambda_.get_paginator("list_functions").paginate(), "Functions")
        paged_versions = _arns(
            lambda_.get_paginator("list_versions_by_function").paginate(
                FunctionName="b", PaginationConfig={"PageSize": 7}
            ),
            "Versions",
        )
    assert (len(unpaged_all), len(unpaged_versions)) == (63, 21)
    assert paged_all == unpaged_all
    assert paged_latest == unpaged_latest
    assert paged_versions == unpaged_versions
    # 63 entries in pages of 50, 3 in one page, 21 in pages of 7.
    assert recorder.calls == Counter({"lambda:ListFunctions": 2 + 1, "lambda:ListVersionsByFunction": 3})


def test_windowed_list_metrics_lists_what_moto_lists_minus_series_older_than_two_weeks(
    account: SimulatedAccount, now: datetime
) -> None:
    from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends

    account.invocations("api", 5, days_ago=1, alias="live", executed_version="4")
    account.invocations("api", 7, days_ago=3, version="3")
    account.invocations("api", 2, days_ago=20, alias="old", executed_version="1")  # older than two weeks
    backend = cloudwatch_backends[DEMO_ACCOUNT_ID][REGION]
    arguments = (None, "AWS/Lambda", "Invocations", [{"Name": "FunctionName"}, {"Name": "Resource"}])

    def listed(answer: tuple[Any, list[Any]]) -> set[tuple[tuple[str, str], ...]]:
        return {tuple(sorted((d.name, d.value) for d in metric.dimensions)) for metric in answer[1]}

    everything = listed(CloudWatchBackend.list_metrics(backend, *arguments))
    windowed = listed(bench.windowed_list_metrics(now)(backend, *arguments))
    old = {series for series in everything if ("Resource", "api:old") in series}
    assert len(everything) == 5 and len(old) == 2
    assert windowed == everything - old


def test_organisation_model_schedules_jobs_in_waves_of_max_parallel() -> None:
    # 3 accounts x 2 regions of 100 s, 10 s per job, 2 slots.
    model = bench.organisation_model({"large": 100.0}, {"large": 3}, 2, 2, job_overhead=10.0)
    assert model["one_sequential_job"] == 10 + 600
    assert model["matrix_per_account_regions_in_sequence_before"] == 20 + 210 * 2  # two waves of 210 s jobs
    assert model["matrix_per_account_region_split_regions"] == 20 + 110 * 3  # six jobs, three waves
    assert model["matrix_per_account_regions_at_once"] == 20 + 110 * 2
    assert model["floor_one_account_region_per_slot"] == 20 + 110 * 3


def test_a_job_reads_no_more_regions_at_once_than_max_concurrent_regions() -> None:
    # 1 account x 5 regions of 100 s, at most 2 regions at once: three waves in its one job.
    model = bench.organisation_model(
        {"large": 100.0}, {"large": 1}, 5, 20, job_overhead=10.0, max_concurrent_regions=2
    )
    assert model["matrix_per_account_regions_at_once"] == 20 + 10 + 100 * 3


# --- the last stage, bounded by the plan's cap (issue 21) ---------------------------------------------


def test_a_plan_within_the_cap_checks_every_would_be_candidate_once(report: dict[str, Any]) -> None:
    last = report["ours"]["last_stage"]
    assert last["cap"] == 500 and not last["plan_full"]
    assert (
        last["checked"]
        == last["would_be_candidates"]
        == report["ours"]["calls"]["by_operation"]["lambda:GetFunction"]
    )
    assert last["not_checked"] == last["over_deletion_cap"] == 0
    assert last["qualified"] == report["ours"]["candidates"]


def test_a_full_plan_checks_the_cap_and_its_margin_and_leaves_the_rest(capped_report: dict[str, Any]) -> None:
    last = capped_report["ours"]["last_stage"]
    calls = capped_report["ours"]["calls"]["by_operation"]
    assert last["plan_full"] and capped_report["ours"]["candidates"] == CAP
    assert last["would_be_candidates"] > bench.batch_size(CAP)
    assert calls["lambda:GetFunction"] == last["checked"] >= CAP
    assert last["checked"] <= last["would_be_candidates"] - last["not_checked"]
    assert last["not_checked"] == last["would_be_candidates"] - last["checked"] > 0
    assert last["qualified"] == CAP + last["over_deletion_cap"]
    # What ours left unchecked and the naive scanner proposes is a known difference, said as such.
    differences = capped_report["candidate_differences"]
    assert capped_report["same_candidates"], differences["unexplained"]
    assert any("unchecked" in reason for reason in differences["only_naive"])


def test_a_full_plan_is_never_below_the_lower_bound_and_its_model_stays_bounded(
    capped_report: dict[str, Any],
) -> None:
    ours = capped_report["ours"]["calls"]["by_bucket"]
    for bucket, needed in capped_report["lower_bound"]["calls"]["by_bucket"].items():
        assert ours.get(bucket, 0) >= needed, bucket
    model = capped_report["model_100k"]
    measured = capped_report["ours"]["calls"]["by_operation"]
    for operation in ("lambda:GetFunction", "lambda:GetPolicy"):
        # The same batches at any size of the same mix: the cap bounds them, not the account.
        assert model["ours"]["calls"]["by_operation"][operation] == measured[operation]
        assert model["lower_bound"]["calls"]["by_operation"][operation] == CAP
    for bucket, needed in model["lower_bound"]["calls"]["by_bucket"].items():
        assert model["ours"]["calls"]["by_bucket"].get(bucket, 0) >= needed, bucket


@pytest.mark.parametrize(
    ("would_be", "cap", "kept_share", "checks"),
    [
        (100, 500, 0.0, 100),  # within the cap: everything, once
        (1_320, 500, 0.0, 550),  # one batch: the cap and a tenth
        (73_200, 500, 0.0, 550),  # the same at any size
        (1_320, 500, 0.5, 550 + 248 + 112 + 50 + 25 + 13 + 7),  # half kept: batch after batch
        (1_320, 500, 1.0, 1_320),  # nothing qualifies: every would-be candidate
    ],
)
def test_the_models_last_stage_batches_as_the_scan_does(
    would_be: int, cap: int, kept_share: float, checks: int
) -> None:
    assert bench.last_stage_checks(would_be, cap, kept_share) == checks


def test_what_a_plan_is_worth_costs_its_documented_calls_and_no_more(report: dict[str, Any]) -> None:
    """Issue 20's bounds, counted like every other call: one GetProducts and one GetAccountSettings
    per region (the benchmark scans one), at most two Cost Explorer requests per account."""
    calls = report["ours"]["calls"]["by_operation"]
    assert calls["pricing:GetProducts"] == 1
    assert calls["lambda:GetAccountSettings"] == 1
    assert 1 <= calls["ce:GetCostAndUsage"] <= 2
