"""Rules a plan must keep after review edits (pure): derived parts in sync, and removals only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cleaner.jsonlines import JsonPath
from cleaner.plan import Plan, PlanEntry, summarize
from cleaner.render import render_plan_markdown

# Everything but the reviewer-editable `delete` list and what is derived from it.
_IDENTITY_FIELDS = (
    *("schema_version", "plan_id", "created_at", "account_id", "regions", "settings", "pricing"),
    "apply_limits",
    "savings",
)


@dataclass(frozen=True)
class Finding:
    message: str
    path: JsonPath = ()  # where in plan.json, for line annotations
    file: str = "plan.json"


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    dropped: list[PlanEntry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


# The section only the original plan can derive, and the counts that mention it: a validation without
# the original cannot check them.
_DROPPED_SECTION = re.compile(r"^## Dropped in review\n.*?(?=^## )", re.MULTILINE | re.DOTALL)
_DROPPED_COUNT = re.compile(r", and [0-9,]+ dropped in review")
# Who dropped a version: only the pull request's commits say (`cleaner.github.description`).
_DROPPED_BY = re.compile(r" — by \S+$", re.MULTILINE)


def without_dropped_section(markdown: str) -> str:
    return _DROPPED_COUNT.sub("", _DROPPED_SECTION.sub("", markdown, count=1))


def without_dropped_by(markdown: str) -> str:
    return _DROPPED_BY.sub("", markdown)


def check_derived(plan: Plan, markdown: str | None, original: Plan | None = None) -> list[Finding]:
    """The summary and plan.md follow from plan.json. With the scan's plan (`original`), plan.md must
    also list exactly the versions review dropped; without it, its "Dropped in review" section (which
    only the original can derive) is left out of the comparison."""
    findings = []
    expected_summary = summarize(plan.delete, plan.keep)
    if plan.summary != expected_summary:
        findings.append(
            Finding("summary does not match the entries: run `snapstart-cleaner render` on it", ("summary",))
        )
    if markdown is None:
        findings.append(Finding("plan.md is missing: run `snapstart-cleaner render`", file="plan.md"))
    else:
        rendered = render_plan_markdown(plan.with_derived_summary())
        if original is not None:
            # Either the page listing what review dropped, or (a note, not an error: the README's and
            # older reviewers' `render` without --against) the page without that section.
            unattributed = without_dropped_by(markdown)
            in_sync = unattributed in (render_plan_markdown(plan.with_derived_summary(), original), rendered)
        else:
            in_sync = without_dropped_section(markdown) == rendered
        if not in_sync:
            findings.append(
                Finding(
                    "plan.md is not the rendering of plan.json: run `snapstart-cleaner render"
                    " PLAN_JSON --against ORIGINAL_JSON`",
                    file="plan.md",
                )
            )
    return findings


def check_removals_only(edited: Plan, original: Plan) -> ValidationReport:
    """The only edit allowed is removing entries from `delete` (summary and plan.md follow)."""
    report = ValidationReport()
    for name in _IDENTITY_FIELDS:
        if getattr(edited, name) != getattr(original, name):
            report.findings.append(
                Finding(f"{name} was changed; only removals from `delete` are allowed", (name,))
            )
    if edited.warnings != original.warnings:
        report.findings.append(Finding("warnings were changed", ("warnings",)))
    if edited.keep != original.keep:
        report.findings.append(
            Finding("the keep list was changed; to keep a version, remove it from `delete` only", ("keep",))
        )

    originals = {entry.key: (index, entry) for index, entry in enumerate(original.delete)}
    last_index = -1
    for index, entry in enumerate(edited.delete):
        found = originals.get(entry.key)
        if found is None:
            report.findings.append(
                Finding(
                    f"delete[{index}] {entry.label} was not proposed by the scan: entries can only be removed",  # noqa: E501
                    ("delete", index),
                )
            )
            continue
        original_index, original_entry = found
        if entry != original_entry:
            changed = [
                name
                for name in PlanEntry.model_fields
                if getattr(entry, name) != getattr(original_entry, name)
            ]
            report.findings.append(
                Finding(
                    f"delete[{index}] {entry.label}: changed {', '.join(changed)}; only removals are allowed",
                    ("delete", index, changed[0]),
                )
            )
        if original_index < last_index:
            report.findings.append(
                Finding(f"delete[{index}] {entry.label}: entries were reordered", ("delete", index))
            )
        last_index = max(last_index, original_index)
    remaining = {entry.key for entry in edited.delete}
    report.dropped = [entry for entry in original.delete if entry.key not in remaining]
    return report


def dropped_note(markdown: str | None, dropped: list[PlanEntry]) -> str | None:
    """What to tell a reviewer whose plan.md does not show the versions review dropped."""
    if not dropped or markdown is None or "\n## Dropped in review\n" in markdown:
        return None
    return (
        f"plan.md does not list the {len(dropped)} versions dropped in review: run `snapstart-cleaner"
        " render PLAN_JSON --against ORIGINAL_JSON` so the page shows them"
    )
