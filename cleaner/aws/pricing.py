"""The Price List Query API (pricing:GetProducts): each region's SnapStart cache rate at scan time.

One GetProducts call per region per run, filtered to the region's code and the cache's usage type; the
answer is read by cleaner.prices.parse_cache_rate. The Price List has endpoints in a few regions only
(us-east-1 among them), whichever region it prices."""

from __future__ import annotations

from typing import Any

from cleaner.prices import CACHE_USAGE_TYPE_SUFFIX, PRICE_LIST_SERVICE_CODE, PriceListRate, parse_cache_rate

PRICE_LIST_ENDPOINT_REGION = "us-east-1"
PERMISSION = "pricing:GetProducts"


def get_products_request(region: str) -> dict[str, Any]:
    return {
        "ServiceCode": PRICE_LIST_SERVICE_CODE,
        "Filters": [
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
            {"Type": "CONTAINS", "Field": "usagetype", "Value": CACHE_USAGE_TYPE_SUFFIX},
        ],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }


def read_cache_rate(pricing_client: Any, region: str) -> PriceListRate | None:
    """The region's cache rate, or None when the Price List lists no such product for it. Raises
    botocore's errors (denied, unreachable) and cleaner.prices.PriceListError (an unreadable answer)."""
    response = pricing_client.get_products(**get_products_request(region))
    return parse_cache_rate(response.get("PriceList") or [], region)
