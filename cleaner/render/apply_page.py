"""apply-result.md: what an apply did, failures first, each cause's full text said once."""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class WhyGroup:
    """Entries that failed (or were skipped) for one reason: its full text said once, then the
    versions it hit, one line per function."""

    why: str
    count: int
    functions: list[OutcomeGroup]


def _why(entry: EntryResult) -> str:
    """What happened to `entry`, said so that entries it happened to alike say the same: AWS's message
    names the version it refused (`...:function:NAME:VERSION`), and the list under the text says which
    versions those are."""
    why = ": ".join(part for part in (", ".join(entry.reasons), entry.message) if part) or "no reason given"
    own = (
        rf"arn:aws:lambda:{re.escape(entry.region)}:(\d{{12}}):function:{re.escape(entry.function_name)}"
        rf"(:{re.escape(entry.version)})?(?![\w:-])"
    )
    return re.sub(
        own, lambda m: f"arn:aws:lambda:REGION:{m[1]}:function:FUNCTION{':VERSION' * bool(m[2])}", why
    )


def _by_why(entries: list[EntryResult], outcome: Outcome) -> list[WhyGroup]:
    """`outcome`'s entries grouped by what happened to them, the largest group first."""
    groups: dict[str, list[EntryResult]] = {}
    for entry in entries:
        if entry.outcome is outcome:
            groups.setdefault(_why(entry), []).append(entry)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [WhyGroup(why, len(found), _collapsed(found, [outcome])) for why, found in ordered]


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
    page = template("apply-result.md.j2").render(
        result=result,
        Outcome=Outcome,
        labels=OUTCOME_LABELS,
        failed=_by_why(result.entries, Outcome.FAILED),
        failed_count=result.counts.get(Outcome.FAILED, 0),
        skipped=_by_why(result.entries, Outcome.SKIPPED),
        skipped_count=result.counts.get(Outcome.SKIPPED, 0),
        not_attempted=_collapsed(result.entries, [Outcome.NOT_ATTEMPTED]),
        done=_collapsed(result.entries, gone),
        done_count=sum(e.outcome in gone for e in result.entries),
        saved=saved if plan is not None else None,
        # A number and its unit, a date and its time, on one line: "48.2 s", not "48.2" then "s".
        nbsp="\u00a0",
    )
    # One blank line between blocks, however the template's loops and conditions fell.
    return re.sub(r"\n{3,}", "\n\n", page)
