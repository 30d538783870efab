"""The Price List's answer read into a region's cache rate (issue 20): the product whose regionCode is
the region and whose usage type ends in Lambda-SnapStart-Cached-GB-S, in three regions (us-east-1's
usage type has no prefix), a region the answer does not list, and answers that cannot be read."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cleaner.demo.savings_seed import SeededRate, price_list_product
from cleaner.prices import PriceListError, PriceListRate, PriceSource, parse_cache_rate, resolve_cache_price

RATES = {
    "us-east-1": SeededRate(
        "Lambda-SnapStart-Cached-GB-S", "WRKYMVM4XSRFFQ7B", 0.0000015046, "2025-11-01T00:00:00Z"
    ),
    "eu-west-1": SeededRate(
        "EU-Lambda-SnapStart-Cached-GB-S", "AAAABBBBCCCC1111", 0.0000016, "2025-06-01T00:00:00Z"
    ),
    "ap-southeast-2": SeededRate(
        "APS2-Lambda-SnapStart-Cached-GB-S", "DDDDEEEEFFFF2222", 0.0000019, "2024-12-01T00:00:00Z"
    ),
}


def answer(region: str) -> list[str]:
    """A GetProducts PriceList for one region: its cache product among other Lambda products."""
    other = SeededRate(
        RATES[region].usage_type.replace("SnapStart-Cached-GB-S", "GB-Second"),
        "ZZZZ",
        0.0000166667,
        "2025-01-01T00:00:00Z",
    )
    restore = SeededRate(
        RATES[region].usage_type.replace("Cached-GB-S", "Restored-GB"),
        "YYYY",
        0.0001397998,
        "2025-01-01T00:00:00Z",
    )
    return [
        price_list_product(region, other),
        price_list_product(region, RATES[region]),
        price_list_product(region, restore),
    ]


@pytest.mark.parametrize("region", sorted(RATES))
def test_the_cache_product_of_each_region_is_read_with_its_sku_and_effective_date(region: str) -> None:
    rate = parse_cache_rate(answer(region), region)
    seeded = RATES[region]
    assert rate == PriceListRate(
        seeded.price_per_gb_second, seeded.sku, date.fromisoformat(seeded.effective[:10]), seeded.usage_type
    )


def test_a_region_the_price_list_does_not_list_has_no_rate() -> None:
    assert parse_cache_rate([], "eu-south-2") is None
    # Another region's product never prices this one, whatever its usage type says.
    assert parse_cache_rate(answer("eu-west-1"), "eu-south-2") is None


def test_a_similar_usage_type_is_not_the_cache() -> None:
    arm = SeededRate("EU-Lambda-SnapStart-Cached-GB-S-ARM", "ARMARMARM1", 0.0000013, "2025-01-01T00:00:00Z")
    assert parse_cache_rate([price_list_product("eu-west-1", arm)], "eu-west-1") is None


@pytest.mark.parametrize(
    "broken",
    [
        "not json",
        json.dumps(
            {
                "product": {
                    "sku": "ABC",
                    "attributes": {"regionCode": "us-east-1", "usagetype": "Lambda-SnapStart-Cached-GB-S"},
                },
                "terms": {},
            }
        ),
        price_list_product("us-east-1", SeededRate("Lambda-SnapStart-Cached-GB-S", "ABC", 0.0, "yesterday")),
        price_list_product(
            "us-east-1", SeededRate("Lambda-SnapStart-Cached-GB-S", "bad sku!", 0.1, "2025-01-01")
        ),
    ],
)
def test_an_unreadable_answer_is_an_error_not_a_price(broken: str) -> None:
    with pytest.raises(PriceListError):
        parse_cache_rate([broken], "us-east-1")


def test_the_setting_beats_the_price_list_which_beats_the_table() -> None:
    listed = {"us-east-1": PriceListRate(0.000002, "SKU1", date(2025, 1, 1), "Lambda-SnapStart-Cached-GB-S")}
    assert (
        resolve_cache_price("us-east-1", {"us-east-1": 0.000003}, 0.1, price_list=listed).source
        is PriceSource.SETTING
    )
    resolved = resolve_cache_price("us-east-1", {}, 0.1, price_list=listed)
    assert (resolved.source, resolved.price_per_gb_second, resolved.price_list) == (
        PriceSource.PRICE_LIST,
        0.000002,
        listed["us-east-1"],
    )
    assert resolve_cache_price("us-east-1", {}, 0.1, price_list={}).source is PriceSource.PUBLISHED
    assert resolve_cache_price("eu-west-1", {}, 0.1, price_list=listed).source is PriceSource.DEFAULT
