"""The model-based safety campaign (issue 11): random accounts x settings x reviewer edits x drift x
faults, through the real CLI on moto, checked against an independent oracle.

The default test run plays 200 scenarios (seeds 0..199). More, for the figure in the README:
    SNAPSTART_CAMPAIGN_SCENARIOS=2000 python3 -m pytest -q tests/campaign -s
Other knobs: SNAPSTART_CAMPAIGN_FIRST_SEED (where the seeds start), SNAPSTART_CAMPAIGN_SEED (play that one
seed only, e.g. to reproduce a failure), SNAPSTART_CAMPAIGN_SUMMARY (also write the summary JSON there).
A failure names its seed and prints the scenario minimised, as Python to paste into
tests/campaign/test_campaign_cases.py.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.campaign.model import generate
from tests.campaign.runner import Campaign, Report, minimise

pytestmark = pytest.mark.campaign

DEFAULT_SCENARIOS = 200


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


def summarize(reports: list[Report], seconds: float) -> dict[str, Any]:
    planned = sum(r.safe_planned for r in reports)
    deleted = sum(r.safe_deleted for r in reports)
    return {
        "scenarios": len(reports),
        "seconds": round(seconds, 1),
        "scenarios_with_faults": sum(r.faults_injected > 0 for r in reports),
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


def test_campaign_no_unsafe_proposal_or_deletion_and_every_safe_planned_version_deleted(
    campaign: Campaign, tmp_path: Path
) -> None:
    started = time.monotonic()
    reports = [campaign.run(generate(seed)) for seed in _seeds()]
    summary = summarize(reports, time.monotonic() - started)
    line = json.dumps(summary)
    (tmp_path / "campaign-summary.json").write_text(line + "\n")
    if os.environ.get("SNAPSTART_CAMPAIGN_SUMMARY"):
        Path(os.environ["SNAPSTART_CAMPAIGN_SUMMARY"]).write_text(line + "\n")
    print(f"\ncampaign: {line}")

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
    assert summary["unsafe_proposals"] == summary["unsafe_deletions"] == 0, line
    if len(reports) >= DEFAULT_SCENARIOS:
        # A campaign that met no fault, no drift or deleted nothing would prove nothing.
        assert summary["scenarios_with_faults"] and summary["drift_cases"], line
        assert summary["full_plans"] and summary["versions_not_checked"], line
        assert summary["versions_deleted"] and summary["clean_safe_planned"], line
        assert summary["clean_share_deleted"] == 1.0, line
