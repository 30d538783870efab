"""What a plan is worth beyond its estimate (pure): the code storage it frees in each region against the
region's limit, and the account's SnapStart cache bill (Cost Explorer) with the change measured after
each earlier plan merged on the default branch.

The scan records what it read (`Savings`, in plan.json); the page derives the figures from it and from
the plan's entries, so a review edit that drops versions changes what the page says it frees, and any
other change to these records is refused by `validate` like a change to the entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from cleaner.aws_names import Region

GIB = 1024**3  # Lambda's "75 GB" code storage limit is 75 GiB (80,530,636,800 bytes)
BILL_DAYS = 60  # the window Cost Explorer is asked about
MONTH_DAYS = 30  # a month in every cost figure
MEASURE_DAYS = 7  # the daily mean before a merge against the daily mean after it

_PLAN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
UsdAmount = float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionStorage(_Strict):
    """A region's code storage as GetAccountSettings answered it (None: not read)."""

    limit_bytes: int | None = Field(default=None, ge=0)
    used_bytes: int | None = Field(default=None, ge=0)


class DailyCost(_Strict):
    """One day's SnapStart cache cost by region (USD, unblended), as Cost Explorer reported it."""

    day: date
    usd_by_region: dict[Region, float] = Field(default_factory=dict)


class MergedPlan(_Strict):
    """An earlier plan of this account merged on the default branch: when, and what it estimated."""

    plan_id: str = Field(pattern=f"^{_PLAN_ID.pattern}$")
    merged_on: date  # the day of the commit that brought its plan.json onto the default branch
    regions: list[Region]
    estimated_monthly_savings_usd: float = Field(ge=0, allow_inf_nan=False)


class Bill(_Strict):
    """The account's SnapStart cache cost per day over [start, end) (end exclusive, as Cost Explorer's
    TimePeriod), and the earlier merged plans whose merge falls in that window."""

    start: date
    end: date
    daily: list[DailyCost] = Field(default_factory=list)
    # False: Cost Explorer had more pages than the scan reads (at most two requests).
    complete: bool = True
    merged_plans: list[MergedPlan] = Field(default_factory=list)


class Savings(_Strict):
    # Regions whose GetAccountSettings answered; a region missing here is said in `notes`.
    storage: dict[Region, RegionStorage] = Field(default_factory=dict)
    # None: Cost Explorer was off (`cost_explorer = false`), denied or unreachable (said in `notes`).
    bill: Bill | None = None
    cost_explorer: bool = True  # the `cost_explorer` setting the scan ran with
    # One line each for a source that was denied, missing or unreachable: never a failed scan.
    notes: list[str] = Field(default_factory=list)


# --- storage ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freed:
    """What one region's deletions free: bytes of the versions with a known size, and how many versions
    have none recorded."""

    region: str
    versions: int
    bytes: int
    unknown: int


def freed_by_region(entries: Iterable[tuple[str, int | None]], regions: Iterable[str]) -> list[Freed]:
    """(region, code size) of each deletion -> what each of `regions` frees, in that order."""
    totals: dict[str, list[int]] = {region: [0, 0, 0] for region in regions}
    for region, size in entries:
        row = totals.setdefault(region, [0, 0, 0])
        row[0] += 1
        if size is None:
            row[2] += 1
        else:
            row[1] += size
    return [Freed(region, n, size, unknown) for region, (n, size, unknown) in totals.items()]


def gib(size: int) -> float:
    return size / GIB


# --- the bill -----------------------------------------------------------------------------------------


def daily_totals(bill: Bill, regions: Iterable[str] | None = None) -> dict[date, float]:
    """Every day of the window with its cost (0 for a day Cost Explorer listed nothing for), summed
    over `regions` (None: every region)."""
    wanted = None if regions is None else set(regions)
    totals = {bill.start + timedelta(days=n): 0.0 for n in range((bill.end - bill.start).days)}
    for row in bill.daily:
        if row.day in totals:
            totals[row.day] += sum(
                usd for region, usd in row.usd_by_region.items() if wanted is None or region in wanted
            )
    return totals


def last_days_usd(bill: Bill, days: int = MONTH_DAYS) -> float:
    totals = daily_totals(bill)
    since = bill.end - timedelta(days=days)
    return round(sum(usd for day, usd in totals.items() if day >= since), 2)


@dataclass(frozen=True)
class Measured:
    """The change in the daily cache cost across a merge, in the merged plan's regions."""

    before_daily_usd: float
    after_daily_usd: float

    @property
    def monthly_change_usd(self) -> float:
        return round((self.after_daily_usd - self.before_daily_usd) * MONTH_DAYS, 2)


def measured_change(bill: Bill, merged: MergedPlan) -> Measured | None:
    """The mean daily cost of the MEASURE_DAYS before the merge day against that of the MEASURE_DAYS
    after it (the merge day itself is left out: it is half before, half after). None when the window
    does not hold both weeks."""
    before = [merged.merged_on - timedelta(days=n) for n in range(1, MEASURE_DAYS + 1)]
    after = [merged.merged_on + timedelta(days=n) for n in range(1, MEASURE_DAYS + 1)]
    if min(before) < bill.start or max(after) >= bill.end:
        return None
    totals = daily_totals(bill, merged.regions)
    return Measured(
        before_daily_usd=sum(totals[day] for day in before) / MEASURE_DAYS,
        after_daily_usd=sum(totals[day] for day in after) / MEASURE_DAYS,
    )


def days_after(bill: Bill, merged: MergedPlan) -> int:
    """Whole days of data after the merge day (for saying when a merge can be measured)."""
    return max(0, (bill.end - merged.merged_on).days - 1)


def weekly_totals(bill: Bill) -> list[tuple[date, date, float]]:
    """(first day, last day, cost) of each week of the window, the newest week ending on its last day."""
    totals = daily_totals(bill)
    days = sorted(totals)
    weeks = []
    for end_index in range(len(days), 0, -7):
        chunk = days[max(0, end_index - 7) : end_index]
        weeks.append((chunk[0], chunk[-1], round(sum(totals[d] for d in chunk), 2)))
    return list(reversed(weeks))


def merged_in_window(history: Iterable[MergedPlan], start: date, end: date, plan_id: str) -> list[MergedPlan]:
    """The earlier merged plans whose merge day falls in [start, end), oldest first."""
    found = [m for m in history if start <= m.merged_on < end and m.plan_id != plan_id]
    return sorted(found, key=lambda m: (m.merged_on, m.plan_id))


def costs_by_day(rows: Mapping[date, Mapping[str, float]]) -> list[DailyCost]:
    return [
        DailyCost(day=day, usd_by_region={r: round(usd, 6) for r, usd in sorted(rows[day].items())})
        for day in sorted(rows)
    ]


@dataclass(frozen=True)
class PlanHistory:
    """The plans merged on the default branch, as the scan's checkout shows them: (account id, plan)
    each, and what could not be read (one line each, for the page)."""

    merged: tuple[tuple[str, MergedPlan], ...] = ()
    notes: tuple[str, ...] = ()

    def of_account(self, account_id: str) -> list[MergedPlan]:
        return [plan for account, plan in self.merged if account == account_id]
