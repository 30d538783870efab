"""The savings chart of the plan page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cleaner.render.filters import plural, usd
from cleaner.render.rows import FunctionRows

# The savings chart: a ```mermaid block, which GitHub renders as a diagram in a pull request body and in
# plan.md: a pie, the chart type GitHub's Mermaid has rendered longest, when a few functions carry most of
# the savings; otherwise a bar chart (xychart-beta) of the top ones, or nothing.
CHART_SLICES = 10
# What a slice label keeps: function names and regions are validated to letters, digits, `-` and `_` at
# the plan boundary, the rest is our own wording; anything else (a plan built around that validation)
# becomes `?`. So no `"` (ends the label), `#`/`;` (Mermaid's entity syntax), `%` (its comments),
# backtick (ends the fence) or line break can get in.
_NOT_IN_CHART_LABEL = re.compile(r"[^A-Za-z0-9_.,$()/ -]")


@dataclass(frozen=True)
class ChartSlice:
    label: str
    value: str  # a plain decimal number, as Mermaid's pie reads it


def chart_label(text: str) -> str:
    return _NOT_IN_CHART_LABEL.sub("?", text)


@dataclass(frozen=True)
class Chart:
    """A Mermaid chart of the plan page: a pie (`kind` "pie") or a horizontal bar chart ("bar")."""

    kind: str
    slices: list[ChartSlice]
    title: str = ""


# The pie only when its named slices carry at least this share of the savings: a pie whose biggest
# slice is "310 other functions" says nothing.
PIE_SHARE = 0.5
# A bar chart of the top functions only when they carry at least this share; below it, no chart: the
# savings are spread evenly and the index says so better.
BAR_SHARE = 0.2


def savings_chart(billed: list[FunctionRows], total: float, regional: bool = True) -> Chart | None:
    """The chart of the monthly savings by function (`billed`: largest savings first), or None when it
    would not inform: fewer than two functions save money, or the top CHART_SLICES carry less than
    BAR_SHARE of `total` (the summary's, rounded once over every entry).

    A pie of the top CHART_SLICES and one slice for all the others (the slices add up to `total`) when
    the named slices carry at least PIE_SHARE of it; otherwise a bar chart of the top CHART_SLICES.
    `regional`: labels name each function's region (the plan spans regions)."""
    saving = [g for g in billed if g.savings > 0]
    if len(saving) < 2 or total <= 0:
        return None
    top, rest = saving[:CHART_SLICES], saving[CHART_SLICES:]
    share = sum(g.savings for g in top) / total
    if not rest or share >= PIE_SHARE:
        slices = [
            ChartSlice(chart_label(f"{_name(g, regional)} {usd(g.savings)}"), f"{g.savings:.2f}") for g in top
        ]
        if rest:
            others = max(round(total - sum(g.savings for g in top), 2), 0.0)
            label = f"{plural(len(rest), 'other function')} {usd(others)}"
            slices.append(ChartSlice(chart_label(label), f"{others:.2f}"))
        return Chart("pie", slices)
    if share < BAR_SHARE:
        return None
    title = f"Top {len(top)} of {len(saving):,} functions by savings per month"
    slices = [ChartSlice(chart_label(_name(g, regional)), f"{g.savings:.2f}") for g in top]
    return Chart("bar", slices, chart_label(title))


def _name(group: FunctionRows, regional: bool) -> str:
    return f"{group.function_name} ({group.region})" if regional else group.function_name
