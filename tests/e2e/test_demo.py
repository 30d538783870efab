"""`python -m cleaner demo`: the whole loop on the embedded simulated account, as a newcomer runs it."""

from __future__ import annotations

import io
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cleaner.cli import Environment, program
from cleaner.exit_codes import ExitCode
from cleaner.plan import load_plan
from cleaner.reasons import Reason

from .conftest import CliRunner

pytestmark = pytest.mark.e2e

# The reason flags of the README's table ("What is a candidate"), as a user reads them there.
README_REASON_FLAGS = {
    "too_recent",
    "protected_kept_last_n",
    "alias_protected",
    "has_recent_invocations",
    "function_level_activity_uncertain",
    "event_source_mapping_protected",
    "resource_policy_protected",
    "cloudfront_protected",
    "excluded_by_filter",
    "tag_protected",
    "check_incomplete",
    "no_activity_and_stale",
}


@contextmanager
def closed_port() -> Iterator[int]:
    """A port that refuses connections while this holds it: bound and never listening, so no other
    process (another xdist worker's server) can listen there meanwhile."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield int(probe.getsockname()[1])


def test_the_demo_shows_every_reason_flag_without_aws_even_with_an_endpoint_configured(
    cli: CliRunner, tmp_path: Path
) -> None:
    # over_deletion_cap and not_checked_plan_full come from the scan's cap on a whole plan
    # (max_deletions_per_apply), not from a check the demo account can trip with its few candidates.
    plan_cap = {"over_deletion_cap", "not_checked_plan_full"}
    assert {reason.value for reason in Reason} - plan_cap == README_REASON_FLAGS

    # An AWS_ENDPOINT_URL that refuses connections: the demo must never send anything there.
    with closed_port() as port:
        result = cli("demo", "--output", "demo-out", endpoint=f"http://127.0.0.1:{port}", timeout=30)

    assert result.returncode == 0, result.stdout + result.stderr
    plan_json = tmp_path / "demo-out" / "plans" / "demo" / "plan.json"
    assert str(plan_json) in result.stdout
    assert str(plan_json.with_name("plan.md")) in result.stdout
    plan = load_plan(plan_json)
    found = {reason.value for entry in [*plan.delete, *plan.keep] for reason in entry.reasons}
    assert found == README_REASON_FLAGS
    assert plan.delete and all(e.reasons == [Reason.NO_ACTIVITY_AND_STALE] for e in plan.delete)
    assert re.search(r"Plan demo: \d+ SnapStart versions to delete", result.stdout)
    # The one denied permission of the demo is reported, not hidden.
    assert any("lambda:GetPolicy" in warning for warning in plan.warnings)

    # What the demo wrote is a valid plan whose plan.md is in sync.
    out, err = io.StringIO(), io.StringIO()
    code = program(["validate", str(plan_json)], Environment(stdout=out, stderr=err, cwd=tmp_path))
    assert code == ExitCode.OK, out.getvalue() + err.getvalue()

    # What the plan is worth (issue 20): the Price List's rate, storage freed, the bill and the measured
    # change of the demo's earlier merged plan, every source answered (no note).
    assert plan.savings is not None and plan.savings.notes == []
    page = plan_json.with_name("plan.md").read_text().replace("\\$", "$")
    assert "AWS Price List at scan time (Lambda-SnapStart-Cached-GB-S, SKU WRKYMVM4XSRFFQ7B" in page
    assert re.search(
        r"^- us-east-1: frees \d+\.\d GB \(\d+ versions\) · at \d+\.\d of 75\.0 GB → ", page, re.M
    )
    assert re.search(r"\*\*\$[\d,.]+\*\* in the last 30 days", page)
    assert "- plan `demo-earlier` merged " in page and "measured \u2212$49.50/month" in page


def test_the_demos_pages_and_commands_name_the_plan_where_it_is_from_where_the_demo_ran(
    cli: CliRunner, tmp_path: Path
) -> None:
    result = cli("demo", timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    apply_md = (tmp_path / "demo-output" / "plans" / "demo" / "apply-result.md").read_text()
    assert "plan `demo-output/plans/demo/plan.json`" in apply_md
    assert (tmp_path / "demo-output/plans/demo/plan.json").is_file()
    # Each command the demo shows names paths that exist from the folder it ran in.
    shown = [line.removeprefix("$ snapstart-cleaner ").split() for line in result.stdout.splitlines()]
    commands = [argv for argv in shown if argv and argv[0] in ("render", "validate", "apply")]
    assert [argv[0] for argv in commands] == ["render", "validate", "apply"]
    paths = [arg for argv in commands for arg in argv[1:] if not arg.startswith("--")]
    assert paths and all((tmp_path / path).is_file() for path in paths), paths
