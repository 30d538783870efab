"""The plan page's cache prices: each region's price per GB-month and where it came from."""

from __future__ import annotations

from dataclasses import dataclass

from cleaner.plan import Plan, RegionPrice
from cleaner.prices import AWS_PRICE_SOURCE, PriceSource
from cleaner.render.filters import usd
from cleaner.render.markdown import markdown_text


@dataclass(frozen=True)
class PriceRow:
    """Regions sharing one cache price from one source: a row of "Settings used"."""

    regions: list[str]
    text: str  # Markdown, its values escaped


def _price_text(price: RegionPrice, per_month: float, regions: int) -> str:
    monthly = f"{usd(per_month)} per GB-month"
    if price.source is PriceSource.SETTING:
        return f"{monthly}, set in `[tool.cleaner.cache_prices]`"
    if price.source is PriceSource.PRICE_LIST:
        effective = "—" if price.effective_on is None else price.effective_on.isoformat()
        return markdown_text(
            f"{monthly}, AWS Price List at scan time ({price.usage_type}, SKU {price.sku},"
            f" effective {effective})"
        )
    if price.source is PriceSource.PUBLISHED:
        where = price.published_at or ""
        # An autolink only of an address the plan's pattern allows (no space, `>` or `|` can be in it).
        shown = f"<{where}>" if AWS_PRICE_SOURCE.fullmatch(where) else markdown_text(where)
        read = "—" if price.published_on is None else price.published_on.isoformat()
        return f"{monthly}, AWS's published rate (read {read} at {shown})"
    which = "this region" if regions == 1 else "these regions"
    # Words that do not depend on the code's table: a plan re-rendered by a later release, whose table
    # may hold another us-east-1 rate, must still render the same page (validate compares them).
    return (
        f"{monthly}, the default `cache_price_per_gb_second` (us-east-1's rate unless the repository sets"
        f" it; no published rate for {which} in snapstart-cleaner's table: set `[tool.cleaner.cache_prices]`)"
    )


def price_rows(plan: Plan) -> list[PriceRow]:
    """Each region's cache price per GB-month and where it came from, regions with the same price and
    source on one row, in the plan's order of regions. Empty for a plan from before per-region prices,
    whose one price the page states as it always did."""
    grouped: dict[RegionPrice, list[str]] = {}
    for region in plan.regions:
        price = plan.pricing.regions.get(region)
        if price is not None:
            grouped.setdefault(price, []).append(region)
    month = plan.pricing.seconds_per_month
    return [
        PriceRow(regions, _price_text(price, price.cache_price_per_gb_second * month, len(regions)))
        for price, regions in grouped.items()
    ]
