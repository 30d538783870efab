"""The savings chart of the plan page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cleaner.render.filters import plural, usd
from cleaner.render.rows import FunctionRows

# The savings chart: a ```mermaid block, which GitHub renders as a diagram in a pull request body and in
# plan.md. A pie, the chart type GitHub's Mermaid has rendered longest (xychart is still "beta" there).
CHART_SLICES = 10
# What a slice label keeps: function names and regions are validated to letters, digits, `-` and `_` at
# the plan boundary, the rest is our own wording; anything else (a plan built around that validation)
# becomes `?`. So no `"` (ends the label), `#`/`;` (Mermaid's entity syntax), `%` (its comments),
# backtick (ends the fence) or line break can get in.
_NOT_IN_CHART_LABEL = re.compile(r"[^A-Za-z0-9_.,$() -]")


@dataclass(frozen=True)
class ChartSlice:
    label: str
    value: str  # a plain decimal number, as Mermaid's pie reads it


def chart_label(text: str) -> str:
    return _NOT_IN_CHART_LABEL.sub("?", text)


def savings_chart(billed: list[FunctionRows], total: float) -> list[ChartSlice]:
    """The monthly savings of the top CHART_SLICES functions (`billed`: largest savings first) and one
    slice for all the others, so the slices add up to `total` (the summary's, rounded once over every
    entry); none unless at least two functions save money (one slice says nothing the table does not)."""
    saving = [g for g in billed if g.savings > 0]
    if len(saving) < 2:
        return []
    top, rest = saving[:CHART_SLICES], saving[CHART_SLICES:]
    slices = [
        ChartSlice(chart_label(f"{g.function_name} ({g.region}) {usd(g.savings)}"), f"{g.savings:.2f}")
        for g in top
    ]
    if rest:
        others = max(round(total - sum(g.savings for g in top), 2), 0.0)
        label = f"{plural(len(rest), 'other function')} {usd(others)}"
        slices.append(ChartSlice(chart_label(label), f"{others:.2f}"))
    return slices
