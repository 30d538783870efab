"""Issue 20's acceptance, end to end: `snapstart-cleaner scan` (a subprocess) against the sandbox (a
subprocess: moto with its Price List endpoint, code sizes and a Cost Explorer history), in a checkout
whose default branch merged an earlier plan. The plan shows the region's rate from the Price List, the
storage freed, the 30-day bill and the measured change of the earlier plan; `validate` refuses a review
edit that changes any of them."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from unit.factories import sample_plan

from cleaner.cli import Environment, program
from cleaner.demo.savings_seed import DEMO_DAILY_AFTER, DEMO_DAILY_BEFORE, DEMO_MERGED_DAYS_AGO
from cleaner.exit_codes import ExitCode
from cleaner.plan import load_plan, plan_json_text

from .sandbox_process import running_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(shutil.which("git") is None, reason="needs git")]

EARLIER = "20261005T060000Z"


def git(repository: Path, *args: str, when: str) -> None:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    subprocess.run(["git", *args], cwd=repository, check=True, capture_output=True, env=environment)


def checkout_with_a_merged_plan(repository: Path, merged: datetime) -> float:
    """A default branch on which plan EARLIER (us-east-1 and eu-west-1) was merged at `merged`;
    returns its estimate."""
    repository.mkdir()
    (repository / "pyproject.toml").write_text('[tool.cleaner]\nregions = ["us-east-1"]\n')
    git(repository, "init", "-q", "-b", "main", when=(merged - timedelta(days=30)).isoformat())
    git(repository, "add", ".", when=merged.isoformat())
    git(repository, "commit", "-q", "-m", "start", when=(merged - timedelta(days=30)).isoformat())
    git(repository, "checkout", "-q", "-b", "plan", when=merged.isoformat())
    earlier = sample_plan().model_copy(update={"plan_id": EARLIER})
    folder = repository / "plans" / EARLIER
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text(plan_json_text(earlier))
    git(repository, "add", ".", when=merged.isoformat())
    git(repository, "commit", "-q", "-m", "plan", when=(merged - timedelta(days=2)).isoformat())
    git(repository, "checkout", "-q", "main", when=merged.isoformat())
    git(repository, "merge", "-q", "--no-ff", "plan", "-m", "Merge plan", when=merged.isoformat())
    return earlier.summary.estimated_monthly_savings_usd


def validate(plan_json: Path, original: Path, cwd: Path) -> tuple[ExitCode, str]:
    out = io.StringIO()
    code = program(
        ["validate", str(plan_json), "--against", str(original)],
        Environment(stdout=out, stderr=out, cwd=cwd),
    )
    return code, out.getvalue()


# Review edits of the new records, each of which validate must refuse.
EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "the price": lambda d: d["pricing"]["regions"]["us-east-1"].update(cache_price_per_gb_second=0.000001),
    "the sku": lambda d: d["pricing"]["regions"]["us-east-1"].update(sku="OTHER1"),
    "a code size": lambda d: d["delete"][0].update(code_size_bytes=1),
    "the storage": lambda d: d["savings"]["storage"]["us-east-1"].update(used_bytes=1),
    "the bill": lambda d: d["savings"]["bill"]["daily"][-1]["usd_by_region"].update({"us-east-1": 0.0}),
    "an earlier estimate": lambda d: d["savings"]["bill"]["merged_plans"][0].update(
        estimated_monthly_savings_usd=1.0
    ),
    "a note": lambda d: d["savings"]["notes"].append("all good"),
}


def test_a_scan_shows_what_its_plan_is_worth_and_review_cannot_change_it(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    merged = (now - timedelta(days=DEMO_MERGED_DAYS_AGO)).replace(hour=12, minute=0, second=0, microsecond=0)
    repository = tmp_path / "repo"
    estimate = checkout_with_a_merged_plan(repository, merged)
    with running_sandbox(tmp_path) as sandbox:
        scanned = subprocess.run(
            [sys.executable, "-m", "cleaner", "scan", "--plan-id", "now"],
            cwd=repository,
            env=sandbox.environ(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    plan_json = repository / "plans" / "now" / "plan.json"
    plan = load_plan(plan_json)
    assert plan.savings is not None and plan.savings.notes == []
    price = plan.pricing.regions["us-east-1"]
    assert (price.source.value, price.sku) == ("price_list", "WRKYMVM4XSRFFQ7B")
    assert all(e.code_size_bytes for e in plan.delete)
    bill = plan.savings.bill
    assert bill is not None and [m.plan_id for m in bill.merged_plans] == [EARLIER]
    assert bill.merged_plans[0].merged_on == merged.date()

    page = plan_json.with_name("plan.md").read_text().replace("\\$", "$")
    assert "cache price in us-east-1 | $3.90 per GB-month, AWS Price List at scan time" in page
    assert "- us-east-1: frees " in page and " of 75.0 GB → " in page
    assert " in the last 30 days" in page
    change = round((DEMO_DAILY_AFTER - DEMO_DAILY_BEFORE) * 30, 2)
    assert (
        f"- plan `{EARLIER}` merged {merged.date().isoformat()}: estimated \u2212${estimate:,.2f}/month,"
        f" measured \u2212${-change:,.2f}/month"
    ) in page

    original = tmp_path / "original.json"
    shutil.copy(plan_json, original)
    assert validate(plan_json, original, repository)[0] == ExitCode.OK
    document = json.loads(original.read_text())
    for name, edit in EDITS.items():
        edited = json.loads(json.dumps(document))
        edit(edited)
        plan_json.write_text(json.dumps(edited, indent=2))
        code, said = validate(plan_json, original, repository)
        assert code != ExitCode.OK, name
        assert "changed" in said, (name, said)
