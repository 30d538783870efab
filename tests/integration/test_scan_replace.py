"""A scan never overwrites a plan folder that holds a plan (it may have been reviewed, edited or
applied) unless told to with --replace, which also removes the apply results and journal left there:
they describe the plan being replaced."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import boto3

from cleaner.demo.account import SimulatedAccount
from cleaner.exit_codes import ExitCode

from .support import run_cli_scan


def test_a_second_scan_into_the_same_plan_folder_is_refused_and_changes_nothing(
    aws_session: boto3.Session, account: SimulatedAccount, tmp_path: Path, now: datetime
) -> None:
    account.function("orders", [100, 90, 80, 70, 60, 50])
    assert run_cli_scan(aws_session, tmp_path, now).code == ExitCode.OK
    plan_json = tmp_path / "plans" / "test" / "plan.json"
    reviewed = plan_json.read_text().replace('"version": "1"', '"version": "1" ', 1)
    plan_json.write_text(reviewed)  # a reviewer's edit, byte for byte

    again = run_cli_scan(aws_session, tmp_path, now)

    assert again.code == ExitCode.BAD_INPUT, again.stderr
    assert "already holds plan.json, plan.md" in again.stderr and "--replace" in again.stderr
    assert plan_json.read_text() == reviewed


def test_replace_scans_again_and_removes_the_results_of_the_plan_it_replaces(
    aws_session: boto3.Session, account: SimulatedAccount, tmp_path: Path, now: datetime
) -> None:
    account.function("orders", [100, 90, 80, 70, 60, 50])
    assert run_cli_scan(aws_session, tmp_path, now).code == ExitCode.OK
    folder = tmp_path / "plans" / "test"
    for name in ("apply-result.json", "apply-result.md", "apply-journal.jsonl"):
        (folder / name).write_text("of the old plan\n")
    (folder / "notes.txt").write_text("mine\n")

    again = run_cli_scan(aws_session, tmp_path, now, "--replace")

    assert again.code == ExitCode.OK, again.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "plan.json", "plan.md"]
    assert "removed" in again.stderr and "apply-journal.jsonl" in again.stderr
