"""What a region's scan knows so far: each considered version's evidence and the failures met on the
way. Every stage reads the versions still worth asking about from it and writes what it found to it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cleaner.aws.errors import describe, error_code
from cleaner.inventory import Evidence, Function, FunctionVersion, VersionKey
from cleaner.planner import snapstart_versions
from cleaner.policy import still_candidate
from cleaner.settings import ScanSettings

Pair = tuple[Function, FunctionVersion]
# Survivors grouped per function: name -> (the function, its versions still worth asking about).
ByFunction = dict[str, tuple[Function, list[FunctionVersion]]]


@dataclass
class WarningLog:
    """Check failures, folded per failing call and error code so a plan never lists thousands."""

    _counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    _examples: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def failure(self, permission: str, error: BaseException, affected: int) -> str:
        message = describe(error, permission)
        self.record(permission, error_code(error), message, affected)
        return message

    def record(self, permission: str, code: str, message: str, affected: int) -> None:
        key = (permission, code)
        self._counts[key] += affected
        self._examples.setdefault(key, message)

    @classmethod
    def merged(cls, logs: Iterable[WarningLog]) -> WarningLog:
        """One log of several (one per region), as if they had been written one after another."""
        merged = cls()
        for log in logs:
            for key, count in log._counts.items():
                merged._counts[key] += count
                merged._examples.setdefault(key, log._examples[key])
            merged.notes += log.notes
        return merged

    def lines(self) -> list[str]:
        lines = [
            f"{permission} failed ({code}) for {count} version(s): kept with check_incomplete."
            f" First error: {self._examples[(permission, code)]}"
            for (permission, code), count in sorted(self._counts.items())
        ]
        return lines + self.notes


@dataclass
class Ledger:
    """The evidence of one region's considered versions (SnapStart on for the version), and its log."""

    settings: ScanSettings
    now: datetime
    warnings: WarningLog = field(default_factory=WarningLog)
    functions: list[Function] = field(default_factory=list)
    evidence: dict[VersionKey, Evidence] = field(default_factory=dict)

    def consider(self, functions: list[Function]) -> list[Pair]:
        """Start from the inventory: nothing known yet about any considered version."""
        self.functions = functions
        considered = snapstart_versions(functions)
        self.evidence = {version.key: Evidence() for _, version in considered}
        return considered

    def survivors(self) -> list[Pair]:
        """The versions nothing gathered so far keeps, in inventory order."""
        return [pair for pair in snapstart_versions(self.functions) if self.qualifies(*pair)]

    def qualifies(self, function: Function, version: FunctionVersion) -> bool:
        return self.qualifies_with(function, version, self.evidence[version.key])

    def qualifies_with(self, function: Function, version: FunctionVersion, evidence: Evidence) -> bool:
        """Whether nothing in `evidence` (this version's, or more) keeps it."""
        return still_candidate(function, version, evidence, self.settings, self.now)

    def set(self, versions: Iterable[FunctionVersion], **changes: Any) -> None:
        for version in versions:
            if version.key in self.evidence:
                self.evidence[version.key] = self.evidence[version.key].with_(**changes)

    def fail(self, versions: list[FunctionVersion], permission: str, error: BaseException) -> None:
        self.failed(versions, self.warnings.failure(permission, error, len(versions)))

    def failed(self, versions: list[FunctionVersion], message: str) -> None:
        """Keep these versions `check_incomplete` with `message` (already in the log)."""
        for version in versions:
            self.evidence[version.key] = self.evidence[version.key].failed(message)


def by_function(survivors: list[Pair]) -> ByFunction:
    grouped: ByFunction = {}
    for function, version in survivors:
        grouped.setdefault(function.name, (function, []))[1].append(version)
    return grouped
