"""The "What this plan is worth" section and its records (issue 20): absent for plans written before
them, every line derived from the plan (a review's removal changes what it frees), and records that do
not fit the plan refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from cleaner.plan import Plan, RegionPrice, parse_plan, plan_json_text
from cleaner.prices import PriceSource
from cleaner.render import render_plan_markdown
from cleaner.render.savings import size
from cleaner.savings import GIB, Bill, DailyCost, RegionStorage, Savings

from .factories import sample_plan

MIB = 1024**2


def with_savings(plan: Plan, savings: Savings, code_size: int | None = 10 * MIB) -> Plan:
    delete = [e.model_copy(update={"code_size_bytes": code_size}) for e in plan.delete]
    return plan.model_copy(update={"savings": savings, "delete": delete})


def test_a_plan_without_the_records_has_no_section_and_round_trips() -> None:
    plan = sample_plan()
    assert plan.savings is None
    assert "What this plan is worth" not in render_plan_markdown(plan)
    assert parse_plan(plan_json_text(plan), "plan.json") == plan


def test_storage_freed_per_region_follows_the_delete_list() -> None:
    plan = sample_plan()
    storage = {"us-east-1": RegionStorage(limit_bytes=75 * GIB, used_bytes=61 * GIB)}
    worth = with_savings(plan, Savings(storage=storage))
    us = [e for e in worth.delete if e.region == "us-east-1"]
    page = render_plan_markdown(worth)
    freed = len(us) * 10 * MIB
    after = (61 * GIB - freed) / GIB
    assert (
        f"- us-east-1: frees {size(freed)} ({len(us):,} versions) · at 61.0 of 75.0 GB → {after:,.1f} GB"
        in page
    )
    assert "- eu-west-1: frees" in page and "its use of the code storage limit was not read" in page
    # A review that drops a version frees less: the line is derived, not recorded.
    edited = worth.model_copy(update={"delete": worth.delete[1:]}).with_derived_summary()
    assert render_plan_markdown(edited) != page
    assert parse_plan(plan_json_text(worth), "plan.json") == worth


def test_entries_without_a_recorded_size_are_said() -> None:
    page = render_plan_markdown(with_savings(sample_plan(), Savings(), code_size=None))
    assert "the code size of" in page and "is not recorded" in page


def test_a_bill_and_an_estimate_of_nothing_say_so() -> None:
    plan = sample_plan()
    empty = plan.model_copy(
        update={"delete": [], "savings": Savings(bill=Bill(start=date(2026, 9, 2), end=date(2026, 11, 1)))}
    )
    page = render_plan_markdown(empty.with_derived_summary())
    assert "Neither the bill nor this plan's estimate holds a cache charge." in page


def test_storage_of_a_region_not_in_the_plan_is_refused() -> None:
    plan = sample_plan()
    with pytest.raises(ValidationError, match="storage of ap-south-1"):
        Plan.model_validate(
            {**plan.model_dump(), "savings": {"storage": {"ap-south-1": {"limit_bytes": 1, "used_bytes": 0}}}}
        )


def test_a_price_list_price_says_its_sku_usage_type_and_effective_date() -> None:
    with pytest.raises(ValidationError, match="needs sku"):
        RegionPrice(cache_price_per_gb_second=0.1, source=PriceSource.PRICE_LIST)
    with pytest.raises(ValidationError, match="has no sku"):
        RegionPrice(cache_price_per_gb_second=0.1, source=PriceSource.SETTING, sku="ABC")
    with pytest.raises(ValidationError):
        RegionPrice(
            cache_price_per_gb_second=0.1,
            source=PriceSource.PRICE_LIST,
            sku="ABC",
            usage_type="Lambda-GB-Second",
            effective_on=date(2025, 1, 1),
        )


def test_daily_costs_outside_the_window_are_ignored_by_the_page() -> None:
    bill = Bill(
        start=date(2026, 9, 2),
        end=date(2026, 11, 1),
        daily=[DailyCost(day=date(2026, 11, 1) + timedelta(days=3), usd_by_region={"us-east-1": 99.0})],
    )
    page = render_plan_markdown(with_savings(sample_plan(), Savings(bill=bill)))
    assert "**\\$0.00** in the last 30 days" in page
