"""Cost Explorer (ce:GetCostAndUsage): the account's daily SnapStart cache cost by region.

Cost Explorer charges per request, so one scan sends at most MAX_REQUESTS: one request for the whole
window (daily, AWS Lambda only, grouped by region and usage type) and, when the answer is paged, one
more page. The cache's usage types (`<prefix>-Lambda-SnapStart-Cached-GB-S`) are picked from the groups
here: GetCostAndUsage matches dimension values exactly, and the prefixes differ by region."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from cleaner.prices import CACHE_USAGE_TYPE_SUFFIX

CE_ENDPOINT_REGION = "us-east-1"
PERMISSION = "ce:GetCostAndUsage"
MAX_REQUESTS = 2
METRIC = "UnblendedCost"


def cost_and_usage_request(start: date, end: date) -> dict[str, Any]:
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": [METRIC],
        "Filter": {"Dimensions": {"Key": "SERVICE", "Values": ["AWS Lambda"]}},
        "GroupBy": [{"Type": "DIMENSION", "Key": "REGION"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
    }


def is_cache_usage_type(usage_type: str) -> bool:
    return usage_type == CACHE_USAGE_TYPE_SUFFIX or usage_type.endswith("-" + CACHE_USAGE_TYPE_SUFFIX)


def add_page(rows: dict[date, dict[str, float]], page: dict[str, Any]) -> None:
    """Add one GetCostAndUsage page's cache costs to `rows` (day -> region -> USD)."""
    for result in page.get("ResultsByTime") or []:
        day = date.fromisoformat(result["TimePeriod"]["Start"])
        costs = rows.setdefault(day, {})
        for group in result.get("Groups") or []:
            keys = group.get("Keys") or []
            if len(keys) != 2 or not is_cache_usage_type(str(keys[1])):
                continue
            amount = float(((group.get("Metrics") or {}).get(METRIC) or {}).get("Amount", 0))
            costs[str(keys[0])] = costs.get(str(keys[0]), 0.0) + amount


def read_cache_costs(ce_client: Any, start: date, end: date) -> tuple[dict[date, dict[str, float]], bool]:
    """Day -> region -> the cache's cost over [start, end), and whether every page was read."""
    rows: dict[date, dict[str, float]] = defaultdict(dict)
    request = cost_and_usage_request(start, end)
    for _ in range(MAX_REQUESTS):
        page = ce_client.get_cost_and_usage(**request)
        add_page(rows, page)
        token = page.get("NextPageToken")
        if not token:
            return dict(rows), True
        request = {**request, "NextPageToken": token}
    return dict(rows), False
