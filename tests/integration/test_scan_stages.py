"""Each stage of the scan on its own (cleaner/scan): a ledger of the inventory, one stage, and what it
wrote there and spent doing it, on a moto account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import pytest

from cleaner.aws.ratelimit import CallRecorder
from cleaner.aws.session import AwsContext
from cleaner.demo.account import SimulatedAccount
from cleaner.inventory import Evidence
from cleaner.scan import Ledger
from cleaner.scan.aliases import check_aliases
from cleaner.scan.context import RegionContext
from cleaner.scan.policies import check_state_then_policy
from cleaner.scan.protections import check_lambda_edge, check_region_listings, check_tags
from cleaner.scan.usage import UsageRead, check_usage
from cleaner.settings import ScanSettings

OLD = [100, 90, 80, 70, 60, 50]  # 1-3 would-be candidates, 4-6 the newest three


class Stage:
    """A region's context and ledger, built from the account's inventory; counts the stage's calls."""

    def __init__(self, session: boto3.Session, now: datetime, region: str = "us-east-1", **settings: Any):
        self.recorder = CallRecorder()
        aws = AwsContext(session, recorder=self.recorder)
        scan_settings = ScanSettings(regions=[region], **settings)
        self.context = RegionContext(aws, region, scan_settings, now, lambda _: None)
        self.ledger = Ledger(scan_settings, now)
        self.ledger.consider(self.context.inventory.list_functions())
        self.recorder.calls.clear()

    def evidence(self, label: str) -> Evidence:
        name, version = label.split(":")
        return next(
            e for k, e in self.ledger.evidence.items() if (k.function_name, k.version) == (name, version)
        )

    def survivors(self) -> list[str]:
        return [f"{f.name}:{v.version}" for f, v in self.ledger.survivors()]


StageFactory = Callable[..., Stage]


@pytest.fixture
def stage(aws_session: boto3.Session, now: datetime) -> StageFactory:
    return lambda **settings: Stage(aws_session, now, **settings)


def test_the_inventory_alone_leaves_every_old_version_a_survivor(
    account: SimulatedAccount, stage: StageFactory
) -> None:
    account.function("api", OLD)
    scan = stage()
    assert scan.survivors() == ["api:1", "api:2", "api:3"]


def test_cheap_protections_make_one_listing_each_and_record_on_every_version(
    account: SimulatedAccount, stage: StageFactory
) -> None:
    account.function("api", OLD)
    account.function("kept", OLD, tags={"snapstart-cleaner:keep": "x"})
    account.function("consumer", OLD)
    account.event_source_mapping("consumer", "2", "jobs")
    scan = stage()

    check_tags(scan.context, scan.ledger, scan.ledger.survivors())
    check_region_listings(scan.context, scan.ledger, scan.ledger.survivors())

    assert scan.evidence("kept:1").tag_protected and not scan.evidence("api:1").tag_protected
    assert len(scan.evidence("consumer:2").event_source_mappings) == 1
    assert scan.evidence("api:6").cloudfront_distributions == ()  # every version, not only survivors
    assert scan.survivors() == ["api:1", "api:2", "api:3", "consumer:1", "consumer:3"]
    assert scan.recorder.calls == {
        "resourcegroupstaggingapi:GetResources": 1,
        "lambda:ListEventSourceMappings": 1,
        "cloudfront:ListDistributions": 1,
    }


def test_lambda_edge_outside_us_east_1_asks_nothing(aws_session: boto3.Session, now: datetime) -> None:
    SimulatedAccount(aws_session, "eu-west-1", now).function("api", OLD)
    scan = Stage(aws_session, now, region="eu-west-1")

    check_lambda_edge(scan.context, scan.ledger, scan.ledger.survivors())

    assert scan.evidence("api:1").cloudfront_distributions == ()
    assert scan.recorder.calls == {}


def test_usage_reads_the_functions_still_holding_a_candidate_and_says_which_had_traffic(
    account: SimulatedAccount, stage: StageFactory
) -> None:
    account.function("busy", OLD)
    account.alias("busy", "live", "6")
    account.invocations("busy", 4, days_ago=1, alias="live", executed_version="2")
    account.function("idle", OLD)
    scan = stage()
    survivors = scan.ledger.survivors()

    read = check_usage(scan.context, scan.ledger, survivors)

    assert read.busy == {"busy"}
    assert read.alias_names == {"busy": frozenset({"live"}), "idle": frozenset()}
    assert read.pending == {}  # ListMetrics named the alias: nothing left to read again
    usage = scan.evidence("busy:2").usage
    assert usage is not None and (usage.direct, usage.via_aliases) == (0, 4)
    assert scan.survivors() == ["busy:1", "busy:3", "idle:1", "idle:2", "idle:3"]


def test_alias_discovery_lists_only_the_functions_it_is_given_and_reads_usage_again_where_it_must(
    account: SimulatedAccount, stage: StageFactory
) -> None:
    account.function("api", OLD)
    account.alias("api", "rollback", "1")
    account.function("other", OLD)
    scan = stage()
    read = UsageRead(alias_names={"api": frozenset(), "other": frozenset()})
    only_api = [(f, v) for f, v in scan.ledger.survivors() if f.name == "api"]

    check_aliases(scan.context, scan.ledger, only_api, read)

    assert scan.evidence("api:1").aliases == ("alias rollback (primary)",)
    assert set(read.aliases) == {"api"}
    # api had no traffic (not busy): its usage needs no second read for the alias it did not know.
    assert scan.recorder.calls == {"lambda:ListAliases": 1}


def test_the_last_stage_reads_state_then_policy_only_for_versions_that_still_qualify(
    account: SimulatedAccount, stage: StageFactory
) -> None:
    from moto.awslambda.models import lambda_backends

    account.function("api", OLD)
    account.permission("api", "2")
    lambda_backends[account.account_id]["us-east-1"].get_function("api", "3").state = "Pending"
    scan = stage()

    check_state_then_policy(scan.context, scan.ledger, scan.ledger.survivors())

    assert [scan.evidence(f"api:{v}").state for v in (1, 2, 3)] == ["Active", "Active", "Pending"]
    assert scan.evidence("api:1").own_policy_statements == ()
    assert scan.evidence("api:2").own_policy_statements
    assert scan.evidence("api:3").own_policy_statements is None  # its state kept it: not asked
    assert scan.recorder.calls == {"lambda:GetFunction": 3, "lambda:GetPolicy": 2}
