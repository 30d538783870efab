"""The whole loop through the real CLI, as subprocesses, against a moto server on 127.0.0.1:
scan -> a reviewer drops a version -> render -> validate --against -> apply."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from fakes.cli import subprocess_environ

from cleaner.demo.account import SimulatedAccount

pytestmark = pytest.mark.e2e


def cli(workdir: Path, endpoint: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *argv],
        cwd=workdir,
        env=subprocess_environ(endpoint),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_scan_edit_validate_apply_deletes_exactly_the_reviewed_plan(
    moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    now = datetime.now(UTC).replace(microsecond=0)
    session = boto3.Session(region_name="us-east-1")
    account = SimulatedAccount(session, "us-east-1", now)
    account.function("orders", [100, 90, 80, 70, 60, 50])  # proposes 1, 2, 3
    account.function("billing", [100, 90, 80, 70])  # proposes 1
    account.alias("billing", "live", "4")
    account.invocations("billing", 5, days_ago=1, alias="live", executed_version="4")

    scanned = cli(
        tmp_path, moto_server, "scan", "--region", "us-east-1", "--plan-id", "e2e", "--format", "json"
    )
    assert scanned.returncode == 0, scanned.stderr
    summary = json.loads(scanned.stdout)
    plan_json = Path(summary["plan_json"])
    original = tmp_path / "original.json"
    original.write_text(plan_json.read_text())
    assert summary["summary"]["delete_count"] == 4, plan_json.read_text()[-3000:]

    # The reviewer keeps orders:2 by deleting its entry, then re-renders.
    document = json.loads(plan_json.read_text())
    document["delete"] = [
        e for e in document["delete"] if (e["function_name"], e["version"]) != ("orders", "2")
    ]
    plan_json.write_text(json.dumps(document, indent=2))
    # Removals only: valid, its stale summary and plan.md a note (the web editor's edit, issue 19).
    stale = cli(tmp_path, moto_server, "validate", str(plan_json), "--against", str(original))
    assert stale.returncode == 0 and "not re-rendered" in stale.stdout and "render" in stale.stdout

    rendered = cli(tmp_path, moto_server, "render", str(plan_json))
    assert rendered.returncode == 0, rendered.stderr
    validated = cli(tmp_path, moto_server, "validate", str(plan_json), "--against", str(original))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "1 dropped" in validated.stdout

    applied = cli(tmp_path, moto_server, "apply", str(plan_json))
    assert applied.returncode == 0, applied.stdout + applied.stderr

    lambda_ = session.client("lambda")
    left = {
        (f["FunctionName"], f["Version"])
        for f in lambda_.list_functions(FunctionVersion="ALL")["Functions"]
        if f["Version"] != "$LATEST"
    }
    assert left == {
        ("orders", "2"),
        ("orders", "4"),
        ("orders", "5"),
        ("orders", "6"),
        *(("billing", v) for v in ("2", "3", "4")),
    }
    result = json.loads((plan_json.parent / "apply-result.json").read_text())
    assert {(e["function_name"], e["version"], e["outcome"]) for e in result["entries"]} == {
        ("orders", "1", "deleted"),
        ("orders", "3", "deleted"),
        ("billing", "1", "deleted"),
    }


def test_an_added_entry_fails_validation_and_a_broken_plan_cannot_be_applied(
    moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    account = SimulatedAccount(boto3.Session(region_name="us-east-1"), "us-east-1", datetime.now(UTC))
    account.function("orders", [100, 90, 80, 70, 60])  # proposes 1, 2; keeps 3, 4, 5
    scanned = cli(tmp_path, moto_server, "scan", "--region", "us-east-1", "--plan-id", "e2e")
    assert scanned.returncode == 0, scanned.stderr
    plan_json = tmp_path / "plans" / "e2e" / "plan.json"
    original = tmp_path / "original.json"
    original.write_text(plan_json.read_text())

    document = json.loads(plan_json.read_text())
    smuggled = dict(document["keep"][0], reasons=["no_activity_and_stale"], details=[])
    document["delete"].append(smuggled)
    document["keep"] = document["keep"][1:]
    plan_json.write_text(json.dumps(document, indent=2))
    assert cli(tmp_path, moto_server, "render", str(plan_json)).returncode == 0
    validated = cli(tmp_path, moto_server, "validate", str(plan_json), "--against", str(original))
    assert validated.returncode == 1
    assert "not proposed by the scan" in validated.stdout

    plan_json.write_text('{"schema_version": 1, "delete": [')
    applied = cli(tmp_path, moto_server, "apply", str(plan_json))
    assert applied.returncode == 2
    assert f"{plan_json}:1:" in applied.stderr
