"""The SnapStart cache bill from Cost Explorer (issue 20), through moto's server, which answers
GetCostAndUsage from results queued at /moto-api/static/ce/cost-and-usage-results: the last 30 days'
cost, the plan's estimate as a share of it (and said when it exceeds it), the measured change after an
earlier merged plan; denied, disabled, empty, paged, and switched off. Never a failed scan."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from cleaner.aws.ratelimit import CallRecorder
from cleaner.aws.session import AwsContext
from cleaner.demo.account import DEMO_ACCOUNT_ID, SimulatedAccount
from cleaner.demo.savings_seed import cost_and_usage_result, earlier_plan, stepped_history
from cleaner.plan import Plan
from cleaner.render import render_plan_markdown
from cleaner.sandbox.price_list import PriceListEndpoint
from cleaner.savings import PlanHistory, last_days_usd, measured_change
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, ScanSettings

from .support import Faults

REGION = "us-east-1"


class Server:
    def __init__(self, url: str, now: datetime) -> None:
        self.url = url
        self.now = now
        self.session = boto3.Session(region_name=REGION)
        self.recorder = CallRecorder()

    def queue(self, *results: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.url}/moto-api/static/ce/cost-and-usage-results",
            data=json.dumps({"results": list(results)}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201

    def scan(self, history: PlanHistory | None = None, **settings: Any) -> Plan:
        self.recorder = CallRecorder()
        aws = AwsContext(self.session, recorder=self.recorder)
        return scan(
            aws,
            ScanSettings(regions=[REGION], **settings),
            self.now,
            "p2",
            lambda _: None,
            limits=ApplyLimits(),
            history=history,
        )


@pytest.fixture
def server(moto_server: str, monkeypatch: pytest.MonkeyPatch, now: datetime) -> Iterator[Server]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    with PriceListEndpoint() as prices:  # moto has no Price List: the sandbox's small endpoint
        monkeypatch.setenv("AWS_ENDPOINT_URL_PRICING", prices.url)
        served = Server(moto_server, now)
        account = SimulatedAccount(served.session, REGION, now)
        account.function("api", [100, 90, 80, 70, 60, 50], memory_mb=2048)  # three deletions, $7.80 each
        yield served


MERGED_DAYS_AGO = 21


def earlier(now: datetime, estimate: float = 46.0) -> PlanHistory:
    merged_on = now.date() - timedelta(days=MERGED_DAYS_AGO)
    return earlier_plan(DEMO_ACCOUNT_ID, "20261005T060000Z", merged_on, [REGION], estimate)


def test_the_bill_shows_the_last_30_days_the_share_and_the_measured_change_of_an_earlier_plan(
    server: Server, now: datetime
) -> None:
    server.queue(cost_and_usage_result(stepped_history(now, REGION, MERGED_DAYS_AGO, 3.0, 1.5)))
    plan = server.scan(history=earlier(now))
    assert server.recorder.calls["ce:GetCostAndUsage"] == 1
    assert plan.savings is not None and plan.savings.notes == []
    bill = plan.savings.bill
    assert bill is not None and bill.complete
    assert (bill.start, bill.end) == (now.date() - timedelta(days=60), now.date())
    # 9 days at $3.00, the merge day at $2.25, 20 days at $1.50
    assert last_days_usd(bill) == 59.25
    [merged] = bill.merged_plans
    measured = measured_change(bill, merged)
    assert measured is not None and measured.monthly_change_usd == -45.0
    page = render_plan_markdown(plan).replace("\\$", "$")  # dollars are escaped (GitHub's math)
    assert "**$59.25** in the last 30 days" in page
    estimate = plan.summary.estimated_monthly_savings_usd
    assert estimate == 23.4
    assert f"This plan's estimate, $23.40 / month, is {estimate / 59.25 * 100:.1f}% of it." in page
    merged_on = (now.date() - timedelta(days=MERGED_DAYS_AGO)).isoformat()
    assert (
        f"- plan `20261005T060000Z` merged {merged_on}: estimated \u2212$46.00/month, measured"
        " \u2212$45.00/month (daily mean $3.00 the 7 days before, $1.50 the 7 days after, in us-east-1)"
    ) in page
    assert "| week | cache cost | merged |" in page


def test_an_estimate_larger_than_the_bill_is_said(server: Server, now: datetime) -> None:
    server.queue(cost_and_usage_result(stepped_history(now, REGION, 40, 0.1, 0.1)))
    plan = server.scan()
    page = render_plan_markdown(plan).replace("\\$", "$")
    assert "**$3.00** in the last 30 days" in page
    assert "This plan's estimate, $23.40 / month, **exceeds the bill**" in page


def test_an_empty_answer_is_a_bill_of_nothing(server: Server) -> None:
    plan = server.scan()  # nothing queued: moto answers no results
    assert plan.savings is not None and plan.savings.bill is not None
    assert last_days_usd(plan.savings.bill) == 0.0
    assert "**exceeds the bill**" in render_plan_markdown(plan)


def test_a_merge_too_recent_to_measure_says_how_many_days_it_has(server: Server, now: datetime) -> None:
    server.queue(cost_and_usage_result(stepped_history(now, REGION, 3, 3.0, 1.5)))
    merged_on = now.date() - timedelta(days=3)
    plan = server.scan(history=earlier_plan(DEMO_ACCOUNT_ID, "recent", merged_on, [REGION], 10.0))
    assert "estimated \u2212\\$10.00/month; measured once 7 days of data follow the merge (2 so far)" in (
        render_plan_markdown(plan)
    )


def test_plans_of_other_accounts_and_outside_the_window_are_left_out(server: Server, now: datetime) -> None:
    server.queue(cost_and_usage_result(stepped_history(now, REGION, 21, 3.0, 1.5)))
    other = earlier_plan("210987654321", "theirs", now.date() - timedelta(days=21), [REGION], 5.0)
    old = earlier_plan(DEMO_ACCOUNT_ID, "old", now.date() - timedelta(days=61), [REGION], 5.0)
    plan = server.scan(history=PlanHistory(merged=other.merged + old.merged))
    assert plan.savings is not None and plan.savings.bill is not None
    assert plan.savings.bill.merged_plans == []


def test_a_paged_bill_stops_after_two_requests_and_says_so(server: Server, now: datetime) -> None:
    daily = stepped_history(now, REGION, 21, 3.0, 1.5)
    first = {**cost_and_usage_result(dict(list(daily.items())[:30])), "NextPageToken": "page-2"}
    second = {**cost_and_usage_result(dict(list(daily.items())[30:45])), "NextPageToken": "page-3"}
    server.queue(first, second)
    plan = server.scan()
    assert server.recorder.calls["ce:GetCostAndUsage"] == 2
    assert plan.savings is not None and plan.savings.bill is not None
    assert not plan.savings.bill.complete
    assert len([d for d in plan.savings.bill.daily if d.usd_by_region]) == 45
    assert any("more pages than the 2 requests" in note for note in plan.savings.notes)


def test_cost_explorer_off_sends_no_request(server: Server) -> None:
    plan = server.scan(cost_explorer=False)
    assert server.recorder.calls["ce:GetCostAndUsage"] == 0
    assert plan.savings is not None and plan.savings.bill is None and not plan.savings.cost_explorer
    assert "not asked (`cost_explorer = false` in `[tool.cleaner]`)" in render_plan_markdown(plan)


def test_a_denied_cost_explorer_is_a_note_naming_the_permission(server: Server) -> None:
    Faults(server.session).deny("ce", "GetCostAndUsage")
    plan = server.scan()
    assert plan.savings is not None and plan.savings.bill is None
    [note] = plan.savings.notes
    assert note.startswith("ce:GetCostAndUsage: AccessDeniedException")
    assert "Grant ce:GetCostAndUsage to the scan role" in note
    assert plan.delete  # never a failed scan
    assert "Grant ce:GetCostAndUsage to the scan role" in render_plan_markdown(plan)


def test_cost_explorer_not_enabled_is_a_note(server: Server) -> None:
    def unavailable(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {
            "Error": {"Code": "DataUnavailableException", "Message": "Data is not available."},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse("https://fault.invalid", 400, {}, None), parsed  # type: ignore[arg-type]

    server.session.events.register("before-call.cost-explorer.GetCostAndUsage", unavailable)
    plan = server.scan()
    assert plan.savings is not None and plan.savings.bill is None
    [note] = plan.savings.notes
    assert "Cost Explorer has no data for this account: enable it" in note


def test_old_days_outside_the_window_do_not_count(server: Server, now: datetime) -> None:
    server.queue(
        cost_and_usage_result({now.date() - timedelta(days=90): {REGION: 100.0}, date(2000, 1, 1): {}})
    )
    plan = server.scan()
    assert plan.savings is not None and plan.savings.bill is not None
    assert last_days_usd(plan.savings.bill) == 0.0
