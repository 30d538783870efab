"""Per-region cache prices in a plan (issue 10): the plan records each region's price and its source,
entries cost their region's price, the page says where each price came from, plans written before
still load and render as they did, and a review cannot change a price."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes.cli import run_in_process

from cleaner import prices
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.plan import Plan, parse_plan, plan_json_text, write_plan_files
from cleaner.planner import build_plan
from cleaner.prices import PriceSource
from cleaner.render import price_rows as render_module
from cleaner.render import render_plan_body, render_plan_markdown
from cleaner.validate import check_derived, check_removals_only

from .factories import ACCOUNT_ID, NOW, clear_evidence, function, sample_plan, settings
from .gfm import render
from .test_review_page import cell_problems

US_EAST_1 = 0.0000015046
# The pre-change page's one price line, word for word (tests/golden/plan.md before this change).
OLD_PRICE_LINE = (
    "| cache price | $3.90 per GB of memory per month for `python*`, `dotnet*` (other runtimes, such as"
    " Java: no cache charge); a month is 30 days |"
)


def two_region_plan(regions: list[str], **setting_values: Any) -> Plan:
    """The same function, 1,024 MB, five old versions, in each region: two deletions and three kept
    (keep_last_n) in each."""
    functions = [function("api", (90, 80, 70, 60, 50), region=region) for region in regions]
    evidence = {v.key: clear_evidence() for f in functions for v in f.versions}
    return build_plan(
        plan_id="p1",
        account_id=ACCOUNT_ID,
        regions=regions,
        functions=functions,
        evidence=evidence,
        settings=settings(regions=regions, **setting_values),
        now=NOW,
        warnings=[],
    )


def costs(plan: Plan, region: str) -> set[float]:
    return {e.estimated_monthly_cost_usd for e in plan.delete if e.region == region}


# --- the planner --------------------------------------------------------------------------------------


def test_two_regions_at_different_prices_give_different_entry_costs_and_totals() -> None:
    plan = two_region_plan(["us-east-1", "eu-west-1"], cache_prices={"eu-west-1": 2 * US_EAST_1})
    assert costs(plan, "us-east-1") == {3.8999}  # 1 GB x 2,592,000 s x $0.0000015046
    assert costs(plan, "eu-west-1") == {7.7998}
    assert {e.estimated_monthly_cost_usd for e in plan.keep if e.region == "eu-west-1"} == {7.7998}
    assert plan.summary.delete_count == 4
    assert plan.summary.estimated_monthly_savings_usd == round(2 * 3.8999 + 2 * 7.7998, 2) == 23.4
    assert plan.summary.estimated_monthly_cost_kept_usd == round(3 * 3.8999 + 3 * 7.7998, 2) == 35.1
    single = two_region_plan(["us-east-1", "eu-west-1"])
    assert (single.summary.estimated_monthly_savings_usd, single.summary.estimated_monthly_cost_kept_usd) == (
        15.6,
        23.4,
    )


def test_the_plan_records_each_regions_price_and_where_it_came_from() -> None:
    plan = two_region_plan(
        ["us-east-1", "eu-west-1", "ap-south-1"],
        cache_prices={"eu-west-1": 0.0000016},
        cache_price_per_gb_second=0.000002,
    )
    regions = plan.pricing.regions
    assert {r: (p.cache_price_per_gb_second, p.source) for r, p in regions.items()} == {
        "us-east-1": (US_EAST_1, PriceSource.PUBLISHED),
        "eu-west-1": (0.0000016, PriceSource.SETTING),
        "ap-south-1": (0.000002, PriceSource.DEFAULT),
    }
    published = regions["us-east-1"]
    assert (published.published_at, str(published.published_on)) == (
        "https://aws.amazon.com/lambda/pricing/",
        "2026-11-29",
    )
    assert regions["eu-west-1"].published_at is None and regions["ap-south-1"].published_on is None
    assert plan.pricing.cache_price_per_gb_second == 0.000002
    assert plan.settings.cache_prices == {"eu-west-1": 0.0000016}
    assert costs(plan, "ap-south-1") == {5.1840}
    assert parse_plan(plan_json_text(plan), "plan.json") == plan


# --- plan.json ----------------------------------------------------------------------------------------


def reviewed(plan: Plan, change: Any) -> str:
    doc = json.loads(plan_json_text(plan))
    change(doc)
    return json.dumps(doc, indent=2)


def refused(text: str) -> str:
    with pytest.raises(BadInputError) as raised:
        parse_plan(text, "plan.json")
    return raised.value.message


def test_a_plan_must_price_exactly_its_regions() -> None:
    plan = sample_plan()
    message = refused(reviewed(plan, lambda doc: doc["pricing"]["regions"].pop("eu-west-1")))
    assert "pricing.regions: prices us-east-1; the plan's regions are us-east-1, eu-west-1" in message


BAD_REGION_PRICES: dict[str, tuple[str, dict[str, Any], str]] = {
    "published-without-a-date": (
        "us-east-1",
        {"published_on": None},
        "a published price needs published_at and published_on",
    ),
    "default-claiming-a-source": (
        "eu-west-1",
        {"published_at": "https://aws.amazon.com/lambda/pricing/"},
        "a price from default has no published_at or published_on",
    ),
    "a-source-that-is-not-aws": (
        "us-east-1",
        {"published_at": "https://example.com/prices"},
        "pricing.regions.us-east-1.published_at",
    ),
    "an-unknown-source": ("eu-west-1", {"source": "guessed"}, "pricing.regions.eu-west-1.source"),
    "a-negative-price": ("eu-west-1", {"cache_price_per_gb_second": -1.0}, "greater than or equal to 0"),
}


@pytest.mark.parametrize(
    ("region", "change", "said"), BAD_REGION_PRICES.values(), ids=BAD_REGION_PRICES.keys()
)
def test_a_regions_price_must_say_where_it_came_from(region: str, change: dict[str, Any], said: str) -> None:
    text = reviewed(sample_plan(), lambda doc: doc["pricing"]["regions"][region].update(change))
    assert said in refused(text)


# --- plans written before per-region prices -----------------------------------------------------------


def written_before(plan: Plan) -> str:
    """plan.json as snapstart-cleaner wrote it before per-region prices: the same document without
    `pricing.regions` and `settings.cache_prices` (checked byte for byte against the previous commit's
    output for `sample_plan()` when this test was written)."""
    doc = json.loads(plan_json_text(plan))
    del doc["pricing"]["regions"], doc["settings"]["cache_prices"]
    return json.dumps(doc, indent=2) + "\n"


def test_a_plan_written_before_loads_with_its_one_price_for_every_region() -> None:
    old = parse_plan(written_before(sample_plan()), "plan.json")
    assert old.pricing.regions == {} and old.settings.cache_prices == {}
    assert [old.pricing.price_for(r) for r in (*old.regions, "ap-south-1")] == [US_EAST_1] * 3
    assert [e.estimated_monthly_cost_usd for e in old.delete] == [
        e.estimated_monthly_cost_usd for e in sample_plan().delete
    ]


def test_a_plan_written_before_renders_its_one_price_line_as_before() -> None:
    new = sample_plan()
    old = parse_plan(written_before(new), "plan.json")
    page = render_plan_markdown(old)
    assert page.count("| cache price") == 1
    assert page.endswith(OLD_PRICE_LINE + "\n")
    # Everything else on the page is the page of the same plan with its per-region rows.
    new_page = render_plan_markdown(new)
    new_rows = new_page[new_page.index("| cache price |") :]
    assert page.replace(OLD_PRICE_LINE + "\n", new_rows) == new_page


def test_a_plan_written_before_still_validates_and_accepts_removals() -> None:
    old = parse_plan(written_before(sample_plan()), "plan.json")
    assert check_derived(old, render_plan_markdown(old)) == []
    edited = old.model_copy(update={"delete": old.delete[1:]}).with_derived_summary()
    assert check_removals_only(edited, old).ok
    assert check_derived(edited, render_plan_markdown(edited, old), old) == []


# --- review: prices cannot change ---------------------------------------------------------------------


def _set_price(region: str, value: float) -> Any:
    return lambda doc: doc["pricing"]["regions"][region].update(cache_price_per_gb_second=value)


def _as_setting(doc: dict[str, Any]) -> None:
    doc["pricing"]["regions"]["eu-west-1"].update(source="setting")
    doc["settings"]["cache_prices"] = {"eu-west-1": doc["pricing"]["cache_price_per_gb_second"]}


def _forget_regions(doc: dict[str, Any]) -> None:
    doc["pricing"]["regions"] = {}  # would make the page state one price for every region


REVIEW_EDITS: dict[str, tuple[Any, list[tuple[str, ...]]]] = {
    "lower-regional-price": (_set_price("eu-west-1", 0.0000001), [("pricing",)]),
    "higher-regional-price": (_set_price("us-east-1", 0.00001), [("pricing",)]),
    "fallback-relabelled-as-a-setting": (_as_setting, [("settings",), ("pricing",)]),
    "per-region-prices-dropped": (_forget_regions, [("pricing",)]),
    "regional-setting-added": (
        lambda doc: doc["settings"].update(cache_prices={"ap-south-1": 0.0}),
        [("settings",)],
    ),
}


@pytest.mark.parametrize(("change", "paths"), REVIEW_EDITS.values(), ids=REVIEW_EDITS.keys())
def test_a_review_that_changes_a_regional_price_is_refused(change: Any, paths: list[tuple[str]]) -> None:
    original = sample_plan()
    edited = parse_plan(reviewed(original, change), "plan.json").with_derived_summary()
    report = check_removals_only(edited, original)
    assert [f.path for f in report.findings] == paths
    assert all("was changed; only removals from `delete` are allowed" in f.message for f in report.findings)


# --- the page -----------------------------------------------------------------------------------------


def price_lines(page: str) -> list[str]:
    return [line for line in page.splitlines() if line.startswith("| cache price")]


def test_the_page_lists_each_regions_price_and_source_and_says_plainly_when_it_fell_back() -> None:
    plan = two_region_plan(
        ["us-east-1", "eu-west-1", "ap-south-1", "eu-central-1"],
        cache_prices={"eu-central-1": 0.0000016},
    )
    assert price_lines(render_plan_markdown(plan)) == [
        "| cache price | per GB of memory per month, by region (the rows below), for `python*`, `dotnet*`"
        " (other runtimes, such as Java: no cache charge); a month is 30 days |",
        "| cache price in us-east-1 | $3.90 per GB-month, AWS's published rate (read 2026-11-29 at"
        " <https://aws.amazon.com/lambda/pricing/>) |",
        "| cache price in eu-west-1, ap-south-1 | $3.90 per GB-month, the default `cache_price_per_gb_second`"
        " (us-east-1's rate unless the repository sets it; no published rate for these regions in"
        " snapstart-cleaner's table: set `[tool.cleaner.cache_prices]`) |",
        "| cache price in eu-central-1 | $4.15 per GB-month, set in `[tool.cleaner.cache_prices]` |",
    ]


def test_one_region_on_the_fallback_is_named_alone() -> None:
    lines = price_lines(render_plan_markdown(two_region_plan(["eu-west-1"])))
    assert lines[1:] == [
        "| cache price in eu-west-1 | $3.90 per GB-month, the default `cache_price_per_gb_second`"
        " (us-east-1's rate unless the repository sets it; no published rate for this region in"
        " snapstart-cleaner's table: set `[tool.cleaner.cache_prices]`) |"
    ]


def test_a_plan_on_the_fallback_renders_the_same_page_whatever_the_codes_table_says_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A later release may carry another us-east-1 rate or more rows; a plan scanned before must still
    render the page it was scanned with, or validate would call its plan.md out of sync."""
    plan = two_region_plan(["eu-west-1"])
    before = render_plan_markdown(plan)
    for module in (prices, render_module):  # wherever a renderer could read the table from
        monkeypatch.setattr(module, "US_EAST_1_CACHE_PRICE_PER_GB_SECOND", 0.000002, raising=False)
        monkeypatch.setattr(module, "PUBLISHED_CACHE_PRICES", {}, raising=False)
    assert render_plan_markdown(plan) == before


def test_the_price_rows_are_in_every_pull_request_body_and_keep_its_tables_well_formed() -> None:
    plan = two_region_plan(["us-east-1", "eu-west-1"], cache_prices={"eu-west-1": 0.0000016})
    body = render_plan_body(plan, "https://github.com/acme/infra/blob/b/plans/p1/plan.md", 65_536)
    assert body is not None
    assert price_lines(body) == price_lines(render_plan_markdown(plan))
    assert cell_problems(body) == []
    assert render(body, comment=True).problems == []


def test_validate_against_the_scanned_plan_refuses_a_rerendered_plan_with_a_changed_regional_price(
    tmp_path: Path,
) -> None:
    original = sample_plan()
    write_plan_files(tmp_path / "original", original, render_plan_markdown(original))
    cheaper = parse_plan(reviewed(original, _set_price("eu-west-1", 0.0)), "plan.json")
    write_plan_files(tmp_path / "plans" / "p1", cheaper, render_plan_markdown(cheaper))
    run = run_in_process(["validate", "plans/p1/plan.json", "--against", "original/plan.json"], tmp_path, {})
    assert run.code == ExitCode.FAILURES
    assert "pricing was changed; only removals from `delete` are allowed" in run.stdout
