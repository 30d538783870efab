"""The plan page's "What this plan is worth" section: the code storage the deletions free in each region
against its limit, and the SnapStart cache bill from Cost Explorer with the change measured after each
earlier merged plan. Empty for a plan without these records (written before they existed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cleaner.plan import Plan
from cleaner.render.filters import render_paragraph, usd
from cleaner.savings import (
    GIB,
    MEASURE_DAYS,
    MONTH_DAYS,
    Bill,
    days_after,
    freed_by_region,
    last_days_usd,
    measured_change,
    weekly_totals,
)

MIB = 1024**2


def size(value: int) -> str:
    """Bytes as a person reads code storage: GB (GiB, as Lambda's limit counts them) down to KB."""
    if value >= GIB // 10:
        return f"{value / GIB:,.1f} GB"
    if value >= MIB // 10:
        return f"{value / MIB:,.1f} MB"
    return f"{value / 1024:,.1f} KB"


MINUS = "\u2212"  # a true minus sign, as money tables write it


def change(value: float) -> str:
    """A monthly change with its sign: -$43.87 (with MINUS), +$1.20."""
    return f"{MINUS}{usd(-value)}" if value < 0 else f"+{usd(value)}"


@dataclass(frozen=True)
class StorageLine:
    region: str
    text: str  # plain text: region names and numbers only


def storage_lines(plan: Plan) -> list[StorageLine]:
    """ "frees 3.2 GB (41 versions) · at 61.0 of 75.0 GB → 57.8 GB" per region with deletions or storage."""
    savings = plan.savings
    if savings is None:
        return []
    lines = []
    entries = [(e.region, e.code_size_bytes) for e in plan.delete]
    for freed in freed_by_region(entries, plan.regions):
        known = freed.versions - freed.unknown
        text = f"frees {size(freed.bytes)} ({freed.versions:,} version{'s' if freed.versions != 1 else ''})"
        if freed.unknown:
            text += f"; the code size of {freed.unknown:,} of them is not recorded"
        storage = savings.storage.get(freed.region)
        if storage is None or storage.limit_bytes is None or storage.used_bytes is None:
            text += " · its use of the code storage limit was not read"
        else:
            after = max(0, storage.used_bytes - freed.bytes) if known else storage.used_bytes
            text += (
                f" · at {storage.used_bytes / GIB:,.1f} of {storage.limit_bytes / GIB:,.1f} GB"
                f" → {after / GIB:,.1f} GB"
            )
        lines.append(StorageLine(freed.region, text))
    return lines


@dataclass(frozen=True)
class MergeLine:
    plan_id: str
    merged_on: date
    text: str  # plain text: numbers, dates and region names


def merge_lines(bill: Bill) -> list[MergeLine]:
    lines = []
    for merged in bill.merged_plans:
        estimated = f"estimated {change(-merged.estimated_monthly_savings_usd)}/month"
        measured = measured_change(bill, merged)
        if measured is None:
            text = (
                f"{estimated}; measured once {MEASURE_DAYS} days of data follow the merge"
                f" ({days_after(bill, merged)} so far)"
            )
        else:
            text = (
                f"{estimated}, measured {change(measured.monthly_change_usd)}/month (daily mean"
                f" {usd(measured.before_daily_usd)} the {MEASURE_DAYS} days before,"
                f" {usd(measured.after_daily_usd)} the {MEASURE_DAYS} days after, in"
                f" {', '.join(merged.regions)})"
            )
        lines.append(MergeLine(merged.plan_id, merged.merged_on, text))
    return lines


@dataclass(frozen=True)
class WeekRow:
    first: date
    last: date
    usd: float
    merges: list[str]  # plan ids merged that week


def week_rows(bill: Bill) -> list[WeekRow]:
    rows = []
    for first, last, cost in weekly_totals(bill):
        merges = [m.plan_id for m in bill.merged_plans if first <= m.merged_on <= last]
        rows.append(WeekRow(first, last, cost, merges))
    return rows


def savings_section(plan: Plan) -> str:
    """The section, Markdown, every value escaped; "" for a plan without savings records."""
    savings = plan.savings
    if savings is None:
        return ""
    bill = savings.bill
    estimate = plan.summary.estimated_monthly_savings_usd
    month = last_days_usd(bill) if bill else 0.0
    return render_paragraph(
        "savings.md.j2",
        plan=plan,
        storage=storage_lines(plan),
        bill=bill,
        month_days=MONTH_DAYS,
        month_usd=month,
        estimate=estimate,
        share=None if not month else estimate / month,
        merges=merge_lines(bill) if bill else [],
        weeks=week_rows(bill) if bill else [],
        notes=savings.notes,
        cost_explorer=savings.cost_explorer,
    )
