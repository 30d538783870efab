"""The savings chart of the review page (cleaner/render.py, plan-head.md.j2): a Mermaid pie of the
monthly savings per function, top 10 and the rest, after the per-function table, in plan.md and in
every pull request body however large the plan."""

from __future__ import annotations

import re

from cleaner.apply_result import ApplyResult, EntryResult, Outcome, count_outcomes
from cleaner.github.body import BODY_LIMIT
from cleaner.render import (
    FunctionRows,
    chart_label,
    render_apply_markdown,
    render_plan_body,
    render_plan_markdown,
    savings_chart,
    usd,
)
from cleaner.render.rows import by_savings

from .factories import NOW, entry, sample_plan
from .test_review_page import LINK, large_plan

_SLICE = re.compile(r'^    "([^"]*)" : ([0-9]+\.[0-9]{2})$')


def chart(page: str) -> tuple[str, list[tuple[str, float]]]:
    """The chart's title line and its slices, read as Mermaid reads the block."""
    block = page.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0]
    title, *rows = block.splitlines()
    slices = []
    for row in rows:
        match = _SLICE.fullmatch(row)
        assert match, row
        slices.append((match[1], float(match[2])))
    return title, slices


def test_the_small_page_charts_each_function_that_saves_money_after_its_table() -> None:
    plan = sample_plan()
    page = render_plan_markdown(plan)
    title, slices = chart(page)
    assert title == "pie title Estimated savings per month by function"
    assert slices == [
        ("api (us-east-1) $31.20", 31.20),
        ("worker (us-east-1) $1.95", 1.95),
        ("edge (eu-west-1) $0.97", 0.97),
    ]
    assert round(sum(v for _, v in slices), 2) == plan.summary.estimated_monthly_savings_usd
    # After the per-function table, before the Java group and "How to keep a version"; never Java.
    assert page.index("| `edge` |") < page.index("```mermaid") < page.index("### No cache charge")
    assert "java-svc" not in page.split("```mermaid")[1].split("```")[0]


def test_a_large_body_whose_savings_are_spread_evenly_has_no_chart() -> None:
    # 340 functions, the top 10 under a fifth of the savings: a pie would be one "330 other functions"
    # slice, a bar chart ten equal bars; the index says it better.
    plan = large_plan(5_000, 340)
    body = render_plan_body(plan, LINK, BODY_LIMIT)
    assert body is not None and len(body) < BODY_LIMIT
    assert "```mermaid" not in body


def _skewed(top_share: float) -> list[FunctionRows]:
    """60 functions, largest savings first: 10 carry `top_share` of $1,000 between them, 50 the rest."""
    top = [
        FunctionRows(
            "us-east-1",
            f"big-{i}",
            [entry(f"big-{i}", 1, estimated_monthly_cost_usd=round(1000 * top_share / 10, 2))],
        )
        for i in range(10)
    ]
    rest = [
        FunctionRows(
            "us-east-1",
            f"small-{i}",
            [entry(f"small-{i}", 1, estimated_monthly_cost_usd=round(1000 * (1 - top_share) / 50, 2))],
        )
        for i in range(50)
    ]
    return by_savings(top + rest)


def test_the_pie_only_when_its_named_slices_carry_most_of_the_savings() -> None:
    pie = savings_chart(_skewed(0.6), 1000.0, regional=False)
    assert pie is not None and pie.kind == "pie" and len(pie.slices) == 11
    assert pie.slices[-1].label == "50 other functions $400.00"
    bar = savings_chart(_skewed(0.3), 1000.0, regional=False)
    assert (
        bar is not None
        and bar.kind == "bar"
        and [s.label for s in bar.slices] == [f"big-{i}" for i in range(10)]
    )
    assert bar.title == "Top 10 of 60 functions by savings per month"
    assert savings_chart(_skewed(0.1), 1000.0, regional=False) is None


def test_a_bar_chart_is_a_mermaid_xychart_of_the_top_functions() -> None:
    plan = large_plan(2_000, 60).model_copy(update={"delete": []})
    groups = _skewed(0.3)
    plan = plan.model_copy(update={"delete": [e for g in groups for e in g.entries]}).with_derived_summary()
    page = render_plan_markdown(plan)
    block = page.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0].splitlines()
    assert block[0] == "xychart-beta horizontal"
    assert block[1] == '    title "Top 10 of 60 functions by savings per month"'
    assert block[2].startswith('    x-axis ["big-0 (us-east-1)", "big-1 (us-east-1)"') and block[
        4
    ].startswith("    bar [30.00, 30.00")


def test_no_chart_when_fewer_than_two_functions_save_money() -> None:
    one = sample_plan().model_copy(
        update={
            "delete": [entry("api", 1), entry("java-svc", 1, runtime="java21", estimated_monthly_cost_usd=0)]
        }
    )
    assert "```mermaid" not in render_plan_markdown(one.with_derived_summary())


def test_a_label_keeps_nothing_mermaid_or_the_fence_could_read_as_syntax() -> None:
    assert chart_label("api-2_x (eu-west-1) $1,234.50") == "api-2_x (eu-west-1) $1,234.50"
    assert chart_label('a"b`c#d;e%f\ng:h') == "a?b?c?d?e?f?g?h"


def _apply_result(outcomes: dict[str, Outcome], dry_run: bool) -> ApplyResult:
    entries = [
        EntryResult(region="us-east-1", function_name="api", version=version, outcome=outcome)
        for version, outcome in outcomes.items()
    ]
    return ApplyResult(
        plan_id="20261101T120000Z",
        plan_path="plans/20261101T120000Z/plan.json",
        account_id="123456789012",
        dry_run=dry_run,
        started_at=NOW,
        finished_at=NOW,
        entries=entries,
        counts=count_outcomes(entries),
    )


def test_apply_result_counts_the_savings_of_versions_this_run_deleted_not_of_those_gone_kept_or_failed() -> (
    None
):
    plan = sample_plan()
    cost = {e.version: e.estimated_monthly_cost_usd for e in plan.delete if e.function_name == "api"}
    v1, v2, v3, v4 = sorted(cost, key=int)
    outcomes = {v1: Outcome.DELETED, v2: Outcome.ALREADY_DELETED, v3: Outcome.FAILED, v4: Outcome.SKIPPED}
    page = render_apply_markdown(_apply_result(outcomes, dry_run=False), plan)
    # v2 was already gone: an earlier run (or a person) saved that, not this one.
    assert f" · saves **{usd(cost[v1])} / month**" in page.splitlines()[2]
    dry = render_apply_markdown(_apply_result(dict.fromkeys(cost, Outcome.WOULD_DELETE), dry_run=True), plan)
    assert f" · would save **{usd(sum(cost.values()))} / month**" in dry.splitlines()[2]
    # Without the plan there are no costs to add: no figure rather than $0.00.
    assert "save" not in render_apply_markdown(_apply_result(outcomes, dry_run=False)).splitlines()[2]
