"""The per-region SnapStart cache prices (cleaner/prices.py): every published row says where and when
AWS published it, and a region's price is its setting, else the published rate, else the default."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

import pytest

from cleaner.prices import (
    AWS_PRICE_SOURCE,
    PUBLISHED_CACHE_PRICES,
    PriceSource,
    PublishedPrice,
    resolve_cache_price,
)
from cleaner.settings import DEFAULT_CACHE_PRICE_PER_GB_SECOND, ScanSettings

US_EAST_1 = 0.0000015046  # AWS Lambda pricing page, SnapStart - Cached Snapshots, read 2026-11-29
DEFAULT = 0.000002
# A table of the same shape as the real one, so the order is tested for a region the real one lacks.
TABLE: Mapping[str, PublishedPrice] = {
    "us-east-1": PublishedPrice(US_EAST_1, "https://aws.amazon.com/lambda/pricing/", date(2026, 11, 29)),
    "eu-west-1": PublishedPrice(0.0000017, "https://aws.amazon.com/lambda/pricing/", date(2026, 11, 30)),
}

RESOLUTION: dict[str, tuple[str, dict[str, float], float, PriceSource]] = {
    "setting-beats-published": ("us-east-1", {"us-east-1": 0.000003}, 0.000003, PriceSource.SETTING),
    "setting-beats-default": ("ap-south-1", {"ap-south-1": 0.000001}, 0.000001, PriceSource.SETTING),
    "a-zero-setting-is-a-price": ("us-east-1", {"us-east-1": 0.0}, 0.0, PriceSource.SETTING),
    "published-beats-default": ("eu-west-1", {}, 0.0000017, PriceSource.PUBLISHED),
    "another-regions-setting-does-not-apply": (
        "eu-west-1",
        {"us-east-1": 0.000003},
        0.0000017,
        PriceSource.PUBLISHED,
    ),
    "neither-falls-back-to-the-default": (
        "ap-south-1",
        {"us-east-1": 0.000003},
        DEFAULT,
        PriceSource.DEFAULT,
    ),
}


@pytest.mark.parametrize(
    ("region", "settings", "price", "source"), RESOLUTION.values(), ids=RESOLUTION.keys()
)
def test_a_regions_price_is_its_setting_then_the_published_rate_then_the_default(
    region: str, settings: dict[str, float], price: float, source: PriceSource
) -> None:
    resolved = resolve_cache_price(region, settings, DEFAULT, TABLE)
    assert (resolved.price_per_gb_second, resolved.source) == (price, source)
    assert resolved.published == (TABLE[region] if source is PriceSource.PUBLISHED else None)


def test_the_real_table_prices_us_east_1_at_the_rate_aws_published() -> None:
    resolved = resolve_cache_price("us-east-1", {}, DEFAULT)
    assert (resolved.price_per_gb_second, resolved.source) == (US_EAST_1, PriceSource.PUBLISHED)


def test_a_region_the_real_table_lacks_falls_back_to_the_default() -> None:
    # us-east-1 is the only rate we could read from AWS; a row for another region needs its own source.
    assert resolve_cache_price("eu-west-1", {}, DEFAULT).source is PriceSource.DEFAULT


@pytest.mark.parametrize("region", sorted(PUBLISHED_CACHE_PRICES))
def test_every_published_row_has_an_aws_source_and_the_date_it_was_read(region: str) -> None:
    row = PUBLISHED_CACHE_PRICES[region]
    assert AWS_PRICE_SOURCE.fullmatch(row.source), f"{region}: {row.source} is not an AWS address"
    assert isinstance(row.read_on, date)
    # SnapStart for Python and .NET (the runtimes with a cache charge) launched on 2024-11-18; a day of
    # slack at the other end, for a machine whose local date is still yesterday in UTC.
    assert date(2024, 11, 18) <= row.read_on <= date.today() + timedelta(days=1)
    assert math.isfinite(row.price_per_gb_second) and row.price_per_gb_second > 0
    assert ScanSettings.model_validate({"regions": [region]}).regions == [region]  # a real region name


def test_the_default_price_is_still_the_us_east_1_rate() -> None:
    # Plans and goldens written before per-region prices used this price for every region.
    assert DEFAULT_CACHE_PRICE_PER_GB_SECOND == US_EAST_1
    assert ScanSettings().cache_price_per_gb_second == US_EAST_1


@pytest.mark.parametrize(
    "address",
    [
        "http://aws.amazon.com/lambda/pricing/",
        "https://aws.amazon.com.example.com/lambda/pricing/",
        "https://example.com/aws.amazon.com/lambda/pricing/",
        "https://aws.amazon.com/lambda/pricing/ extra",
        "https://aws.amazon.com/lambda/pricing/>",
        "https://aws.amazon.com/lambda/pricing/|x",
        "https://calculator.aws/#/estimate",
    ],
)
def test_a_source_that_is_not_an_aws_address_is_not_one(address: str) -> None:
    assert AWS_PRICE_SOURCE.fullmatch(address) is None


@pytest.mark.parametrize(
    "address",
    [
        "https://aws.amazon.com/lambda/pricing/",
        "https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html",
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AWSLambda/current/eu-west-1/index.json",
    ],
)
def test_aws_pricing_and_documentation_addresses_are_sources(address: str) -> None:
    assert AWS_PRICE_SOURCE.fullmatch(address)
