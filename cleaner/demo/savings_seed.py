"""What the demo and the sandbox seed so their plan page shows what a plan is worth: the Price List's
answer (moto has no Price List), code sizes on moto's versions, and a Cost Explorer history with an
earlier merged plan (queued on moto's Cost Explorer, which answers GetCostAndUsage from a queue).

The Price List answers are built in the shape GetProducts returns (`PriceList`: one JSON string per
product, `product.attributes.regionCode` / `usagetype`, `terms.OnDemand.*.priceDimensions.*.
pricePerUnit.USD`). us-east-1's row is AWS's rate and SKU (cleaner.prices); the other rows are
SIMULATED, for the sandbox's and the tests' regions only, and say so in their SKU-free description.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cleaner.prices import CACHE_USAGE_TYPE_SUFFIX, PRICE_LIST_SERVICE_CODE
from cleaner.savings import MergedPlan, PlanHistory

ON_DEMAND_TERM = "JRTCKXETXF"  # the Price List's OnDemand offer term code
RATE_CODE = "6YS6EN2CT7"


@dataclass(frozen=True)
class SeededRate:
    usage_type: str
    sku: str
    price_per_gb_second: float
    effective: str  # ISO 8601, as the Price List writes effectiveDate


SEEDED_RATES: Mapping[str, SeededRate] = {
    # AWS's us-east-1 rate and SKU (cleaner.prices.PUBLISHED_CACHE_PRICES).
    "us-east-1": SeededRate(
        CACHE_USAGE_TYPE_SUFFIX, "WRKYMVM4XSRFFQ7B", 0.0000015046, "2025-11-01T00:00:00Z"
    ),
    # Simulated rows (not AWS's figures): regions the sandbox and the tests scan.
    "eu-west-1": SeededRate(
        f"EU-{CACHE_USAGE_TYPE_SUFFIX}", "SIMEUW1CACHE0001", 0.0000016, "2025-11-01T00:00:00Z"
    ),
    "ap-southeast-2": SeededRate(
        f"APS2-{CACHE_USAGE_TYPE_SUFFIX}", "SIMAPS2CACHE0001", 0.0000019, "2025-11-01T00:00:00Z"
    ),
}


def price_list_product(region: str, rate: SeededRate) -> str:
    """One GetProducts `PriceList` item: a product and its OnDemand term, as a JSON string."""
    term = f"{rate.sku}.{ON_DEMAND_TERM}"
    return json.dumps(
        {
            "product": {
                "productFamily": "Serverless",
                "attributes": {
                    "regionCode": region,
                    "servicecode": PRICE_LIST_SERVICE_CODE,
                    "usagetype": rate.usage_type,
                    "group": "AWS-Lambda-SnapStart-Cached",
                    "groupDescription": "SnapStart - Cached Snapshots",
                    "servicename": "AWS Lambda",
                },
                "sku": rate.sku,
            },
            "serviceCode": PRICE_LIST_SERVICE_CODE,
            "terms": {
                "OnDemand": {
                    term: {
                        "priceDimensions": {
                            f"{term}.{RATE_CODE}": {
                                "unit": "Lambda-GB-Second",
                                "endRange": "Inf",
                                "description": f"SnapStart cache, {region}, per GB-second",
                                "appliesTo": [],
                                "rateCode": f"{term}.{RATE_CODE}",
                                "beginRange": "0",
                                "pricePerUnit": {"USD": f"{rate.price_per_gb_second:.10f}"},
                            }
                        },
                        "sku": rate.sku,
                        "effectiveDate": rate.effective,
                        "offerTermCode": ON_DEMAND_TERM,
                        "termAttributes": {},
                    }
                }
            },
            "version": "20251101000000",
            "publicationDate": "2025-11-01T00:00:00Z",
        }
    )


def get_products_answer(
    request: Mapping[str, Any], rates: Mapping[str, SeededRate] = SEEDED_RATES
) -> dict[str, Any]:
    """What GetProducts answers a request filtered by `regionCode` (TERM_MATCH): that region's cache
    product, or no product for a region without a row."""
    region = next(
        (f.get("Value") for f in request.get("Filters") or [] if f.get("Field") == "regionCode"), None
    )
    rate = rates.get(str(region))
    return {
        "FormatVersion": "aws_v1",
        "PriceList": [] if rate is None else [price_list_product(str(region), rate)],
    }


# --- Cost Explorer ------------------------------------------------------------------------------------


def cost_and_usage_result(daily: Mapping[date, Mapping[str, float]]) -> dict[str, Any]:
    """A GetCostAndUsage answer (daily, grouped by REGION and USAGE_TYPE) holding the cache's cost of
    each day and region, beside another Lambda usage type the scan must leave out."""
    results = []
    for day in sorted(daily):
        groups = []
        for region, usd in sorted(daily[day].items()):
            rate = SEEDED_RATES.get(region)
            usage_type = rate.usage_type if rate else f"{region.upper()}-{CACHE_USAGE_TYPE_SUFFIX}"
            groups.append(_group(region, usage_type, usd))
            groups.append(_group(region, usage_type.replace("SnapStart-Cached-GB-S", "GB-Second"), usd * 3))
        results.append(
            {
                "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
                "Total": {},
                "Groups": groups,
                "Estimated": day >= max(daily) - timedelta(days=1),
            }
        )
    return {
        "GroupDefinitions": [
            {"Type": "DIMENSION", "Key": "REGION"},
            {"Type": "DIMENSION", "Key": "USAGE_TYPE"},
        ],
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
    }


def _group(region: str, usage_type: str, usd: float) -> dict[str, Any]:
    return {
        "Keys": [region, usage_type],
        "Metrics": {"UnblendedCost": {"Amount": f"{usd:.10f}", "Unit": "USD"}},
    }


def stepped_history(
    now: datetime, region: str, merged_days_ago: int, before_daily: float, after_daily: float, days: int = 60
) -> dict[date, dict[str, float]]:
    """`days` of daily cache cost ending yesterday: `before_daily` up to the merge day, `after_daily`
    after it (the merge day halfway)."""
    end = now.date()
    merged = end - timedelta(days=merged_days_ago)
    daily: dict[date, dict[str, float]] = {}
    for n in range(days, 0, -1):
        day = end - timedelta(days=n)
        usd = (
            before_daily
            if day < merged
            else after_daily
            if day > merged
            else (before_daily + after_daily) / 2
        )
        daily[day] = {region: round(usd, 4)}
    return daily


def queue_cost_results(results: list[dict[str, Any]], account_id: str) -> None:
    """Queue GetCostAndUsage answers on moto's Cost Explorer, in this process (the same queue
    `POST /moto-api/static/ce/cost-and-usage-results` fills on a server)."""
    from moto.moto_api._internal.models import moto_api_backend

    for result in results:
        moto_api_backend.set_ce_cost_usage(result=result, account_id=account_id)


def earlier_plan(
    account_id: str, plan_id: str, merged_on: date, regions: list[str], estimate: float
) -> PlanHistory:
    """One earlier plan merged on the default branch, as the scan's checkout would show it."""
    return PlanHistory(
        merged=(
            (
                account_id,
                MergedPlan(
                    plan_id=plan_id,
                    merged_on=merged_on,
                    regions=regions,
                    estimated_monthly_savings_usd=estimate,
                ),
            ),
        )
    )


# --- code sizes ---------------------------------------------------------------------------------------


def seed_code_sizes(account_id: str, region: str, sizes: Mapping[str, int]) -> None:
    """Give every published version of these functions (name -> bytes) that code size on moto's
    backend, in this process: moto takes CodeSize from the zip, and the demo's zips are a few bytes."""
    from moto.awslambda.models import lambda_backends

    storage = lambda_backends[account_id][region]._lambdas
    for name, size in sizes.items():
        group = storage._functions.get(name)
        if group is None:
            continue
        for function in (group["latest"], *group["versions"]):
            function.code_size = size


# --- the demo's story ---------------------------------------------------------------------------------

MIB = 1024**2
# The demo's functions' code sizes (bytes per version): its zips are a few bytes, real packages are not.
DEMO_CODE_SIZES: Mapping[str, int] = {
    "orders-api": 48 * MIB,
    "checkout-worker": 31 * MIB,
    "legacy-report": 22 * MIB,
    "queue-consumer": 12 * MIB,
    "webhook-handler": 9 * MIB,
    "payments-core": 64 * MIB,
    "sandbox-experiments": 5 * MIB,
    "edge-auth": 1 * MIB,
    "audit-trail": 14 * MIB,
    "reports-api": 18 * MIB,
    "billing-java": 72 * MIB,
    "thumbnail-node": 3 * MIB,
}
# An earlier plan of the demo account, merged this many days before the demo's scan, and its bill: the
# daily cache cost before and after that merge.
DEMO_EARLIER_PLAN = "demo-earlier"
DEMO_MERGED_DAYS_AGO = 24
DEMO_EARLIER_ESTIMATE = 52.30
DEMO_DAILY_BEFORE = 5.75
DEMO_DAILY_AFTER = 4.10


def answer_price_list(session: Any, rates: Mapping[str, SeededRate] = SEEDED_RATES) -> None:
    """Answer this session's GetProducts from `rates` (moto has no Price List), in the shape AWS does."""
    from botocore.awsrequest import AWSResponse

    def get_products(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        request = json.loads(params.get("body") or b"{}")
        parsed = {**get_products_answer(request, rates), "ResponseMetadata": {"HTTPStatusCode": 200}}
        return AWSResponse("https://demo.invalid", 200, {}, None), parsed  # type: ignore[arg-type]

    session.events.register("before-call.pricing.GetProducts", get_products)


def seed_demo_savings(session: Any, account_id: str, region: str, now: datetime) -> PlanHistory:
    """Seed the demo account (in-process moto) with code sizes, Price List answers and a Cost Explorer
    history in which an earlier plan was merged; returns that plan as the checkout's history."""
    seed_code_sizes(account_id, region, DEMO_CODE_SIZES)
    answer_price_list(session)
    daily = stepped_history(now, region, DEMO_MERGED_DAYS_AGO, DEMO_DAILY_BEFORE, DEMO_DAILY_AFTER)
    queue_cost_results([cost_and_usage_result(daily)], account_id)
    merged_on = now.date() - timedelta(days=DEMO_MERGED_DAYS_AGO)
    return earlier_plan(account_id, DEMO_EARLIER_PLAN, merged_on, [region], DEMO_EARLIER_ESTIMATE)
