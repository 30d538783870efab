"""What a plan is worth, each source against a simulated account (issue 20): the Price List's rate per
region (recorded answers through botocore's Stubber: moto has no Price List), code sizes and the code
storage limit (moto, GetAccountSettings shimmed), and the failures that must stay notes on the page:
a region missing from the Price List, a denied Price List, a denied GetAccountSettings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cleaner.aws.pricing import PRICE_LIST_ENDPOINT_REGION, get_products_request
from cleaner.aws.ratelimit import CallRecorder
from cleaner.aws.session import AwsContext
from cleaner.demo.account import SimulatedAccount
from cleaner.demo.moto_shim import DEFAULT_CODE_STORAGE_LIMIT
from cleaner.demo.savings_seed import SEEDED_RATES, get_products_answer
from cleaner.plan import Plan
from cleaner.prices import PriceSource
from cleaner.render import render_plan_markdown
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, Performance, ScanSettings

from .support import Faults

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
OLD = [100, 90, 80, 70, 60, 50]


@pytest.fixture
def accounts(aws_session: boto3.Session, now: Any) -> dict[str, SimulatedAccount]:
    built = {region: SimulatedAccount(aws_session, region, now) for region in REGIONS}
    for region, account in built.items():
        account.function(f"api-{region}", OLD, memory_mb=1024)
        account.function(f"java-{region}", OLD, runtime="java21")
    return built


class Run:
    def __init__(self, session: boto3.Session, now: Any) -> None:
        self.recorder = CallRecorder()
        self.aws = AwsContext(session, recorder=self.recorder)
        self.now = now

    def pricing(self) -> Stubber:
        return Stubber(self.aws.client("pricing", PRICE_LIST_ENDPOINT_REGION))

    def __call__(self, **settings: Any) -> Plan:
        settings.setdefault("cost_explorer", False)
        return scan(self.aws, ScanSettings(**settings), self.now, "p1", lambda _: None, limits=ApplyLimits())


@pytest.fixture
def run(aws_session: boto3.Session, now: Any) -> Iterator[Run]:
    yield Run(aws_session, now)


def answer_for(stubber: Stubber, region: str, rates: Any = SEEDED_RATES) -> None:
    request = get_products_request(region)
    stubber.add_response("get_products", get_products_answer(request, rates), request)


# --- the Price List -----------------------------------------------------------------------------------


def test_each_region_is_priced_from_the_price_list_with_one_call_each(
    accounts: dict[str, SimulatedAccount], run: Run
) -> None:
    stubber = run.pricing()
    for region in REGIONS:
        answer_for(stubber, region)
    with stubber:
        plan = run(regions=REGIONS)
        stubber.assert_no_pending_responses()  # exactly one GetProducts per region, in order
    for region in REGIONS:
        price = plan.pricing.regions[region]
        seeded = SEEDED_RATES[region]
        assert (price.source, price.cache_price_per_gb_second, price.sku, price.usage_type) == (
            PriceSource.PRICE_LIST,
            seeded.price_per_gb_second,
            seeded.sku,
            seeded.usage_type,
        )
        assert price.effective_on == date(2025, 11, 1)
    cost = {e.region: e.estimated_monthly_cost_usd for e in plan.delete if e.function_name.startswith("api")}
    assert cost["ap-southeast-2"] > cost["eu-west-1"] > cost["us-east-1"] == 3.8999
    page = render_plan_markdown(plan)
    assert "AWS Price List at scan time (APS2-Lambda-SnapStart-Cached-GB-S, SKU SIMAPS2CACHE0001" in page
    assert plan.savings is not None and plan.savings.notes == []


def test_a_region_setting_is_not_asked_of_the_price_list(
    accounts: dict[str, SimulatedAccount], run: Run
) -> None:
    stubber = run.pricing()
    answer_for(stubber, "us-east-1")
    with stubber:
        plan = run(regions=["us-east-1", "eu-west-1"], cache_prices={"eu-west-1": 0.000002})
        stubber.assert_no_pending_responses()
    assert plan.pricing.regions["eu-west-1"].source is PriceSource.SETTING


def test_a_region_missing_from_the_price_list_falls_back_with_a_note(
    accounts: dict[str, SimulatedAccount], run: Run
) -> None:
    stubber = run.pricing()
    only_us = {"us-east-1": SEEDED_RATES["us-east-1"]}
    answer_for(stubber, "us-east-1", only_us)
    answer_for(stubber, "eu-west-1", only_us)
    with stubber:
        plan = run(regions=["us-east-1", "eu-west-1"])
    assert plan.pricing.regions["us-east-1"].source is PriceSource.PRICE_LIST
    assert plan.pricing.regions["eu-west-1"].source is PriceSource.DEFAULT
    assert plan.savings is not None
    assert any("no SnapStart cache rate for eu-west-1" in note for note in plan.savings.notes)
    assert "no SnapStart cache rate for eu-west-1" in render_plan_markdown(plan)


def test_a_denied_price_list_is_a_note_asked_once_and_every_region_falls_back(
    accounts: dict[str, SimulatedAccount], run: Run, faults: Faults
) -> None:
    faults.deny("pricing", "GetProducts")
    plan = run(regions=REGIONS)
    assert faults.calls == {"pricing:GetProducts": 1}
    assert plan.pricing.regions["us-east-1"].source is PriceSource.PUBLISHED
    assert plan.pricing.regions["eu-west-1"].source is PriceSource.DEFAULT
    assert plan.savings is not None
    [note] = [n for n in plan.savings.notes if n.startswith("pricing:GetProducts")]
    assert "AccessDeniedException" in note and "eu-west-1, ap-southeast-2" in note
    assert plan.delete  # the scan went on


# --- code storage -------------------------------------------------------------------------------------


def test_entries_carry_their_code_size_and_the_page_shows_what_each_region_frees(
    accounts: dict[str, SimulatedAccount], run: Run, aws_session: boto3.Session
) -> None:
    plan = run(regions=["us-east-1", "eu-west-1"])
    lambda_ = aws_session.client("lambda", region_name="us-east-1")
    listed = {
        (f["FunctionName"], f["Version"]): f["CodeSize"]
        for f in lambda_.list_functions(FunctionVersion="ALL")["Functions"]
    }
    us = [e for e in plan.delete if e.region == "us-east-1"]
    assert {e.function_name for e in us} == {"api-us-east-1", "java-us-east-1"}  # Java frees storage too
    for entry in us:
        assert entry.code_size_bytes == listed[(entry.function_name, entry.version)] > 0
    assert plan.savings is not None
    storage = plan.savings.storage["us-east-1"]
    assert storage.limit_bytes == DEFAULT_CODE_STORAGE_LIMIT
    assert storage.used_bytes == sum(listed.values())  # every version's code, $LATEST included
    freed = sum(e.code_size_bytes or 0 for e in us)
    page = render_plan_markdown(plan)
    assert (
        f"- us-east-1: frees {freed / 1024:,.1f} KB ({len(us)} versions) · at 0.0 of 75.0 GB → 0.0 GB" in page
    )
    assert run.recorder.calls["lambda:GetAccountSettings"] == 2  # one per region


def test_a_denied_get_account_settings_is_a_note_and_the_freed_size_still_shows(
    accounts: dict[str, SimulatedAccount], run: Run, faults: Faults
) -> None:
    faults.deny("lambda", "GetAccountSettings")
    plan = run(regions=["us-east-1"])
    assert plan.savings is not None and plan.savings.storage == {}
    assert any(n.startswith("lambda:GetAccountSettings: AccessDeniedException") for n in plan.savings.notes)
    page = render_plan_markdown(plan)
    assert "its use of the code storage limit was not read" in page


def test_an_unreachable_price_list_is_a_note_and_the_scan_goes_on(
    accounts: dict[str, SimulatedAccount],
    aws_session: boto3.Session,
    now: Any,
    monkeypatch: pytest.MonkeyPatch,
    no_retry_backoff: None,
) -> None:
    import socket

    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", f"http://127.0.0.1:{closed.getsockname()[1]}")
        run = Run(aws_session, now)
        run.aws = AwsContext(aws_session, performance=Performance(), recorder=run.recorder)
        plan = run(regions=["us-east-1", "eu-west-1"])
    # One call, two attempts (not the ten the default max_attempts gives AWS calls the plan rests on);
    # eu-west-1 not asked.
    assert Performance().max_attempts == 10
    assert run.recorder.calls["pricing:GetProducts"] == 2
    assert plan.pricing.regions["us-east-1"].source is PriceSource.PUBLISHED
    assert plan.savings is not None
    [note] = [n for n in plan.savings.notes if n.startswith("pricing:GetProducts")]
    assert "nothing answers there" in note and "us-east-1, eu-west-1" in note
    assert plan.delete
