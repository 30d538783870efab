"""The checklist: every rule run over the facts, in the order of the README's set-up, rendered as text
(a terminal), JSON (one object) or GitHub Markdown (a job summary). One model, three renderings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from cleaner.doctor.actions_settings import oidc_subject_check, variable_checks, workflow_permission_checks
from cleaner.doctor.checks import Check, Status, plural
from cleaner.doctor.codeowners import codeowners_checks
from cleaner.doctor.environments import app_checks, environment_checks
from cleaner.doctor.facts import RepositoryFacts, RoleTrust, Unreadable
from cleaner.doctor.rulesets import default_branch_checks, plan_branch_checks
from cleaner.doctor.status_checks import status_check_checks
from cleaner.doctor.trust import trust_checks
from cleaner.render.markdown import markdown_text
from cleaner.settings import Settings

MARKS = {Status.PASS: "✓", Status.FAIL: "✗", Status.UNREADABLE: "✗", Status.SKIPPED: "-"}


@dataclass(frozen=True)
class Report:
    repository: str
    default_branch: str
    checks: tuple[Check, ...]

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.fails]

    @property
    def unreadable(self) -> list[Check]:
        return [check for check in self.failures if check.status is Status.UNREADABLE]


def diagnose(
    facts: RepositoryFacts, settings: Settings, roles: Sequence[RoleTrust] | Unreadable | None
) -> Report:
    """Every check, for `roles` read from AWS (None: AWS was not asked)."""
    checks = [
        *default_branch_checks(facts, settings),
        *status_check_checks(facts),
        *codeowners_checks(facts),
        *plan_branch_checks(facts, settings),
        *workflow_permission_checks(facts),
        *environment_checks(facts),
        *app_checks(facts, settings),
        oidc_subject_check(facts),
        *variable_checks(facts, settings),
        *trust_checks(facts, roles),
    ]
    return Report(facts.full_name, facts.default_branch, tuple(checks))


def _mark(check: Check) -> str:
    return MARKS[check.status] + (" (advisory)" if check.advisory else "")


def _summary(report: Report) -> str:
    unreadable = len(report.unreadable)
    wrong = len(report.failures) - unreadable
    if not wrong and not unreadable:
        return "Every setting the security model rests on holds."
    parts = [f"{plural(wrong, 'setting')} to fix"] if wrong else []
    if unreadable:
        parts.append(
            f"{plural(unreadable, 'setting')} this token could not read (a repository admin's token reads"
            " them: GITHUB_TOKEN=$(gh auth token) snapstart-cleaner doctor)"
        )
    return "; ".join(parts) + "."


def render_text(report: Report) -> str:
    lines = [f"snapstart-cleaner doctor: {report.repository} (default branch {report.default_branch})"]
    area = None
    for check in report.checks:
        if check.area != area:
            area = check.area
            lines += ["", area]
        lines.append(f"  {_mark(check)} {check.title}" + (f": {check.detail}" if check.detail else ""))
        if check.fix and check.status is not Status.PASS:
            lines.append(f"      {'fix: ' if check.status is not Status.SKIPPED else ''}{check.fix}")
    return "\n".join([*lines, "", _summary(report)])


def render_json(report: Report) -> str:
    return json.dumps(
        {
            "repository": report.repository,
            "default_branch": report.default_branch,
            "ok": not report.failures,
            "checks": [
                {
                    "area": check.area,
                    "title": check.title,
                    "status": check.status.value,
                    "advisory": check.advisory,
                    "detail": check.detail,
                    "fix": check.fix if check.status is not Status.PASS else "",
                }
                for check in report.checks
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def render_github(report: Report) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: one table per area, every value escaped."""
    lines = [
        f"## snapstart-cleaner doctor: {markdown_text(report.repository)}",
        "",
        markdown_text(_summary(report)),
    ]
    area = None
    for check in report.checks:
        if check.area != area:
            area = check.area
            lines += [
                "",
                f"### {markdown_text(area)}",
                "",
                "| | Setting | Found | Fix |",
                "|---|---|---|---|",
            ]
        fix = check.fix if check.status is not Status.PASS else ""
        cells = [_mark(check), check.title, check.detail, fix]
        lines.append("| " + " | ".join(markdown_text(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "github": render_github}
