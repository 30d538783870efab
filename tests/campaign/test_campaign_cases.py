"""Single scenarios of the campaign kept as regular tests: the oracle's own cases, proof that the
campaign catches an unsafe product, and the minimised cases of what it found."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.campaign.model import (
    REGION_A,
    REGION_B,
    SCAN_NOW,
    AliasSpec,
    Drift,
    Faults,
    FunctionSpec,
    Scenario,
    SettingsSpec,
    Traffic,
    VersionSpec,
)
from tests.campaign.oracle import protections, rules
from tests.campaign.runner import Campaign, Report
from tests.campaign.world import Datapoint, LiveAlias, LiveFunction, LiveVersion


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    played = Campaign(tmp_path_factory.mktemp("campaign"))
    try:
        yield played
    finally:
        played.close()


# --- the oracle ----------------------------------------------------------------------------------------


def _function(ages: list[float], snapstart: list[bool] | None = None) -> LiveFunction:
    flags = snapstart or [True] * len(ages)
    versions = [
        LiveVersion(n, flag, SCAN_NOW - timedelta(days=age), f"{REGION_A}/f#1:{n}")
        for n, (age, flag) in enumerate(zip(ages, flags, strict=True), start=1)
    ]
    return LiveFunction("f", 1, versions=versions)


def _why(
    function: LiveFunction, number: int, *settings: SettingsSpec, metrics: list[Datapoint] | None = None
) -> set[str]:
    version = function.version(number)
    assert version is not None
    return protections(function, version, [rules(s) for s in settings], metrics or [], SCAN_NOW)


def test_oracle_counts_keep_last_n_over_versions_without_snapstart() -> None:
    function = _function([60.5, 50.5, 40.5, 30.5], snapstart=[True, True, False, False])
    settings = SettingsSpec(min_age_days=7, keep_last_n=2)
    assert _why(function, 2, settings) == set()
    assert _why(function, 3, settings) == {"not_snapstart"}


def test_oracle_keeps_a_version_weighted_in_an_alias() -> None:
    function = _function([60.5, 50.5, 40.5])
    function.aliases["live"] = LiveAlias(3, {1: 0.1})
    assert _why(function, 1, SettingsSpec(keep_last_n=0)) == {"alias_protected"}
    assert _why(function, 2, SettingsSpec(keep_last_n=0)) == set()


def test_oracle_reads_traffic_through_an_alias_by_executed_version_over_the_longest_lookback() -> None:
    function = _function([60.5, 50.5, 40.5])
    function.aliases["live"] = LiveAlias(3)
    ran_version_1 = Datapoint("f", "alias", "live", 1, SCAN_NOW - timedelta(days=10.5), 4)
    short, long = SettingsSpec(keep_last_n=0, lookback_days=7), SettingsSpec(keep_last_n=0, lookback_days=14)
    assert _why(function, 1, short, metrics=[ran_version_1]) == set()
    assert _why(function, 1, short, long, metrics=[ran_version_1]) == {"has_recent_invocations"}


def test_oracle_keeps_every_version_when_function_level_traffic_is_unexplained() -> None:
    function = _function([60.5, 50.5])
    unqualified = Datapoint("f", "unqualified", "", None, SCAN_NOW - timedelta(days=1.5), 1)
    latest = Datapoint("f", "latest", "", None, SCAN_NOW - timedelta(days=1.5), 1)
    settings = SettingsSpec(keep_last_n=0)
    assert _why(function, 1, settings, metrics=[unqualified]) == {"function_level_activity_uncertain"}
    assert _why(function, 1, settings, metrics=[latest]) == set()


def test_oracle_keeps_a_version_if_either_settings_keeps_it() -> None:
    function = _function([20.5, 10.5])
    lenient, strict = (
        SettingsSpec(min_age_days=7, keep_last_n=0),
        SettingsSpec(min_age_days=14, keep_last_n=0),
    )
    assert _why(function, 2, lenient) == set()
    assert _why(function, 2, lenient, strict) == {"too_recent"}


# --- the campaign can fail -----------------------------------------------------------------------------

WEIGHTED = Scenario(
    seed=1,
    functions=(
        FunctionSpec(
            "api",
            (VersionSpec(90.5), VersionSpec(80.5), VersionSpec(70.5), VersionSpec(60.5)),
            aliases=(AliasSpec("live", 4, ((1, 0.1),)),),
        ),
    ),
    scan_file=SettingsSpec(keep_last_n=1),
    apply_file=SettingsSpec(keep_last_n=1),
)


def test_weighted_alias_scenario_passes_deletes_the_safe_versions_and_keeps_the_weighted_one(
    campaign: Campaign,
) -> None:
    report = campaign.run(WEIGHTED)
    assert report.violations == []
    assert (report.proposals, report.deleted, report.safe_planned, report.safe_deleted) == (2, 2, 2, 2)


def test_campaign_reports_an_unsafe_deletion_by_a_product_that_ignores_weighted_aliases(
    campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleaner.inventory import Alias

    monkeypatch.setattr(Alias, "describe_target", lambda self, version: None if version != "4" else "live")
    report = campaign.run(WEIGHTED)
    assert report.unsafe_proposals == 1
    assert report.unsafe_deletions == 1
    assert any("UNSAFE DELETION (apply): us-east-1/api#1:1" in v for v in report.violations)


# --- faults and drift the campaign plays, pinned ------------------------------------------------------

OLD = (VersionSpec(90.5), VersionSpec(80.5), VersionSpec(70.5), VersionSpec(60.5))


def _one_function(**changes: object) -> Scenario:
    base = Scenario(
        seed=7,
        functions=(FunctionSpec("api", OLD),),
        scan_file=SettingsSpec(keep_last_n=1),
        apply_file=SettingsSpec(keep_last_n=1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _ok(report: Report) -> Report:
    assert report.violations == [], report.violations
    return report


def test_a_deletion_whose_answer_is_lost_is_retried_and_recorded_as_deleted(campaign: Campaign) -> None:
    # The campaign's first finding: reported already_deleted before (tests/apply/test_apply_lost_answer.py).
    report = _ok(campaign.run(_one_function(apply_faults=(Faults(services=("lambda",), lost_rate=1.0),))))
    assert report.deleted == 3
    assert report.apply_exit == 0


def test_a_function_recreated_with_the_same_code_and_numbers_is_not_deleted(campaign: Campaign) -> None:
    recreate = Drift("recreate", "api", versions=(VersionSpec(40.5), VersionSpec(30.5), VersionSpec(20.5)))
    report = _ok(campaign.run(_one_function(drift=(recreate,))))
    assert report.drifted and report.deleted == 0


@pytest.mark.parametrize(
    "operation",
    [
        ("lambda", "ListVersionsByFunction"),
        ("lambda", "ListAliases"),
        ("lambda", "ListEventSourceMappings"),
        ("lambda", "GetPolicy"),
        ("lambda", "DeleteFunction"),
        ("cloudwatch", "GetMetricData"),
        ("resource-groups-tagging-api", "GetResources"),
    ],
)
def test_apply_denied_one_api_deletes_nothing_and_exits_1(
    campaign: Campaign, operation: tuple[str, str]
) -> None:
    # Traffic on the function makes apply read every CloudWatch series, not only the function-level one.
    traffic = (Traffic("api", "version", 2.5, 3, "4"),)
    report = _ok(campaign.run(_one_function(traffic=traffic, apply_faults=(Faults(deny=operation),))))
    assert (report.deleted, report.apply_exit) == (0, 1)


def test_heavy_throttling_and_5xx_on_every_api_delete_only_safe_versions(campaign: Campaign) -> None:
    drift = (
        Drift("traffic", "api", traffic=Traffic("api", "version", 0.5, 2, "2")),
        Drift("mapping", "api", version=3),
    )
    report = _ok(
        campaign.run(
            _one_function(drift=drift, apply_faults=(Faults(rate=0.6),), scan_faults=(Faults(rate=0.3),))
        )
    )
    assert report.faults_injected > 0


# --- a plan that fills up (max_deletions_per_apply) -----------------------------------------------------

SIX_OLD = tuple(VersionSpec(age) for age in (150.5, 140.5, 130.5, 120.5, 110.5, 100.5))
# With keep_last_n 1: big, mid and small have five candidates each. The checks the scan makes last keep
# big's three oldest (a resource policy each): the largest savings the plan can hold are big:4, big:5,
# then mid's.
PLAN_FILLS_UP = Scenario(
    seed=11,
    functions=(
        FunctionSpec("big", SIX_OLD, policies=(1, 2, 3), memory_mb=2048),
        FunctionSpec("mid", SIX_OLD, memory_mb=1024),
        FunctionSpec("small", SIX_OLD, memory_mb=512),
    ),
    scan_file=SettingsSpec(keep_last_n=1, max_deletions_per_apply=4),
    apply_file=SettingsSpec(keep_last_n=1, max_deletions_per_apply=4),
)


def test_versions_kept_by_the_last_checks_leave_the_plan_to_the_next_largest_savings(
    campaign: Campaign,
) -> None:
    report = _ok(campaign.run(PLAN_FILLS_UP))
    assert (report.proposals, report.deleted, report.safe_planned, report.safe_deleted) == (4, 4, 4, 4)


def test_campaign_reports_a_product_that_fills_its_plan_with_the_smallest_savings(
    campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleaner import planner

    def smallest_first(cost: float, age: int, key: tuple[str, str, int]) -> planner.RankKey:
        return (cost, -age, key)

    monkeypatch.setattr(planner, "savings_rank", smallest_first)
    report = campaign.run(PLAN_FILLS_UP)
    assert report.unsafe_proposals == report.unsafe_deletions == 0  # still safe, but not the plan promised
    assert any("scan without faults (cap 4)" in v for v in report.violations), report.violations


# --- two regions, scanned at once ---------------------------------------------------------------------

# The same function name in both regions, one alias in the first. The second region's cache costs half
# as much: with keep_last_n 1 and a cap of 4, the plan takes the first region's two candidates (version 1
# is aliased there, not in the second region), then the second region's two oldest of eleven; the first
# batch of checks (the cap and a margin of 5: the first region's three, its aliases not yet listed, and
# the second region's six oldest) leaves the second region's five newest unchecked.
TWELVE_OLDER = tuple(VersionSpec(200.5 - 10 * index) for index in range(12))
TWO_REGIONS = Scenario(
    seed=21,
    functions=(
        FunctionSpec("api", OLD, aliases=(AliasSpec("live", 1),)),
        FunctionSpec("api", TWELVE_OLDER, region=REGION_B),
    ),
    scan_file=SettingsSpec(
        keep_last_n=1, max_deletions_per_apply=4, max_concurrent_regions=2, price_factors=((REGION_B, 0.5),)
    ),
    apply_file=SettingsSpec(keep_last_n=1, max_deletions_per_apply=4),
)


def test_the_same_function_name_in_two_regions_is_two_functions_and_the_cap_ranks_across_regions(
    campaign: Campaign,
) -> None:
    report = _ok(campaign.run(TWO_REGIONS))
    assert (report.regions, report.proposals, report.deleted, report.not_checked) == (2, 4, 4, 5)
    assert report.safe_planned == report.safe_deleted == 4


def test_campaign_reports_a_product_that_ranks_every_region_at_the_first_regions_price(
    campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scan checks would-be candidates in rank order: at one price, the second region's (older) come
    # first, and the first region's two are left unchecked though they save twice as much.
    from cleaner import planner

    real = planner.plan_pricing

    def first_price_everywhere(regions: list[str], settings: Any, price_list: Any = None) -> Any:
        return real(regions, settings.model_copy(update={"cache_prices": {}}))

    monkeypatch.setattr("cleaner.scan.account.plan_pricing", first_price_everywhere)
    report = campaign.run(TWO_REGIONS)
    assert report.unsafe_proposals == report.unsafe_deletions == 0
    assert any("scan without faults (cap 4)" in v for v in report.violations), report.violations


def test_a_denial_in_one_region_keeps_that_regions_versions_and_the_other_region_is_deleted(
    campaign: Campaign,
) -> None:
    # Apply: ListAliases denied in the second region (its entries cannot be re-verified: kept, exit 1),
    # throttling and 5xx in the first, on a plan of both regions.
    scenario = replace(
        TWO_REGIONS,
        scan_file=replace(TWO_REGIONS.scan_file, max_deletions_per_apply=None),
        apply_file=SettingsSpec(keep_last_n=1),
        apply_faults=(
            Faults(rate=0.3, region=REGION_A),
            Faults(deny=("lambda", "ListAliases"), region=REGION_B),
        ),
    )
    report = _ok(campaign.run(scenario))
    assert (report.proposals, report.deleted, report.apply_exit, report.fault_regions) == (13, 2, 1, 2)


def test_a_scan_denied_listing_functions_in_one_region_stops_with_exit_3(campaign: Campaign) -> None:
    denied = (Faults(deny=("lambda", "ListFunctions"), region=REGION_B),)
    report = _ok(campaign.run(replace(TWO_REGIONS, scan_faults=denied)))
    assert (report.scan_exit, report.deleted) == (3, 0)
