"""apply-journal.jsonl: a write-ahead record of an apply, one JSON line per event, appended as it happens.

A run starts with a `header` line; before each DeleteFunction call an `attempt` line; after each entry's
outcome an `outcome` line. Every line is flushed and fsync'd before the work it records goes on, so an
apply killed at any moment (a lost runner, a job timeout, SIGKILL) leaves a record of every deletion it
may have made: a version gone from AWS always has an `attempt` line, and a `deleted` line unless the
process died while its call was in flight. Re-runs append (a new header), so the file of a plan is its
complete history. Nothing reads the journal to decide anything: live re-verification decides.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from cleaner import __version__
from cleaner.apply_result import EntryResult
from cleaner.exit_codes import BadInputError
from cleaner.plan import PlanEntry, UtcDatetime

JOURNAL_FILE = "apply-journal.jsonl"
JOURNAL_FORMAT = 1


class JournalHeader(BaseModel):
    """The first line of each run: which plan (by content, not only by id), which account, which tool."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["header"] = "header"
    journal_format: int = JOURNAL_FORMAT
    run_id: str
    plan_id: str
    plan_sha256: str  # of the plan file's bytes, as read by this run
    account_id: str
    started_at: UtcDatetime
    dry_run: bool
    tool_version: str = __version__


class JournalAttempt(BaseModel):
    """Written (and fsync'd) before the DeleteFunction call of this entry is made."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["attempt"] = "attempt"
    run_id: str
    at: UtcDatetime
    region: str
    function_name: str
    version: str


class JournalOutcome(EntryResult):
    """An entry's final outcome in this run, with the same fields as in apply-result.json."""

    kind: Literal["outcome"] = "outcome"
    run_id: str
    at: UtcDatetime


JournalLine = Annotated[JournalHeader | JournalAttempt | JournalOutcome, Field(discriminator="kind")]
_LINE: TypeAdapter[JournalHeader | JournalAttempt | JournalOutcome] = TypeAdapter(JournalLine)


def plan_sha256(plan_path: Path) -> str:
    return hashlib.sha256(plan_path.read_bytes()).hexdigest()


def new_run_id() -> str:
    return secrets.token_hex(6)


class JournalFile:
    """Appends journal lines to one file from any thread; each line is flushed and fsync'd before
    `write` returns. Open it with `open()`; the header is the first line this run writes."""

    def __init__(
        self,
        handle: IO[bytes],
        clock: Callable[[], datetime],
        run_id: str,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        self._handle, self._clock, self.run_id, self._fsync = handle, clock, run_id, fsync
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        path: Path,
        header: JournalHeader,
        clock: Callable[[], datetime],
        fsync: Callable[[int], None] = os.fsync,
    ) -> JournalFile:
        """Open `path` for appending (creating it) and write `header`. BadInputError names the file
        when it cannot be written: that is found before the first deletion."""
        created = not path.exists()
        try:
            handle = path.open("ab")
            journal = cls(handle, clock, header.run_id, fsync)
            if created:
                # The new file's name must survive a crash too, not only its lines.
                directory = os.open(path.parent, os.O_RDONLY)
                try:
                    fsync(directory)
                finally:
                    os.close(directory)
            journal.write(header)
        except OSError as error:
            raise BadInputError(
                f"{path}: cannot write the apply journal: {error.strerror or error}"
            ) from error
        return journal

    def write(self, line: JournalHeader | JournalAttempt | JournalOutcome) -> None:
        data = line.model_dump_json().encode("utf-8") + b"\n"
        with self._lock:
            self._handle.write(data)
            self._handle.flush()
            self._fsync(self._handle.fileno())

    # The two events the applier reports (see `cleaner.applier.Journal`).

    def attempt(self, entry: PlanEntry) -> None:
        self.write(
            JournalAttempt(
                run_id=self.run_id,
                at=self._clock(),
                region=entry.region,
                function_name=entry.function_name,
                version=entry.version,
            )
        )

    def outcome(self, result: EntryResult) -> None:
        self.write(JournalOutcome(**result.model_dump(), run_id=self.run_id, at=self._clock()))

    def close(self) -> None:
        with self._lock:
            self._handle.close()

    def __enter__(self) -> JournalFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def read_journal(path: Path) -> list[JournalHeader | JournalAttempt | JournalOutcome]:
    """Every line of a journal. A last line without its newline is the one a kill interrupted while it
    was written: it is dropped (its deletion had not started, or its outcome is also in AWS)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(f"{path}: cannot read: {error}") from error
    # split: the last piece is "" after a final newline, else the interrupted write, dropped.
    complete = text.split("\n")[:-1]
    parsed: list[JournalHeader | JournalAttempt | JournalOutcome] = []
    for number, line in enumerate(complete, start=1):
        try:
            parsed.append(_LINE.validate_json(line))
        except ValidationError as error:
            raise BadInputError(f"{path}:{number}: not a journal line: {error.errors()[0]['msg']}") from error
    return parsed
