"""What a plan is worth, read at scan time: each region's cache rate from the Price List (before the
last stage, which ranks by savings), each region's code storage (GetAccountSettings) and the account's
SnapStart cache bill (Cost Explorer). Every source fails soft: a denied, missing or unreachable one is a
line on the page (`Savings.notes`), never a failed scan."""

from __future__ import annotations

from datetime import datetime, timedelta

from cleaner.aws import code_storage, cost_explorer, pricing
from cleaner.aws.errors import AWS_ERRORS, describe, error_code, is_access_denied
from cleaner.aws.session import AwsContext
from cleaner.prices import PriceListError, PriceListRate
from cleaner.savings import BILL_DAYS, Bill, PlanHistory, RegionStorage, costs_by_day, merged_in_window
from cleaner.scan.context import Progress
from cleaner.settings import ScanSettings

# Cost Explorer's answer when the account has no Cost Explorer data (not enabled, or just enabled).
CE_NO_DATA = "DataUnavailableException"


def read_price_list(
    aws: AwsContext, regions: list[str], settings: ScanSettings, notes: list[str], progress: Progress
) -> dict[str, PriceListRate]:
    """The Price List's cache rate of each region without a `cache_prices` setting: one GetProducts
    each. A denied or unreachable Price List is asked no more this run; those regions fall back."""
    wanted = [region for region in regions if region not in settings.cache_prices]
    if not wanted:
        return {}
    progress(f"reading the SnapStart cache rate of {', '.join(wanted)} from the AWS Price List")
    client = aws.client("pricing", pricing.PRICE_LIST_ENDPOINT_REGION)
    rates: dict[str, PriceListRate] = {}
    for index, region in enumerate(wanted):
        try:
            rate = pricing.read_cache_rate(client, region)
        except PriceListError as error:
            notes.append(f"{pricing.PERMISSION}: unreadable for {region} ({error}): {_fallback(region)}")
            continue
        except AWS_ERRORS as error:
            rest = wanted[index:]
            notes.append(
                f"{describe(error, pricing.PERMISSION)}: the Price List was not read; {', '.join(rest)}"
                " priced from snapstart-cleaner's table or the default"
            )
            break
        if rate is None:
            notes.append(f"{pricing.PERMISSION}: no SnapStart cache rate for {region}: {_fallback(region)}")
            continue
        rates[region] = rate
    return rates


def _fallback(region: str) -> str:
    return f"{region} priced from snapstart-cleaner's table or the default"


def read_storage(
    aws: AwsContext, regions: list[str], notes: list[str], progress: Progress
) -> dict[str, RegionStorage]:
    """Each region's code storage limit and use: one GetAccountSettings per region."""
    progress(f"reading the code storage of {', '.join(regions)} (GetAccountSettings)")
    storage: dict[str, RegionStorage] = {}
    for region in regions:
        try:
            limit, used = code_storage.read_code_storage(aws.client("lambda", region))
        except AWS_ERRORS as error:
            notes.append(
                f"{describe(error, code_storage.PERMISSION)} (region {region}): its use of the code"
                " storage limit is not shown"
            )
            continue
        storage[region] = RegionStorage(limit_bytes=limit, used_bytes=used)
    return storage


def read_bill(
    aws: AwsContext,
    settings: ScanSettings,
    now: datetime,
    account_id: str,
    plan_id: str,
    history: PlanHistory,
    notes: list[str],
    progress: Progress,
) -> Bill | None:
    """The last BILL_DAYS of the account's SnapStart cache cost, with the earlier merged plans in that
    window; None when Cost Explorer is off, denied or unreachable."""
    if not settings.cost_explorer:
        return None
    end = now.date()
    start = end - timedelta(days=BILL_DAYS)
    progress(f"reading the SnapStart cache bill of {start} to {end} from Cost Explorer")
    try:
        rows, complete = cost_explorer.read_cache_costs(
            aws.client("ce", cost_explorer.CE_ENDPOINT_REGION), start, end
        )
    except AWS_ERRORS as error:
        notes.append(_bill_note(error))
        return None
    merged = merged_in_window(history.of_account(account_id), start, end, plan_id)
    if not complete:
        notes.append(
            f"{cost_explorer.PERMISSION}: the bill has more pages than the {cost_explorer.MAX_REQUESTS}"
            " requests a scan sends: the figures below cover only the days read"
        )
    return Bill(start=start, end=end, daily=costs_by_day(rows), complete=complete, merged_plans=merged)


def _bill_note(error: BaseException) -> str:
    text = describe(error, cost_explorer.PERMISSION)
    if is_access_denied(error):
        return (
            f"{text}: the bill is not shown. Grant {cost_explorer.PERMISSION} to the scan role (iam-template"
            " does); in a member account the management account must also let members use Cost Explorer"
        )
    if error_code(error) == CE_NO_DATA:
        return (
            f"{text}: the bill is not shown. Cost Explorer has no data for this account: enable it (a member"
            " account needs the management account to); data arrives within a day"
        )
    return f"{text}: the bill is not shown"
