"""The SnapStart cache price of each region, and which price a plan uses for a region (pure).

A region's price is, in this order: the repository's `[tool.cleaner.cache_prices]` entry, the rate the
AWS Price List gave at scan time (`parse_cache_rate` reads its GetProducts answer; cleaner.aws.pricing
asks), the table below, the default `cache_price_per_gb_second`.

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

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

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
    PRICE_LIST = "price_list"  # AWS's Price List Query API (pricing:GetProducts) at scan time
    PUBLISHED = "published"  # PUBLISHED_CACHE_PRICES
    DEFAULT = "default"  # neither: `cache_price_per_gb_second`


# The Price List's product for the SnapStart cache: service code AWSLambda, usage type
# `<region prefix>-Lambda-SnapStart-Cached-GB-S` (us-east-1 has no prefix), one product per region.
PRICE_LIST_SERVICE_CODE = "AWSLambda"
CACHE_USAGE_TYPE_SUFFIX = "Lambda-SnapStart-Cached-GB-S"
_SKU = re.compile(r"[A-Z0-9]{1,32}")


@dataclass(frozen=True)
class PriceListRate:
    """One region's cache rate as the Price List answered it at scan time."""

    price_per_gb_second: float
    sku: str
    effective_on: date
    usage_type: str


class PriceListError(ValueError):
    """A Price List answer that does not read as the documented product shape."""


def _is_cache_product(attributes: Mapping[str, object], region: str) -> bool:
    usage_type = str(attributes.get("usagetype", ""))
    suffix_ok = usage_type == CACHE_USAGE_TYPE_SUFFIX or usage_type.endswith("-" + CACHE_USAGE_TYPE_SUFFIX)
    return suffix_ok and attributes.get("regionCode") == region


def parse_cache_rate(price_list: Sequence[str], region: str) -> PriceListRate | None:
    """The region's cache rate from a GetProducts `PriceList` (a list of JSON strings, one product
    each): the product whose `regionCode` is the region and whose usage type ends in
    `Lambda-SnapStart-Cached-GB-S`, its OnDemand USD price per unit, SKU and effective date. None when
    no such product is listed; PriceListError when one is but cannot be read."""
    for text in price_list:
        try:
            product = json.loads(text)
        except (TypeError, json.JSONDecodeError) as error:
            raise PriceListError(f"a PriceList item is not JSON: {error}") from error
        attributes = (product.get("product") or {}).get("attributes") or {}
        if not _is_cache_product(attributes, region):
            continue
        return _rate_of(product, str(attributes["usagetype"]))
    return None


def _rate_of(product: Mapping[str, Any], usage_type: str) -> PriceListRate:
    sku = str((product.get("product") or {}).get("sku", ""))
    if not _SKU.fullmatch(sku):
        raise PriceListError(f"product {usage_type} has no readable SKU")
    terms = ((product.get("terms") or {}).get("OnDemand") or {}).values()
    for term in terms:
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            try:
                price = float(str(usd))
                effective = datetime.fromisoformat(str(term["effectiveDate"]).replace("Z", "+00:00"))
            except (TypeError, ValueError, KeyError) as error:
                raise PriceListError(f"product {usage_type} ({sku}): unreadable price: {error}") from error
            if not price >= 0 or price == float("inf"):
                raise PriceListError(f"product {usage_type} ({sku}): price {usd!r} is not a price")
            return PriceListRate(price, sku, effective.date(), usage_type)
    raise PriceListError(f"product {usage_type} ({sku}) has no OnDemand USD price")


@dataclass(frozen=True)
class ResolvedPrice:
    price_per_gb_second: float
    source: PriceSource
    published: PublishedPrice | None = None  # the row used, when source is PUBLISHED
    price_list: PriceListRate | None = None  # the Price List's answer, when source is PRICE_LIST


def resolve_cache_price(
    region: str,
    settings_prices: Mapping[str, float],
    default_price_per_gb_second: float,
    published: Mapping[str, PublishedPrice] = PUBLISHED_CACHE_PRICES,
    price_list: Mapping[str, PriceListRate] | None = None,
) -> ResolvedPrice:
    """The price of one region's cache: the repository's setting for the region, else the Price List's
    rate read at scan time, else AWS's published rate from the table, else the default price
    (`cache_price_per_gb_second`)."""
    if region in settings_prices:
        return ResolvedPrice(settings_prices[region], PriceSource.SETTING)
    listed = (price_list or {}).get(region)
    if listed is not None:
        return ResolvedPrice(listed.price_per_gb_second, PriceSource.PRICE_LIST, price_list=listed)
    row = published.get(region)
    if row is not None:
        return ResolvedPrice(row.price_per_gb_second, PriceSource.PUBLISHED, row)
    return ResolvedPrice(default_price_per_gb_second, PriceSource.DEFAULT)
