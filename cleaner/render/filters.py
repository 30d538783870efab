"""What every page shares: numbers as people read them, the Jinja2 environment of the templates shipped
in the package with its filters, and the room a body leaves for GitHub's way of counting."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, Template

from cleaner.plan import PlanEntry
from cleaner.render.markdown import html_text, markdown_code, markdown_text


def count(value: int) -> str:
    return f"{value:,}"


def plural(value: int, word: str, words: str | None = None) -> str:
    return f"{value:,} {word if value == 1 else (words or word + 's')}"


def days(value: int) -> str:
    return plural(value, "day")


def usd(value: float) -> str:
    return f"${value:,.2f}"


def seconds(value: float) -> str:
    """A duration as a person reads it: 0.4 s, 12.3 s, 4 min 05 s, 1 h 02 min."""
    if value < 60:
        return f"{value:.1f} s"
    whole = round(value)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def last_invoked(entry: PlanEntry) -> str:
    if entry.invocations_in_window is None:
        return "not checked"
    return "none in window" if entry.last_invoked is None else when(entry.last_invoked)


def last_invoked_day(entry: PlanEntry) -> str:
    """`last_invoked` in a narrow column: the day only, and no line break in "none in window"."""
    if entry.invocations_in_window is None:
        return "not checked"
    return "none" if entry.last_invoked is None else f"{entry.last_invoked:%Y-%m-%d}"


def memory(value: int) -> str:
    return f"{value:,} MB"


def body_margin(limit: int) -> int:
    """The room a text for a body or comment of at most `limit` characters leaves unused, for GitHub
    counting some characters differently from Python: 1,024 at the real limit, proportionally less for
    smaller limits."""
    return min(1_024, limit // 64)


def paragraph(text: str) -> str:
    """A piece of the page ending in exactly one blank line, whatever its template ended with."""
    return text.rstrip("\n") + "\n\n"


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("cleaner", "templates"),
        undefined=StrictUndefined,
        # Markdown, not HTML: every interpolated value goes through `cell` (text) or `code` (a code span),
        # or `html` inside an HTML element.
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = markdown_text
    environment.filters["code"] = markdown_code
    environment.filters["html"] = html_text
    environment.filters["usd"] = usd
    environment.filters["count"] = count
    environment.filters["days"] = days
    environment.filters["seconds"] = seconds
    environment.filters["when"] = when
    environment.filters["last_invoked"] = last_invoked
    environment.globals["plural"] = plural
    return environment


def template(name: str) -> Template:
    return _environment().get_template(name)


def render_paragraph(name: str, **context: object) -> str:
    """Template `name` rendered as one piece of a page (see `paragraph`)."""
    return paragraph(template(name).render(**context))
