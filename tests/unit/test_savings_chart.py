"""The savings chart of the review page (cleaner/render.py, plan-head.md.j2): a Mermaid pie of the
monthly savings per function, top 10 and the rest, after the per-function table, in plan.md and in
every pull request body however large the plan."""

from __future__ import annotations

import re

from cleaner.apply_result import ApplyResult, EntryResult, Outcome, count_outcomes
from cleaner.github.body import BODY_LIMIT
from cleaner.render import chart_label, render_apply_markdown, render_plan_body, render_plan_markdown, usd

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


def test_a_large_body_charts_the_top_ten_and_the_rest_in_one_slice_within_the_limit() -> None:
    plan = large_plan(5_000, 340)
    body = render_plan_body(plan, LINK, BODY_LIMIT)
    assert body is not None and len(body) < BODY_LIMIT
    _, slices = chart(body)
    assert len(slices) == 11
    top = [label.split(" ")[0] for label, _ in slices[:10]]
    table = re.findall(r"^\| `(service-\d+)` \|", body, re.MULTILINE)
    assert top == table[:10]
    assert re.fullmatch(r"[0-9,]+ other functions \$[0-9,]+\.[0-9]{2}", slices[10][0])
    values = [v for _, v in slices]
    assert values[:10] == sorted(values[:10], reverse=True)
    assert abs(sum(values) - plan.summary.estimated_monthly_savings_usd) < 0.01


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
