"""The SnapStart cache price of each region, and which price a plan uses for a region (pure).

`PUBLISHED_CACHE_PRICES` holds the rates AWS publishes for "SnapStart - Cached Snapshots" (usage type
`<region prefix>-Lambda-SnapStart-Cached-GB-S`, unit GB-Seconds), for Python and .NET versions, in USD
per GB-second.

Adding a row: take the rate from AWS itself (the Lambda pricing page, the AWS Price List API or its
offer file, or an AWS documentation page), never from a blog, a calculator or a guess, and give the
address you read it at and the date you read it. A region with no row is priced with the repository's
`[tool.cleaner.cache_prices]` or, failing that, `cache_price_per_gb_second` (the us-east-1 rate unless
set), and every plan page says so for that region. A wrong row would put a wrong figure on every plan of
that region without a word; a missing one only falls back, visibly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType

LAMBDA_PRICING_PAGE = "https://aws.amazon.com/lambda/pricing/"
# Where a published rate may come from: AWS's own sites (the pricing pages, the documentation, the Price
# List's offer files). Also the pattern plan.json's copy of a row's source is validated against, since
# the plan page shows it.
AWS_PRICE_SOURCE = re.compile(
    r"https://(?:aws\.amazon\.com|docs\.aws\.amazon\.com|pricing\.us-east-1\.amazonaws\.com)"
    r"/[A-Za-z0-9/._~-]*"
)


@dataclass(frozen=True)
class PublishedPrice:
    """One region's cache rate as AWS published it: where and when it was read."""

    price_per_gb_second: float
    source: str  # an https address on an AWS site
    read_on: date
    detail: str = ""  # what exactly was read there, for the next person checking the row


PUBLISHED_CACHE_PRICES: Mapping[str, PublishedPrice] = MappingProxyType(
    {
        # US East (N. Virginia). AWS Price List: product "SnapStart - Cached Snapshots", unit GB-Seconds,
        # usage type Lambda-SnapStart-Cached-GB-S, SKU WRKYMVM4XSRFFQ7B. No other region's rate could be
        # read from an AWS source (the pricing page renders them in the browser): those regions fall back.
        "us-east-1": PublishedPrice(
            price_per_gb_second=0.0000015046,
            source=LAMBDA_PRICING_PAGE,
            read_on=date(2026, 11, 29),
            detail="SnapStart - Cached Snapshots, Lambda-SnapStart-Cached-GB-S, SKU WRKYMVM4XSRFFQ7B",
        ),
    }
)

# The rate a region without a better one is priced at, unless a repository sets its own.
US_EAST_1_CACHE_PRICE_PER_GB_SECOND = PUBLISHED_CACHE_PRICES["us-east-1"].price_per_gb_second


class PriceSource(StrEnum):
    SETTING = "setting"  # the repository's `[tool.cleaner.cache_prices]` entry for the region
    PUBLISHED = "published"  # PUBLISHED_CACHE_PRICES
    DEFAULT = "default"  # neither: `cache_price_per_gb_second`


@dataclass(frozen=True)
class ResolvedPrice:
    price_per_gb_second: float
    source: PriceSource
    published: PublishedPrice | None = None  # the row used, when source is PUBLISHED


def resolve_cache_price(
    region: str,
    settings_prices: Mapping[str, float],
    default_price_per_gb_second: float,
    published: Mapping[str, PublishedPrice] = PUBLISHED_CACHE_PRICES,
) -> ResolvedPrice:
    """The price of one region's cache: the repository's setting for the region, else AWS's published
    rate from the table, else the default price (`cache_price_per_gb_second`)."""
    if region in settings_prices:
        return ResolvedPrice(settings_prices[region], PriceSource.SETTING)
    row = published.get(region)
    if row is not None:
        return ResolvedPrice(row.price_per_gb_second, PriceSource.PUBLISHED, row)
    return ResolvedPrice(default_price_per_gb_second, PriceSource.DEFAULT)
