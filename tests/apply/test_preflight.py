"""Nothing irreversible before the run knows it can record it (issue 8, attack 8): apply checks where
its result goes before the first deletion, scan checks where its plan goes before the first AWS call."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from cleaner.exit_codes import ExitCode
from tests.apply.conftest import Loop

ALL_VERSIONS = ["1", "2", "3", "4", "5", "6"]
_LINUX = sys.platform.startswith("linux")


def test_apply_with_a_file_as_output_deletes_nothing_and_names_it(loop: Loop) -> None:
    in_the_way = loop.workdir / "hostname"
    in_the_way.write_text("build-host\n")

    code, output = loop.run("apply", str(loop.plan_path), "--output", str(in_the_way))

    assert code == ExitCode.BAD_INPUT, output
    assert f"--output {in_the_way}" in output and "not a folder" in output
    assert loop.versions() == ALL_VERSIONS
    assert in_the_way.read_text() == "build-host\n"


def test_apply_with_an_output_below_a_file_deletes_nothing_and_names_it(loop: Loop) -> None:
    (loop.workdir / "results").write_text("")
    below = loop.workdir / "results" / "today"

    code, output = loop.run("apply", str(loop.plan_path), "--output", str(below))

    assert code == ExitCode.BAD_INPUT, output
    assert f"--output {below}" in output
    assert loop.versions() == ALL_VERSIONS


@pytest.mark.skipif(not _LINUX, reason="needs /proc")
def test_apply_with_an_output_folder_nobody_can_write_deletes_nothing_and_names_it(loop: Loop) -> None:
    # A folder that exists but takes no new file, even for root (the tests may run as root, where a
    # chmod proves nothing): the check must try to write there, not trust the permission bits.
    unwritable = Path("/proc/self")

    code, output = loop.run("apply", str(loop.plan_path), "--output", str(unwritable))

    assert code == ExitCode.BAD_INPUT, output
    assert f"--output {unwritable}" in output and "cannot write" in output
    assert loop.versions() == ALL_VERSIONS


def test_apply_creates_a_missing_output_folder_and_leaves_no_probe_behind(loop: Loop) -> None:
    output_dir = loop.workdir / "results" / "p1"

    code, output = loop.run("apply", str(loop.plan_path), "--output", "results/p1")

    assert code == ExitCode.OK, output
    assert sorted(p.name for p in output_dir.iterdir()) == [
        "apply-journal.jsonl",
        "apply-result.json",
        "apply-result.md",
    ]
    assert loop.versions() == ["4", "5", "6"]


def test_a_dry_run_checks_its_output_folder_too(loop: Loop) -> None:
    (loop.workdir / "results").write_text("")

    code, output = loop.run("apply", str(loop.plan_path), "--dry-run", "--output", "results")

    assert code == ExitCode.BAD_INPUT, output
    assert "--output" in output and "results" in output


def test_apply_with_an_unwritable_job_summary_deletes_nothing_and_names_it(loop: Loop) -> None:
    # GITHUB_STEP_SUMMARY is appended to after the deletions: a folder there crashed the run after them.
    loop.environ["GITHUB_STEP_SUMMARY"] = str(loop.workdir)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.BAD_INPUT, output
    assert f"GITHUB_STEP_SUMMARY {loop.workdir}" in output
    assert loop.versions() == ALL_VERSIONS


def _count_lambda_calls(loop: Loop) -> list[str]:
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    loop.session.events.register("before-call.lambda", record)
    return calls


@pytest.mark.parametrize(
    "where",
    [
        "file",
        "below_a_file",
        "plan_folder_is_a_file",
        pytest.param("nobody_can_write", marks=pytest.mark.skipif(not _LINUX, reason="needs /proc")),
    ],
)
def test_scan_checks_its_plans_dir_before_scanning(loop: Loop, where: str) -> None:
    blocker = loop.workdir / "blocker"
    blocker.write_text("")
    plans_dir, named = {
        "file": (blocker, blocker),
        "below_a_file": (blocker / "plans", blocker / "plans"),
        "plan_folder_is_a_file": (loop.workdir / "elsewhere", loop.workdir / "elsewhere" / "p2"),
        "nobody_can_write": (Path("/proc/self"), Path("/proc/self")),
    }[where]
    if where == "plan_folder_is_a_file":
        plans_dir.mkdir()
        (plans_dir / "p2").write_text("")
    calls = _count_lambda_calls(loop)

    code, output = loop.run("scan", "--region", "us-east-1", "--plan-id", "p2", "--plans-dir", str(plans_dir))

    assert code == ExitCode.BAD_INPUT, output
    assert str(named) in output and "--plans-dir" in output
    assert calls == []  # refused before the scan, not after it


def test_scan_creates_a_missing_plans_dir(loop: Loop) -> None:
    code, output = loop.run("scan", "--region", "us-east-1", "--plan-id", "p2", "--plans-dir", "new/plans")

    assert code == ExitCode.OK, output
    plan_dir = loop.workdir / "new" / "plans" / "p2"
    assert sorted(p.name for p in plan_dir.iterdir()) == ["plan.json", "plan.md"]
    assert json.loads((plan_dir / "plan.json").read_text())["plan_id"] == "p2"
