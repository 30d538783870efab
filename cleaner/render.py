"""Markdown renderings of plans (and, later, results) from Jinja2 templates shipped in the package."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import groupby

from jinja2 import Environment, PackageLoader, StrictUndefined

from cleaner.apply_result import ApplyResult, Outcome
from cleaner.plan import Plan, PlanEntry
from cleaner.reasons import REASON_DESCRIPTIONS, Reason


def _markdown_cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    text = "—" if value is None else str(value)
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _last_invoked(entry: PlanEntry) -> str:
    if entry.invocations_in_window is None:
        return "not checked"
    return "none in window" if entry.last_invoked is None else _when(entry.last_invoked)


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("cleaner", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown, not HTML: cells are escaped by the `cell` filter
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = _markdown_cell
    environment.filters["usd"] = _usd
    environment.filters["when"] = _when
    environment.filters["last_invoked"] = _last_invoked
    return environment


_ENVIRONMENT = _environment()


def _by_function(entries: list[PlanEntry]) -> list[tuple[tuple[str, str], list[PlanEntry]]]:
    ordered = sorted(entries, key=lambda e: e.key)
    return [(key, list(group)) for key, group in groupby(ordered, key=lambda e: (e.region, e.function_name))]


def render_plan_markdown(plan: Plan) -> str:
    return "".join(render_plan_markdown_chunks(plan))


def render_plan_markdown_chunks(plan: Plan) -> Iterator[str]:
    """plan.md in pieces, for writing a large plan without holding its page as one string."""
    template = _ENVIRONMENT.get_template("plan.md.j2")
    return template.generate(
        plan=plan,
        delete_groups=_by_function(plan.delete),
        keep_groups=_by_function(plan.keep),
        reason_descriptions=REASON_DESCRIPTIONS,
        Reason=Reason,
        lookback_days=plan.settings.effective_lookback_days,
    )


def render_apply_markdown(result: ApplyResult) -> str:
    template = _ENVIRONMENT.get_template("apply-result.md.j2")
    return template.render(result=result, Outcome=Outcome)
