"""Markdown renderings of plans and apply results, from Jinja2 templates shipped in the package.

One module a page, sharing one module of filters:
- `markdown`: any value as literal Markdown (text, a code span, text inside HTML);
- `filters`: numbers as people read them, the templates' environment and filters, body margins;
- `rows`, `chart`, `price_rows`: the plan page's function tables, savings chart and cache prices;
- `plan_page`: plan.md, and the same page as a pull request body within GitHub's limit;
- `apply_page`: apply-result.md;
- `organisation`: what an organisation's body says once for every account's page.
The organisation summary and the comments are built where they are posted (`cleaner.github.plan_set`,
`cleaner.github.keep`, `cleaner.commands.approval`), from these pieces.
"""

from __future__ import annotations

from cleaner.render.apply_page import OUTCOME_LABELS, render_apply_markdown
from cleaner.render.chart import CHART_SLICES, Chart, ChartSlice, chart_label, savings_chart
from cleaner.render.filters import body_margin, count, days, plural, seconds, usd
from cleaner.render.markdown import html_text, markdown_code, markdown_text
from cleaner.render.organisation import render_organisation_boilerplate
from cleaner.render.plan_page import (
    DroppedBy,
    PageParts,
    Shortened,
    plan_page_parts,
    render_plan_body,
    render_plan_body_minimum,
    render_plan_markdown,
    render_plan_markdown_chunks,
)
from cleaner.render.price_rows import PriceRow, price_rows
from cleaner.render.rows import FunctionRows, RoutineKept

__all__ = [
    "CHART_SLICES",
    "OUTCOME_LABELS",
    "Chart",
    "ChartSlice",
    "DroppedBy",
    "FunctionRows",
    "PageParts",
    "PriceRow",
    "RoutineKept",
    "Shortened",
    "body_margin",
    "chart_label",
    "count",
    "days",
    "html_text",
    "markdown_code",
    "markdown_text",
    "plan_page_parts",
    "plural",
    "price_rows",
    "render_apply_markdown",
    "render_organisation_boilerplate",
    "render_plan_body",
    "render_plan_body_minimum",
    "render_plan_markdown",
    "render_plan_markdown_chunks",
    "savings_chart",
    "seconds",
    "usd",
]
