"""`render` and `validate`: keep a reviewer-edited plan.json, its summary and plan.md consistent."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cleaner.environment import Environment
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.jsonlines import line_for, locate_lines
from cleaner.plan import PLAN_MD, load_plan, plan_json_text, write_text_atomically
from cleaner.render import render_plan_markdown
from cleaner.validate import Finding, check_derived, check_removals_only, dropped_note


def run_render(plan_json: Path, against: Path | None, env: Environment) -> ExitCode:
    """Re-render plan.md and the summary; with the scan's plan (`against`), plan.md lists the versions
    review dropped. The edit must then be a removals-only one: a page saying "dropped" of a plan that
    is not a subset of the original would say something false."""
    plan = load_plan(plan_json).with_derived_summary()
    original = None
    dropped_text = ""
    if against is not None:
        original = load_plan(against)
        report = check_removals_only(plan, original)
        if not report.ok:
            raise BadInputError(
                "\n".join(f"{plan_json}: {finding.message}" for finding in report.findings)
                + f"\n(not rendered: only removals from {against} are allowed)"
            )
        dropped_text = f", {len(report.dropped)} dropped in review"
    markdown = render_plan_markdown(plan, original)
    write_text_atomically(plan_json, plan_json_text(plan))
    write_text_atomically(plan_json.parent / PLAN_MD, markdown)
    counts = f"{plan.summary.delete_count} versions to delete{dropped_text}"
    env.print(f"rendered {plan_json.parent / PLAN_MD} ({counts})")
    return ExitCode.OK


_LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+)(?::(?P<column>\d+))?: (?P<message>.*)$")


def _annotate_bad_input(error: BadInputError, env: Environment) -> None:
    """Also show an unreadable or schema-invalid plan as annotations on the offending lines."""
    for text in error.message.splitlines():
        match = _LOCATED.match(text)
        if match:
            column = f",col={match['column']}" if match["column"] else ""
            where = f"file={_property(match['file'])},line={match['line']}{column}"
            env.print(f"::error {where}::{_data(match['message'])}")
        else:
            env.print(f"::error::{_data(text)}")


def run_validate(plan_json: Path, against: Path | None, output_format: str, env: Environment) -> ExitCode:
    try:
        return _validate(plan_json, against, output_format, env)
    except BadInputError as error:
        if output_format == "github":
            _annotate_bad_input(error, env)
        raise


def _validate(plan_json: Path, against: Path | None, output_format: str, env: Environment) -> ExitCode:
    plan = load_plan(plan_json)
    md_path = plan_json.parent / PLAN_MD
    markdown = md_path.read_text(encoding="utf-8") if md_path.exists() else None
    original = load_plan(against) if against is not None else None
    findings = check_derived(plan, markdown, original)
    dropped = []
    note = None
    if original is not None:
        report = check_removals_only(plan, original)
        if report.ok and findings:
            # A removals-only edit that left the derived parts as they were: what GitHub's web editor
            # makes of deleting an entry. Valid: the summary and plan.md follow from the entries, and the
            # bot re-renders them (refresh-pr --files); apply reads only the entries.
            stale = " and ".join(
                sorted({"the summary" if f.file != "plan.md" else "plan.md" for f in findings})
            )
            note = (
                f"{stale} not re-rendered after review removed {len(report.dropped)} entries (stale, as"
                " after an edit in GitHub's web editor): the bot re-renders them, or run `snapstart-cleaner"
                " render PLAN_JSON --against ORIGINAL_JSON`"
            )
            findings = []
        findings += report.findings
        dropped = report.dropped
    lines = locate_lines(plan_json.read_text(encoding="utf-8"))
    if note is None and not findings:
        note = dropped_note(markdown, dropped)

    def where(finding: Finding) -> tuple[str, int]:
        if finding.file == "plan.md":
            return str(md_path), 1
        return str(plan_json), line_for(lines, finding.path)

    if output_format == "json":
        env.print(
            json.dumps(
                {
                    "ok": not findings,
                    "findings": [
                        {"file": where(f)[0], "line": where(f)[1], "message": f.message} for f in findings
                    ],
                    "dropped": [e.label for e in dropped],
                    "notes": [note] if note else [],
                    "delete_count": len(plan.delete),
                    "estimated_monthly_savings_usd": round(
                        sum(e.estimated_monthly_cost_usd for e in plan.delete), 2
                    ),
                },
                indent=2,
            )
        )
    else:
        for finding in findings:
            file, line = where(finding)
            if output_format == "github":
                env.print(f"::error file={_property(file)},line={line}::{_data(finding.message)}")
            else:
                env.print(f"{file}:{line}: {finding.message}")
        if note and output_format == "github":
            env.print(f"::warning file={_property(str(md_path))},line=1::{_data(note)}")
        elif note:
            env.print(f"{md_path}: note: {note}")
        if not findings:
            dropped_text = f", {len(dropped)} dropped by review" if against is not None else ""
            env.print(f"{plan_json}: valid ({len(plan.delete)} versions to delete{dropped_text})")
    return ExitCode.FAILURES if findings else ExitCode.OK


def _data(text: str) -> str:
    """A GitHub workflow-command message: `%`, CR and LF escaped, so it stays one command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A GitHub workflow-command property value: also `:` and `,` escaped."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")
