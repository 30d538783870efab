"""The plan page's rows: one function's deletions as a table whose repeated columns are said once above
it, and versions kept for routine reasons on one line per function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby

from cleaner.cost import cache_is_billed, total_usd
from cleaner.plan import PlanEntry
from cleaner.reasons import ROUTINE_REASONS
from cleaner.render.filters import days, last_invoked, last_invoked_day, memory, usd
from cleaner.render.markdown import markdown_code, markdown_lines, markdown_text


@dataclass(frozen=True)
class _Column:
    header: str
    right: bool
    value: Callable[[PlanEntry], str]


# Columns a deletion row may show beyond version and age; one whose value is the same on every row of
# a function is said once above its table instead.
_VARYING = (
    _Column("runtime", False, lambda e: markdown_text(e.runtime)),
    _Column("memory", True, lambda e: memory(e.memory_mb)),
    _Column("state", False, lambda e: markdown_text(e.state)),
    _Column("last invoked", False, last_invoked),
    _Column("$/month", True, lambda e: usd(e.estimated_monthly_cost_usd)),
)
_SHARED_LABEL: dict[str, Callable[[str], str]] = {
    "runtime": lambda v: v,
    "memory": lambda v: v,
    "state": lambda v: f"state {v}",
    "last invoked": lambda v: f"last invoked: {v}",
    "$/month": lambda v: "no cache charge" if v == usd(0) else f"{v} / month each",
}


@dataclass(frozen=True)
class FunctionRows:
    """One function's deletions (or dropped versions): its line in the summary and its own table."""

    region: str
    function_name: str
    entries: list[PlanEntry]

    @property
    def savings(self) -> float:
        return total_usd([e.estimated_monthly_cost_usd for e in self.entries])

    @property
    def oldest_days(self) -> int:
        return max(e.age_days for e in self.entries)

    @property
    def billed(self) -> bool:
        return any(cache_is_billed(e.runtime) for e in self.entries)

    @property
    def runtimes(self) -> str:
        return ", ".join(sorted({e.runtime or "container image" for e in self.entries}))

    @property
    def versions(self) -> str:
        return ", ".join(e.version for e in self.entries)

    def _split(self) -> tuple[list[str], list[_Column]]:
        shared, varying = [], []
        for column in _VARYING:
            values = {column.value(e) for e in self.entries}
            if len(values) == 1:
                shared.append(_SHARED_LABEL[column.header](values.pop()))
            else:
                varying.append(column)
        return shared, varying

    @property
    def shared(self) -> str:
        return " · ".join(self._split()[0])

    @property
    def header(self) -> list[str]:
        return ["version", "age", *(c.header for c in self._split()[1])]

    @property
    def alignment(self) -> list[str]:
        return ["---:", "---:", *("---:" if c.right else "---" for c in self._split()[1])]

    @property
    def rows(self) -> list[list[str]]:
        varying = self._split()[1]
        return [
            [markdown_text(e.version), days(e.age_days), *(c.value(e) for c in varying)] for e in self.entries
        ]


@dataclass(frozen=True)
class RoutineKept:
    """One function's versions kept for routine reasons, on one line: versions grouped by reasons."""

    region: str
    function_name: str
    groups: list[tuple[str, list[str]]]  # (reasons, versions)

    @property
    def count(self) -> int:
        return sum(len(versions) for _, versions in self.groups)

    @property
    def markdown(self) -> str:
        said = "; ".join(
            f"{markdown_text(', '.join(versions))} ({markdown_text(reasons)})"
            for reasons, versions in self.groups
        )
        return f"- {markdown_code(self.function_name)} ({markdown_text(self.region)}): {said}"


def group_by_function(entries: Iterable[PlanEntry]) -> list[FunctionRows]:
    ordered = sorted(entries, key=lambda e: e.key)
    return [
        FunctionRows(region, name, list(group))
        for (region, name), group in groupby(ordered, key=lambda e: (e.region, e.function_name))
    ]


def by_savings(groups: list[FunctionRows]) -> list[FunctionRows]:
    return sorted(groups, key=lambda g: (-g.savings, -len(g.entries), g.function_name, g.region))


def is_routine(entry: PlanEntry) -> bool:
    return set(entry.reasons) <= ROUTINE_REASONS


def routine_kept(keep: list[PlanEntry]) -> list[RoutineKept]:
    lines = []
    for group in group_by_function(e for e in keep if is_routine(e)):
        by_reasons: dict[str, list[str]] = {}
        for e in group.entries:
            by_reasons.setdefault(", ".join(r.value for r in e.reasons), []).append(e.version)
        lines.append(RoutineKept(group.region, group.function_name, list(by_reasons.items())))
    return lines


# The table of versions kept for a reason to look at, in characters per line of each column (issue
# 19): a function name of up to 40 characters (a code span), its region on a line of its own, and the
# reasons and details wrapped at `WHY_WIDTH`, so the table's natural width stays under the 1,012 px of
# GitHub's description column at a 1280 px window and the browser never squeezes a name, an age or a
# date onto two lines (it squeezes every column that can wrap once one cell's text is wider than the
# page; measured with tests/benchmarks/measure_page.py).
WHY_WIDTH = 36


def notable_kept_rows(keep: list[PlanEntry], regional: bool) -> list[list[str]]:
    """The versions kept for a reason to look at, grouped by function (its name on its first row only),
    in few, bounded columns: `regional` puts the region on a line under the name (the plan spans
    regions); the reasons and details are wrapped at `WHY_WIDTH` characters."""
    rows = []
    for group in group_by_function(e for e in keep if not is_routine(e)):
        name = markdown_code(group.function_name)
        if regional:
            name += f"<br>({markdown_text(group.region)})"
        for index, e in enumerate(group.entries):
            reasons = ", ".join(r.value for r in e.reasons)
            why = f"{reasons}: {'; '.join(e.details)}" if e.details else reasons
            cells = [
                markdown_text(e.version),
                days(e.age_days),
                last_invoked_day(e),
                markdown_lines(why, WHY_WIDTH),
            ]
            rows.append([name if index == 0 else "", *cells])
    return rows
