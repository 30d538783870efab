"""The model-based safety campaign (issue 11): random accounts in two regions x settings x reviewer edits
x drift x faults in either region, through the real CLI on moto (the regions scanned at once), checked
against an independent oracle.

The default test run plays 200 scenarios (seeds 0..199) in chunks of 25 seeds, one test each, so that
pytest-xdist spreads them over the workers. More, for the figure in the README:
    SNAPSTART_CAMPAIGN_SCENARIOS=2000 python3 -m pytest -q tests/campaign -s -p no:xdist
Other knobs: SNAPSTART_CAMPAIGN_FIRST_SEED (where the seeds start), SNAPSTART_CAMPAIGN_SEED (play that one
seed only, e.g. to reproduce a failure), SNAPSTART_CAMPAIGN_SUMMARY (also write the summary JSON there).
A failure names its seed and prints the scenario minimised, as Python to paste into
tests/campaign/test_campaign_cases.py.

What is checked where (a campaign that met no fault, no drift or deleted nothing would prove nothing,
and with xdist no test sees every chunk's results):
- each chunk: no violation of any kind (no unsafe proposal or deletion, every outcome as the oracle
  expects), and every planned version the oracle finds safe in a scenario without drift or fault deleted;
- `test_generator_...`: deterministic, plays nothing: the scenarios of seeds 0..199 span two regions
  listed in the settings and scanned at once, faults in both regions (throttling, denials, lost
  answers), drift in both, the same function name in both, regions priced apart, and plans that can
  fill up. It runs in every test run, with or without xdist;
- `test_campaign_summary_...`: the summary of every chunk played, printed (and written to
  SNAPSTART_CAMPAIGN_SUMMARY): what the played scenarios met (faults injected in both regions of a
  scenario, drift, full plans, unchecked versions, deletions; share deleted 1.0). It needs every chunk
  in its own process: a serial run (`-p no:xdist`, as the long run is); under xdist it is skipped,
  saying so, and the two tests above stand.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.campaign.model import REGION_B, REGIONS, Scenario, generate
from tests.campaign.runner import Campaign, Report, minimise

pytestmark = pytest.mark.campaign

DEFAULT_SCENARIOS = 200
CHUNK = 25


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    played = Campaign(tmp_path_factory.mktemp("campaign"))
    try:
        yield played
    finally:
        played.close()


def _seeds() -> list[int]:
    if "SNAPSTART_CAMPAIGN_SEED" in os.environ:
        return [int(os.environ["SNAPSTART_CAMPAIGN_SEED"])]
    first = int(os.environ.get("SNAPSTART_CAMPAIGN_FIRST_SEED", "0"))
    count = int(os.environ.get("SNAPSTART_CAMPAIGN_SCENARIOS", str(DEFAULT_SCENARIOS)))
    return list(range(first, first + count))


def _chunks() -> list[tuple[int, ...]]:
    seeds = _seeds()
    return [tuple(seeds[start : start + CHUNK]) for start in range(0, len(seeds), CHUNK)]


# Every report this process played, by seed, and each chunk's seconds: the summary test reads them.
PLAYED: dict[int, Report] = {}
SECONDS: dict[int, float] = {}  # by the chunk's first seed


def summarize(reports: list[Report], seconds: float) -> dict[str, Any]:
    planned = sum(r.safe_planned for r in reports)
    deleted = sum(r.safe_deleted for r in reports)
    return {
        "scenarios": len(reports),
        "seconds": round(seconds, 1),
        "two_region_scenarios": sum(r.regions == 2 for r in reports),
        "scenarios_with_faults": sum(r.faults_injected > 0 for r in reports),
        "scenarios_with_faults_in_both_regions": sum(r.fault_regions == 2 for r in reports),
        "faults_injected": sum(r.faults_injected for r in reports),
        "drift_cases": sum(r.drifted for r in reports),
        "versions_proposed": sum(r.proposals for r in reports),
        "versions_deleted": sum(r.deleted for r in reports),
        "unsafe_proposals": sum(r.unsafe_proposals for r in reports),
        "unsafe_deletions": sum(r.unsafe_deletions for r in reports),
        "rejected_reviewer_tampering": sum(r.tampered for r in reports),
        "dry_runs": sum(r.dry_run for r in reports),
        "refused_plans": sum(r.refused for r in reports),
        "full_plans": sum(r.plan_full for r in reports),
        "versions_over_cap": sum(r.over_cap for r in reports),
        "versions_not_checked": sum(r.not_checked for r in reports),
        "scenarios_failed": sum(bool(r.violations) for r in reports),
        "clean_scenarios": sum(r.clean for r in reports),
        "clean_safe_planned": planned,
        "clean_safe_deleted": deleted,
        "clean_share_deleted": round(deleted / planned, 4) if planned else None,
    }


@pytest.mark.parametrize("seeds", _chunks(), ids=lambda seeds: f"seeds{seeds[0]}-{seeds[-1]}")
def test_campaign_no_unsafe_proposal_or_deletion_and_every_safe_planned_version_deleted(
    campaign: Campaign, seeds: tuple[int, ...]
) -> None:
    started = time.monotonic()
    reports = [campaign.run(generate(seed)) for seed in seeds]
    PLAYED.update((report.seed, report) for report in reports)
    SECONDS[seeds[0]] = time.monotonic() - started
    line = json.dumps(summarize(reports, SECONDS[seeds[0]]))
    print(f"\ncampaign seeds {seeds[0]}..{seeds[-1]}: {line}")

    failed = [r for r in reports if r.violations]
    if failed:
        first = failed[0]

        def fails(candidate: Any) -> bool:
            return bool(campaign.run(candidate).violations)

        smallest = minimise(generate(first.seed), fails)
        again = campaign.run(smallest)
        pytest.fail(
            f"{len(failed)} scenario(s) failed, seeds {[r.seed for r in failed][:20]}.\n"
            f"Seed {first.seed}: {first.violations}\n"
            f"Reproduce: SNAPSTART_CAMPAIGN_SEED={first.seed} python3 -m pytest -q tests/campaign -s\n"
            f"Minimised ({again.violations}):\n{smallest!r}\nsummary: {line}"
        )
    # Implied by no violations; said again, since they are what the campaign is for.
    assert sum(r.unsafe_proposals + r.unsafe_deletions for r in reports) == 0, line
    assert sum(r.safe_deleted for r in reports) == sum(r.safe_planned for r in reports), line


def test_campaign_summary_meets_faults_in_both_regions_drift_full_plans_and_deletes_every_safe_version(
    tmp_path: Path,
) -> None:
    seeds = _seeds()
    missing = [seed for seed in seeds if seed not in PLAYED]
    if missing:
        pytest.skip(
            f"{len(missing)} of {len(seeds)} seeds were played in another process (xdist) or not selected:"
            " the summary needs a serial run (-p no:xdist); each chunk checked its own scenarios"
        )
    reports = [PLAYED[seed] for seed in seeds]
    summary = summarize(reports, sum(SECONDS.values()))
    line = json.dumps(summary)
    (tmp_path / "campaign-summary.json").write_text(line + "\n")
    if os.environ.get("SNAPSTART_CAMPAIGN_SUMMARY"):
        Path(os.environ["SNAPSTART_CAMPAIGN_SUMMARY"]).write_text(line + "\n")
    print(f"\ncampaign: {line}")

    assert summary["scenarios_failed"] == summary["unsafe_proposals"] == summary["unsafe_deletions"] == 0
    if len(reports) >= DEFAULT_SCENARIOS:
        assert summary["two_region_scenarios"] and summary["scenarios_with_faults_in_both_regions"], line
        assert summary["scenarios_with_faults"] and summary["drift_cases"], line
        assert summary["full_plans"] and summary["versions_not_checked"], line
        assert summary["versions_deleted"] and summary["clean_safe_planned"], line
        assert summary["clean_share_deleted"] == 1.0, line


# --- what the generator covers, without playing it ----------------------------------------------------


def _can_fill(scenario: Scenario) -> bool:
    """More SnapStart versions past every function's keep_last_n (the file's, or the flag) in the listed
    regions than the scan's cap: a plan that can fill up, if enough of them are safe."""
    settings, flag = scenario.scan_file, scenario.scan_flags.keep_last_n
    if settings.max_deletions_per_apply is None:
        return False
    keep = settings.keep_last_n if flag is None else flag
    past = sum(
        sum(v.snapstart for v in function.versions[: max(len(function.versions) - keep, 0)])
        for function in scenario.functions
        if function.region in settings.regions
    )
    return past > settings.max_deletions_per_apply


def _faulting(scenario: Scenario) -> set[str]:
    """The regions a scenario's faults can act in (a fault spec with something in it)."""
    return {
        f.region
        for f in (*scenario.scan_faults, *scenario.apply_faults)
        if f.rate or f.deny or f.lost_rate or f.slow_rate
    }


def test_generator_spans_two_regions_at_once_with_faults_and_drift_in_both_and_plans_that_fill() -> None:
    scenarios = [generate(seed) for seed in range(DEFAULT_SCENARIOS)]
    two = [s for s in scenarios if s.regions == REGIONS]
    for scenario in two:
        # Both regions listed, so the scan has them at once (max_concurrent_regions None: 4).
        assert scenario.scan_file.regions == REGIONS, scenario.seed
        assert (scenario.scan_file.max_concurrent_regions or 4) >= 2, scenario.seed
    both_faulted = [s for s in two if _faulting(s) == set(REGIONS)]
    counts = {
        "two regions": len(two),
        "one region": len(scenarios) - len(two),
        "faults in both regions": len(both_faulted),
        "scan faults in both": sum(len(s.scan_faults) == 2 for s in two),
        "apply faults in both": sum(len(s.apply_faults) == 2 for s in two),
        "denials in the second region": sum(
            any(f.deny and f.region == REGION_B for f in (*s.scan_faults, *s.apply_faults)) for s in two
        ),
        "lost answers in the second region": sum(
            any(f.lost_rate and f.region == REGION_B for f in s.apply_faults) for s in two
        ),
        "drift in both regions": sum({d.region for d in s.drift} == set(REGIONS) for s in two),
        "a function name in both regions": sum(
            any(
                (REGIONS[0], name) in {(f.region, f.name) for f in s.functions}
                for name in {f.name for f in s.functions if f.region == REGION_B}
            )
            for s in two
        ),
        "the second region priced apart": sum(bool(s.scan_file.price_factors) for s in two),
        "plans that can fill up": sum(_can_fill(s) for s in scenarios),
        "two-region plans that can fill up": sum(_can_fill(s) for s in two),
    }
    assert counts["two regions"] >= 0.75 * DEFAULT_SCENARIOS, counts
    assert all(count >= 5 for count in counts.values()), counts
