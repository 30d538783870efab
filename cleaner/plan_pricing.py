"""plan.json's prices: the cache price a plan used for each region and where it came from (a part of
cleaner.plan, which re-exports these models)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cleaner.aws_names import Region, RuntimePrefix
from cleaner.cost import BILLED_RUNTIME_PREFIXES, SECONDS_PER_MONTH
from cleaner.prices import AWS_PRICE_SOURCE, PriceSource, ResolvedPrice
from cleaner.settings import CachePrice


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionPrice(_Strict):
    """The cache price a plan used for one region, and where it came from (cleaner.prices)."""

    cache_price_per_gb_second: CachePrice
    source: PriceSource
    # For a published rate: the table row's address and the day it was read.
    published_at: str | None = Field(default=None, pattern=f"^{AWS_PRICE_SOURCE.pattern}$")
    published_on: date | None = None
    # For a Price List rate: the product's SKU, usage type and the price's effective date.
    sku: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,32}$")
    usage_type: str | None = Field(default=None, pattern=r"^(?:[A-Z0-9]{2,8}-)?Lambda-SnapStart-Cached-GB-S$")
    effective_on: date | None = None

    @model_validator(mode="after")
    def _published_rates_say_where_from(self) -> RegionPrice:
        published = self.published_at is not None or self.published_on is not None
        if self.source is PriceSource.PUBLISHED and not (self.published_at and self.published_on):
            raise ValueError("a published price needs published_at and published_on")
        if self.source is not PriceSource.PUBLISHED and published:
            raise ValueError(f"a price from {self.source.value} has no published_at or published_on")
        listed = (self.sku, self.usage_type, self.effective_on)
        if self.source is PriceSource.PRICE_LIST and None in listed:
            raise ValueError("a Price List price needs sku, usage_type and effective_on")
        if self.source is not PriceSource.PRICE_LIST and listed != (None, None, None):
            raise ValueError(f"a price from {self.source.value} has no sku, usage_type or effective_on")
        return self

    @classmethod
    def of(cls, resolved: ResolvedPrice) -> RegionPrice:
        row = resolved.published
        listed = resolved.price_list
        return cls(
            cache_price_per_gb_second=resolved.price_per_gb_second,
            source=resolved.source,
            published_at=None if row is None else row.source,
            published_on=None if row is None else row.read_on,
            sku=None if listed is None else listed.sku,
            usage_type=None if listed is None else listed.usage_type,
            effective_on=None if listed is None else listed.effective_on,
        )


class Pricing(_Strict):
    # The default price: of every region in a plan written before `regions` (below) existed; in a newer
    # plan, of the regions priced from `default`.
    cache_price_per_gb_second: CachePrice
    seconds_per_month: int = SECONDS_PER_MONTH
    billed_runtimes: list[RuntimePrefix] = Field(
        default_factory=lambda: [f"{p}*" for p in BILLED_RUNTIME_PREFIXES]
    )
    # Each region of the plan's price; {} in plans written before prices differed by region.
    regions: dict[Region, RegionPrice] = Field(default_factory=dict)

    def price_for(self, region: str) -> float:
        found = self.regions.get(region)
        return self.cache_price_per_gb_second if found is None else found.cache_price_per_gb_second
