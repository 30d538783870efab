"""An apply cut short, for real: a `python -m cleaner apply` subprocess against a moto server, a plan
of 150 deletions with the limiter at its default (~10 deletions/s), killed or signalled at a random
moment after its first deletion started. The journal must account for every version gone from AWS,
and a re-run must finish the plan. The seed and the moment are in every failure message;
SNAPSTART_KILL_SEED=<seed> replays one."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from fakes.cli import subprocess_environ

from cleaner.apply_journal import JOURNAL_FILE, JournalAttempt, JournalHeader, JournalOutcome, read_journal
from cleaner.aws.ratelimit import RateLimiter
from cleaner.aws.session import AwsContext
from cleaner.demo.account import SimulatedAccount
from cleaner.plan import write_plan_files
from cleaner.render import render_plan_markdown_chunks
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, Performance, ScanSettings

pytestmark = pytest.mark.e2e

FUNCTIONS = 15
VERSIONS = 13  # with --keep-last-n 3: 10 deletions per function, 150 in all (15 s at the default pace)
MAX_IN_FLIGHT = Performance().max_workers
FINAL = {"deleted", "already_deleted", "skipped", "failed", "would_delete", "not_attempted"}


@dataclass
class Scenario:
    workdir: Path
    endpoint: str
    plan_json: Path
    planned: set[tuple[str, str]]
    context: str = ""

    @property
    def journal(self) -> Path:
        return self.plan_json.parent / JOURNAL_FILE

    def live_versions(self) -> set[tuple[str, str]]:
        client = boto3.Session(region_name="us-east-1").client("lambda", endpoint_url=self.endpoint)
        found = set()
        for index in range(FUNCTIONS):
            for version in client.list_versions_by_function(FunctionName=f"fn{index:02d}")["Versions"]:
                if version["Version"] != "$LATEST":
                    found.add((f"fn{index:02d}", version["Version"]))
        return found

    def gone(self) -> set[tuple[str, str]]:
        return self.planned - self.live_versions()

    def start_apply(self) -> subprocess.Popen[bytes]:
        # Output to files, not pipes: a full pipe would stall the process we are timing.
        return subprocess.Popen(
            [sys.executable, "-m", "cleaner", "apply", str(self.plan_json)],
            cwd=self.workdir,
            env=subprocess_environ(self.endpoint),
            stdout=(self.workdir / "apply.out").open("ab"),
            stderr=(self.workdir / "apply.err").open("ab"),
        )

    def wait_for_first_attempt(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.journal.exists() and '"kind":"attempt"' in self.journal.read_text():
                return
            assert process.poll() is None, f"{self.context}: apply ended before deleting: {self.output()}"
            time.sleep(0.05)
        raise AssertionError(f"{self.context}: no deletion started within 120 s: {self.output()}")

    def output(self) -> str:
        return "".join(
            (self.workdir / name).read_text()
            for name in ("apply.out", "apply.err")
            if (self.workdir / name).exists()
        )[-3000:]


def runs(journal: Path) -> list[list[JournalHeader | JournalAttempt | JournalOutcome]]:
    """The journal's lines grouped per run (by run_id, in the order the runs started)."""
    grouped: dict[str, list[JournalHeader | JournalAttempt | JournalOutcome]] = {}
    for line in read_journal(journal):
        grouped.setdefault(line.run_id, []).append(line)
    return list(grouped.values())


def key(line: JournalAttempt | JournalOutcome) -> tuple[str, str]:
    return (line.function_name, line.version)


@pytest.fixture
def scenario(moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scenario:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    account = SimulatedAccount(boto3.Session(region_name="us-east-1"), "us-east-1", datetime.now(UTC))
    for index in range(FUNCTIONS):
        account.function(f"fn{index:02d}", [200 - 10 * v for v in range(VERSIONS)])
    # The scan is not under test: run it in-process and unpaced (its GetPolicy pass alone would take
    # 150 / 10 rps). The apply under test runs as a subprocess with the limiter at its default.
    aws = AwsContext(session=boto3.Session(region_name="us-east-1"))
    aws.limiter = RateLimiter({})
    settings = ScanSettings(regions=["us-east-1"], keep_last_n=3)
    plan = scan(aws, settings, datetime.now(UTC), "big", lambda _: None, limits=ApplyLimits())
    plan_dir = tmp_path / "plans" / "big"
    plan_dir.mkdir(parents=True)
    plan_json, _ = write_plan_files(plan_dir, plan, render_plan_markdown_chunks(plan))
    planned = {(e["function_name"], e["version"]) for e in json.loads(plan_json.read_text())["delete"]}
    assert len(planned) == FUNCTIONS * (VERSIONS - 3)
    seed = int(os.environ.get("SNAPSTART_KILL_SEED") or random.SystemRandom().randrange(2**32))
    return Scenario(tmp_path, moto_server, plan_json, planned, context=f"seed={seed}")


def _moment(scenario: Scenario, upper: float) -> float:
    seed = int(scenario.context.removeprefix("seed="))
    delay = random.Random(seed).uniform(0.0, upper)
    scenario.context += f" delay={delay:.2f}s after the first attempt line"
    return delay


def test_a_killed_apply_leaves_a_journal_line_for_every_deletion_and_a_rerun_finishes_the_plan(
    scenario: Scenario,
) -> None:
    process = scenario.start_apply()
    scenario.wait_for_first_attempt(process)
    time.sleep(_moment(scenario, upper=7.0))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    ctx = scenario.context

    gone = scenario.gone()
    (first,) = runs(scenario.journal)
    attempted = {key(line) for line in first if isinstance(line, JournalAttempt)}
    deleted = {key(line) for line in first if isinstance(line, JournalOutcome) and line.outcome == "deleted"}
    assert gone <= attempted, f"{ctx}: gone without an attempt line: {sorted(gone - attempted)[:5]}"
    assert deleted <= gone, f"{ctx}: a deleted line for a version still there: {sorted(deleted - gone)[:5]}"
    # Only the calls in flight at the kill may lack their outcome line.
    assert len(gone - deleted) <= MAX_IN_FLIGHT, f"{ctx}: {len(gone - deleted)} gone without a deleted line"
    # The kill landed mid-run (a kill right after the first attempt line may precede its deletion).
    assert attempted and len(gone) < len(scenario.planned), f"{ctx}: {len(gone)} gone at the kill"

    rerun = scenario.start_apply()
    assert rerun.wait(timeout=120) == 0, f"{ctx}: {scenario.output()}"

    assert scenario.gone() == scenario.planned, ctx
    every_run = runs(scenario.journal)
    assert len(every_run) == 2 and isinstance(every_run[1][0], JournalHeader), ctx
    latest = Counter(key(line) for line in every_run[1] if isinstance(line, JournalOutcome))
    assert set(latest) == scenario.planned and set(latest.values()) == {1}, ctx
    finals = {key(line): line.outcome.value for line in every_run[1] if isinstance(line, JournalOutcome)}
    assert set(finals.values()) <= {"deleted", "already_deleted"}, ctx
    ever_gone = {
        key(line)
        for run in every_run
        for line in run
        if isinstance(line, JournalOutcome) and line.outcome in ("deleted", "already_deleted")
    }
    assert ever_gone == scenario.planned, ctx


def test_a_sigterm_stops_apply_within_seconds_with_every_entry_accounted_for(scenario: Scenario) -> None:
    process = scenario.start_apply()
    scenario.wait_for_first_attempt(process)
    time.sleep(_moment(scenario, upper=5.0))
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=30)
    seconds = time.monotonic() - signalled
    ctx = f"{scenario.context}; exit {code} {seconds:.2f}s after SIGTERM"
    print(ctx)

    assert code == 1, f"{ctx}: {scenario.output()}"
    assert seconds < 10, ctx
    result = json.loads((scenario.plan_json.parent / "apply-result.json").read_text())
    outcomes = {(e["function_name"], e["version"]): e["outcome"] for e in result["entries"]}
    assert set(outcomes) == scenario.planned, ctx
    assert set(outcomes.values()) == {"deleted", "not_attempted"}, ctx
    assert result["stopped"] == "SIGTERM", ctx
    assert "not attempted" in (scenario.plan_json.parent / "apply-result.md").read_text()

    gone = scenario.gone()
    assert gone == {k for k, outcome in outcomes.items() if outcome == "deleted"}, ctx
    (run,) = runs(scenario.journal)
    journaled = Counter(key(line) for line in run if isinstance(line, JournalOutcome))
    assert set(journaled) == scenario.planned and set(journaled.values()) == {1}, ctx
    finals = {key(line): line.outcome.value for line in run if isinstance(line, JournalOutcome)}
    assert finals == outcomes, ctx
    assert {key(line) for line in run if isinstance(line, JournalAttempt)} == gone, ctx
