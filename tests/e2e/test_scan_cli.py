"""`scan`, `render` and `validate` as a user runs them: `python -m cleaner` subprocesses talking to a
moto server on 127.0.0.1 through AWS_ENDPOINT_URL, with fake credentials.

The server runs inside the test process: that is what lets the SnapStart shim and the backdating of
LastModified (both on moto's in-process backend objects) apply to what the subprocess reads."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from cleaner.demo.account import SimulatedAccount
from cleaner.plan import load_plan
from cleaner.reasons import Reason
from cleaner.render import render_plan_markdown

from .conftest import CliRunner

pytestmark = pytest.mark.e2e

OLD = [100, 90, 80, 70, 60, 50]
R = Reason


def seed(account: SimulatedAccount) -> None:
    account.function("orders", OLD, memory_mb=2048)
    account.alias("orders", "rollback", "2")
    account.invocations("orders", 5, days_ago=2, version="3")
    account.function("legacy", [100, 90, 80, 70])
    account.invocations("legacy", 12, days_ago=1, unqualified=True)
    account.function("consumer", OLD)
    account.event_source_mapping("consumer", "1", "jobs")
    account.function("hook", OLD, memory_mb=512)
    account.permission("hook", "2")
    account.function("payments", OLD, tags={"snapstart-cleaner:keep": "audit"})
    account.function("sandbox-toy", OLD)
    account.function("fresh", [10, 5, 1])
    account.function("reports", OLD, snapstart=[True] * 3 + [False] * 3)
    account.function("node", OLD, runtime="nodejs20.x", snapstart=False)


EXPECTED_DELETE = [
    "consumer:2",
    "consumer:3",
    "hook:1",
    "hook:3",
    "orders:1",
    "reports:1",
    "reports:2",
    "reports:3",
]


def test_scan_as_a_subprocess_writes_the_plan_that_render_and_validate_accept(
    moto_server: str, cli: CliRunner, tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    seed(SimulatedAccount(boto3.Session(region_name="us-east-1"), "us-east-1", now))

    scanned = cli(
        "scan",
        "--region",
        "us-east-1",
        "--now",
        now.isoformat(),
        "--plans-dir",
        "out/plans",
        "--plan-id",
        "e2e-scan",
        "--exclude",
        "sandbox-*",
        "--format",
        "json",
        endpoint=moto_server,
    )

    assert scanned.returncode == 0, scanned.stderr
    summary = json.loads(scanned.stdout)
    plan_dir = tmp_path / "out" / "plans" / "e2e-scan"
    assert Path(summary["plan_json"]).resolve() == plan_dir / "plan.json"
    assert Path(summary["plan_md"]).resolve() == plan_dir / "plan.md"
    assert summary["plan_id"] == "e2e-scan"
    assert summary["summary"]["delete_count"] == len(EXPECTED_DELETE)
    assert summary["warnings"] == []

    plan = load_plan(plan_dir / "plan.json")
    assert (plan.account_id, plan.regions, plan.created_at) == ("123456789012", ["us-east-1"], now)
    assert plan.settings.exclude == ["sandbox-*"]
    assert plan.settings.lookback_days == 14
    assert sorted(f"{e.function_name}:{e.version}" for e in plan.delete) == EXPECTED_DELETE
    kept = {f"{e.function_name}:{e.version}": e.reasons for e in plan.keep}
    assert kept["orders:2"] == [R.ALIAS_PROTECTED]
    assert kept["orders:3"] == [R.HAS_RECENT_INVOCATIONS]
    assert kept["legacy:1"] == [R.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN]
    assert kept["consumer:1"] == [R.EVENT_SOURCE_MAPPING_PROTECTED]
    assert kept["hook:2"] == [R.RESOURCE_POLICY_PROTECTED]
    assert kept["payments:1"] == [R.TAG_PROTECTED]
    assert kept["sandbox-toy:1"] == [R.EXCLUDED_BY_FILTER]
    assert kept["fresh:1"] == [R.TOO_RECENT, R.PROTECTED_KEPT_LAST_N]
    assert not any(label.startswith(("node:", "reports:4")) for label in kept)  # no SnapStart: not in it
    orders_1 = next(e for e in plan.delete if e.function_name == "orders")
    assert (orders_1.state, orders_1.age_days, orders_1.memory_mb, orders_1.last_invoked) == (
        "Active",
        100,
        2048,
        None,
    )
    markdown = (plan_dir / "plan.md").read_text()
    assert markdown == render_plan_markdown(plan)
    assert "`orders`" in markdown and "`reports`" in markdown

    # `render` of an unedited plan changes nothing; `validate` accepts it.
    original = tmp_path / "original.json"
    original.write_bytes((plan_dir / "plan.json").read_bytes())
    rendered = cli("render", "out/plans/e2e-scan/plan.json")
    assert rendered.returncode == 0, rendered.stderr
    assert (plan_dir / "plan.json").read_bytes() == original.read_bytes()
    assert (plan_dir / "plan.md").read_text() == markdown
    validated = cli("validate", "out/plans/e2e-scan/plan.json", "--against", str(original))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert f"valid ({len(EXPECTED_DELETE)} versions to delete, 0 dropped by review)" in validated.stdout

    # A reviewer who moves a kept version into `delete` (and re-renders) is caught.
    document = json.loads((plan_dir / "plan.json").read_text())
    moved = next(e for e in document["keep"] if e["function_name"] == "payments")
    document["keep"].remove(moved)
    document["delete"].append({**moved, "reasons": ["no_activity_and_stale"], "details": []})
    (plan_dir / "plan.json").write_text(json.dumps(document, indent=2))
    assert cli("render", "out/plans/e2e-scan/plan.json").returncode == 0
    tampered = cli("validate", "out/plans/e2e-scan/plan.json", "--against", str(original), "--format", "json")
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    findings = json.loads(tampered.stdout)["findings"]
    assert any("payments" in f["message"] for f in findings), findings


def test_scan_without_access_exits_3_and_writes_nothing(
    moto_server: str, cli: CliRunner, tmp_path: Path
) -> None:
    # No credentials at all: the default chain finds none, so no request is ever signed.
    result = cli(
        "scan",
        "--region",
        "us-east-1",
        "--plans-dir",
        "plans",
        endpoint=moto_server,
        unset=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    )

    assert result.returncode == 3, result.stdout + result.stderr
    assert "credentials" in result.stderr
    assert not (tmp_path / "plans").exists()
