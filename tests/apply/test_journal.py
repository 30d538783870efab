"""apply-journal.jsonl: a header per run, an attempt line durable before each DeleteFunction call, an
outcome line per entry, appended across re-runs; and what the applier does when it cannot write one."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cleaner.applier import Applier
from cleaner.apply_journal import (
    JOURNAL_FILE,
    JournalAttempt,
    JournalFile,
    JournalHeader,
    JournalOutcome,
    read_journal,
)
from cleaner.apply_result import EntryResult, Outcome
from cleaner.aws.session import AwsContext
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.plan import PlanEntry, load_plan
from cleaner.settings import Performance
from tests.apply.conftest import Loop

AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _header(run_id: str = "run1") -> JournalHeader:
    return JournalHeader(
        run_id=run_id,
        plan_id="p1",
        plan_sha256="0" * 64,
        account_id="123456789012",
        started_at=AT,
        dry_run=False,
    )


def _entry_result(version: str, outcome: Outcome = Outcome.DELETED) -> EntryResult:
    return EntryResult(region="us-east-1", function_name="api", version=version, outcome=outcome)


class FsyncSpy:
    """Records each fsync with the journal's text at that moment: a line must be flushed before."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: list[str] = []

    def __call__(self, fd: int) -> None:
        self.seen.append(self.path.read_text() if self.path.exists() else "")
        os.fsync(fd)


def test_every_line_is_flushed_then_fsynced_before_write_returns(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    spy = FsyncSpy(path)
    with JournalFile.open(path, _header(), lambda: AT, fsync=spy) as journal:
        journal.write(
            JournalAttempt(run_id="run1", at=AT, region="us-east-1", function_name="api", version="1")
        )
        journal.outcome(_entry_result("1"))

    # A new file: its folder is fsync'd (the name must survive a crash), then one fsync per line, each
    # seeing that line already in the file.
    assert len(spy.seen) == 1 + 3
    lines = path.read_text().splitlines()
    assert [seen.count("\n") for seen in spy.seen[1:]] == [1, 2, 3]
    assert [json.loads(line)["kind"] for line in lines] == ["header", "attempt", "outcome"]
    assert all(json.loads(line)["run_id"] == "run1" for line in lines)


def test_a_rerun_appends_a_new_header_and_keeps_the_history(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    with JournalFile.open(path, _header("run1"), lambda: AT) as journal:
        journal.outcome(_entry_result("1"))
    with JournalFile.open(path, _header("run2"), lambda: AT) as journal:
        journal.outcome(_entry_result("1", Outcome.ALREADY_DELETED))

    lines = read_journal(path)

    assert [(type(line).__name__, line.run_id) for line in lines] == [
        ("JournalHeader", "run1"),
        ("JournalOutcome", "run1"),
        ("JournalHeader", "run2"),
        ("JournalOutcome", "run2"),
    ]


def test_reading_drops_a_last_line_cut_by_a_kill_and_names_a_corrupt_line(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    with JournalFile.open(path, _header(), lambda: AT) as journal:
        journal.outcome(_entry_result("1"))
    with path.open("a") as handle:
        handle.write('{"kind": "attempt", "run_id": "ru')
    assert len(read_journal(path)) == 2

    path.write_text(path.read_text() + 'n1"}\n{"kind": "outcome"}\n')
    with pytest.raises(BadInputError, match=rf"{JOURNAL_FILE}:3: "):
        read_journal(path)


def test_a_journal_that_cannot_be_opened_stops_apply_before_any_deletion(loop: Loop) -> None:
    (loop.plan_path.parent / JOURNAL_FILE).mkdir()  # a folder in the way: the file cannot be opened

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.BAD_INPUT, output
    assert "cannot write the apply journal" in output
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]


# --- the journal of a real apply ---------------------------------------------------------------------


def test_apply_writes_a_header_an_attempt_before_each_deletion_and_every_outcome(loop: Loop) -> None:
    journal_path = loop.plan_path.parent / JOURNAL_FILE
    attempted_before_call: list[str] = []

    def check_write_ahead(params: dict[str, Any], **_: Any) -> None:
        version = params["query_string"]["Qualifier"]
        on_disk = [line for line in read_journal(journal_path) if isinstance(line, JournalAttempt)]
        if any(line.version == version for line in on_disk):
            attempted_before_call.append(version)

    loop.session.events.register("before-call.lambda.DeleteFunction", check_write_ahead)
    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert sorted(attempted_before_call) == ["1", "2", "3"]
    lines = read_journal(journal_path)
    header = lines[0]
    assert isinstance(header, JournalHeader)
    assert header.plan_id == "p1" and header.account_id == "123456789012" and not header.dry_run
    assert header.plan_sha256 == hashlib.sha256(loop.plan_path.read_bytes()).hexdigest()
    for version in ("1", "2", "3"):
        kinds = [type(line).__name__ for line in lines if getattr(line, "version", None) == version]
        assert kinds == ["JournalAttempt", "JournalOutcome"]


def test_the_results_agree_with_the_journal_and_a_rerun_appends_its_own_run(loop: Loop) -> None:
    loop.drop_from_plan("2")
    assert loop.run("apply", str(loop.plan_path))[0] == ExitCode.OK
    first = loop.result()["entries"]
    code, output = loop.run("apply", str(loop.plan_path))  # everything is gone already
    assert code == ExitCode.OK, output

    lines = read_journal(loop.plan_path.parent / JOURNAL_FILE)
    headers = [line for line in lines if isinstance(line, JournalHeader)]
    assert len(headers) == 2
    runs = {
        header.run_id: sorted(
            (
                line.model_dump(include=set(EntryResult.model_fields))
                for line in lines
                if isinstance(line, JournalOutcome) and line.run_id == header.run_id
            ),
            key=lambda e: e["version"],
        )
        for header in headers
    }
    assert runs[headers[0].run_id] == sorted(first, key=lambda e: e["version"])
    assert runs[headers[1].run_id] == sorted(loop.result()["entries"], key=lambda e: e["version"])
    assert {e["outcome"] for e in runs[headers[1].run_id]} == {"already_deleted"}


def test_a_dry_run_journals_its_outcomes_and_no_attempt(loop: Loop) -> None:
    assert loop.run("apply", str(loop.plan_path), "--dry-run")[0] == ExitCode.OK

    lines = read_journal(loop.plan_path.parent / JOURNAL_FILE)

    assert isinstance(lines[0], JournalHeader) and lines[0].dry_run
    assert [line.outcome for line in lines if isinstance(line, JournalOutcome)] == [Outcome.WOULD_DELETE] * 3
    assert not [line for line in lines if isinstance(line, JournalAttempt)]


# --- a journal that fails mid-run --------------------------------------------------------------------


class BreakingJournal:
    """Records in memory; raises on the n-th attempt, like a disk that filled up."""

    def __init__(self, fail_on_attempt: int) -> None:
        self.fail_on_attempt = fail_on_attempt
        self.attempts: list[str] = []
        self.outcomes: list[EntryResult] = []

    def attempt(self, entry: PlanEntry) -> None:
        if len(self.attempts) + 1 == self.fail_on_attempt:
            raise OSError(28, "No space left on device")
        self.attempts.append(entry.version)

    def outcome(self, result: EntryResult) -> None:
        self.outcomes.append(result)


def test_a_journal_that_cannot_record_an_attempt_stops_every_later_deletion(loop: Loop) -> None:
    plan = load_plan(loop.plan_path)
    journal = BreakingJournal(fail_on_attempt=2)
    applier = Applier(
        aws=AwsContext(session=loop.session, performance=Performance(max_workers=1)),
        plan=plan,
        settings=[plan.settings],
        now=loop.clock[0],
        dry_run=False,
        progress=lambda _: None,
        journal=journal,
    )

    results = {r.version: (r.outcome, r.reasons) for r in applier.run()}

    assert results == {
        "1": (Outcome.DELETED, []),
        "2": (Outcome.FAILED, ["journal_write_failed"]),
        "3": (Outcome.NOT_ATTEMPTED, []),
    }
    assert loop.versions() == ["2", "3", "4", "5", "6"]
    assert applier.stopped_by is not None and "No space left" in applier.stopped_by
