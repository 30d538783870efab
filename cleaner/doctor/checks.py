"""One line of the checklist: what should hold, whether it does, what was found and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cleaner.doctor.facts import Unreadable


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    # The fact could not be read (a refused call): not a pass, a failure with what reads it.
    UNREADABLE = "unreadable"
    # Not asked for (the AWS checks without --aws): says how to run it, fails nothing.
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    area: str
    title: str  # what should hold, said as a fact: "Stale approvals are dismissed on push"
    status: Status
    detail: str = ""  # what was found
    fix: str = ""
    # Recommended, not relied on: shown ✓ or ✗, never fails the run.
    advisory: bool = False

    @property
    def fails(self) -> bool:
        """Whether this line makes the run exit 1."""
        return not self.advisory and self.status in (Status.FAIL, Status.UNREADABLE)


def passed(area: str, title: str, detail: str = "", advisory: bool = False) -> Check:
    return Check(area, title, Status.PASS, detail, advisory=advisory)


def failed(area: str, title: str, detail: str, fix: str, advisory: bool = False) -> Check:
    return Check(area, title, Status.FAIL, detail, fix, advisory)


def unreadable(area: str, title: str, why: Unreadable, advisory: bool = False) -> Check:
    """Not a pass: the line says what reading it needs (that is its fix)."""
    return Check(area, title, Status.UNREADABLE, why.message, advisory=advisory)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
