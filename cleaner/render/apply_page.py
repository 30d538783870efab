"""apply-result.md: what an apply did, failures first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from cleaner.apply_result import ApplyResult, EntryResult, Outcome
from cleaner.cost import total_usd
from cleaner.plan import Plan
from cleaner.render.filters import template

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.DELETED: "deleted",
    Outcome.WOULD_DELETE: "would be deleted",
    Outcome.ALREADY_DELETED: "already gone",
    Outcome.SKIPPED: "skipped (changed since the scan)",
    Outcome.FAILED: "failed",
    Outcome.NOT_ATTEMPTED: "not attempted",
}


@dataclass(frozen=True)
class OutcomeGroup:
    """One function's entries of one outcome, collapsed to a line."""

    region: str
    function_name: str
    outcome: Outcome
    versions: list[str]


def _collapsed(entries: list[EntryResult], outcomes: Sequence[Outcome]) -> list[OutcomeGroup]:
    chosen = [e for e in entries if e.outcome in outcomes]
    chosen.sort(key=lambda e: (e.outcome.value, e.region, e.function_name, int(e.version)))
    return [
        OutcomeGroup(region, name, outcome, [e.version for e in group])
        for (outcome, region, name), group in groupby(
            chosen, key=lambda e: (e.outcome, e.region, e.function_name)
        )
    ]


def render_apply_markdown(result: ApplyResult, plan: Plan | None = None) -> str:
    """apply-result.md: failures first, then what was skipped and why, then the deletions collapsed
    per function; with the plan, the monthly savings achieved (or, for a dry run, that would be)."""
    costs = (
        {}
        if plan is None
        else {(e.region, e.function_name, e.version): e.estimated_monthly_cost_usd for e in plan.delete}
    )
    gone = (Outcome.DELETED, Outcome.WOULD_DELETE, Outcome.ALREADY_DELETED)
    # What this run saves: a version already gone was saved by whatever deleted it (an earlier run).
    removed_now = (Outcome.DELETED, Outcome.WOULD_DELETE)
    saved = total_usd(
        [
            costs.get((e.region, e.function_name, e.version), 0.0)
            for e in result.entries
            if e.outcome in removed_now
        ]
    )
    return template("apply-result.md.j2").render(
        result=result,
        Outcome=Outcome,
        labels=OUTCOME_LABELS,
        failed=[e for e in result.entries if e.outcome is Outcome.FAILED],
        skipped=[e for e in result.entries if e.outcome is Outcome.SKIPPED],
        not_attempted=_collapsed(result.entries, [Outcome.NOT_ATTEMPTED]),
        done=_collapsed(result.entries, gone),
        done_count=sum(e.outcome in gone for e in result.entries),
        saved=saved if plan is not None else None,
    )
