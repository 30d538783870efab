"""The Lambda inventory adapter against a moto account: what each method reads from real API answers."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import pytest

from cleaner.aws.lambda_inventory import RegionInventory, protected_function_arns
from cleaner.demo.account import SimulatedAccount
from cleaner.inventory import Alias

REGION = "us-east-1"
ARN = "arn:aws:lambda:us-east-1:123456789012:function"


@pytest.fixture
def inventory(aws_session: boto3.Session) -> RegionInventory:
    return RegionInventory(aws_session.client("lambda", region_name=REGION), REGION)


def test_list_functions_groups_every_published_version_under_its_function(
    account: SimulatedAccount, inventory: RegionInventory, now: datetime
) -> None:
    account.function("api", [100, 50, 20], runtime="python3.12", memory_mb=2048)
    account.function("worker", [30], runtime="dotnet8", memory_mb=512)
    account.lambda_.create_function(
        FunctionName="never-published",
        Runtime="python3.12",
        Role=account.role_arn,
        Handler="handler.main",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )

    functions = {f.name: f for f in inventory.list_functions()}

    assert sorted(functions) == ["api", "never-published", "worker"]
    api = functions["api"]
    assert api.arn == f"{ARN}:api"
    assert [v.version for v in api.versions] == [1, 2, 3]  # $LATEST is not a published version
    first = api.versions[0]
    assert first.function_arn == f"{ARN}:api:1"
    assert (first.region, first.function_name, first.runtime, first.memory_mb) == (
        REGION,
        "api",
        "python3.12",
        2048,
    )
    assert first.last_modified == now - timedelta(days=100)
    assert first.code_sha256 and first.code_sha256 != api.versions[1].code_sha256
    assert [(v.runtime, v.memory_mb) for v in functions["worker"].versions] == [("dotnet8", 512)]
    assert functions["never-published"].versions == ()


def test_snapstart_is_read_per_version_so_old_snapstart_versions_of_a_function_now_without_it_are_found(
    account: SimulatedAccount, inventory: RegionInventory
) -> None:
    account.function("reports", [90, 80, 70, 60], snapstart=[True, True, False, False])
    latest = account.lambda_.get_function_configuration(FunctionName="reports")
    assert latest["SnapStart"]["ApplyOn"] == "None"  # $LATEST has SnapStart off now

    (reports,) = inventory.list_functions()

    assert [(v.version, v.snapstart) for v in reports.versions] == [
        (1, True),
        (2, True),
        (3, False),
        (4, False),
    ]


def test_aliases_are_read_with_their_weighted_routing(
    account: SimulatedAccount, inventory: RegionInventory
) -> None:
    account.function("api", [40, 30, 20, 10])
    account.alias("api", "live", "4", weights={"3": 0.25})
    account.alias("api", "rollback", "1")

    aliases = sorted(inventory.list_aliases("api"), key=lambda a: a.name)

    assert aliases == [
        Alias(name="live", function_version="4", additional_weights=(("3", 0.25),)),
        Alias(name="rollback", function_version="1"),
    ]
    assert aliases[0].describe_target("3") == "alias live (weighted 0.25)"
    assert aliases[0].describe_target("4") == "alias live (primary)"
    assert aliases[0].describe_target("2") is None


def test_event_source_mappings_are_matched_on_the_qualified_arn_however_they_were_created(
    account: SimulatedAccount, inventory: RegionInventory, aws_session: boto3.Session
) -> None:
    account.function("consumer", [40, 30, 20])
    account.function("consumer-two", [40])
    by_short_name = account.event_source_mapping("consumer", "2", "orders")
    sqs = aws_session.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="refunds")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    by_full_arn = account.lambda_.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=f"{ARN}:consumer:3"
    )["UUID"]
    # Mappings on the unqualified function ($LATEST) protect no published version.
    account.lambda_.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="consumer")
    account.lambda_.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=f"{ARN}:consumer-two")

    mappings = inventory.event_source_mappings_by_version()

    assert mappings == {("consumer", "2"): [by_short_name], ("consumer", "3"): [by_full_arn]}


def test_the_protect_tag_is_found_through_the_tagging_api_whatever_its_value(
    account: SimulatedAccount, aws_session: boto3.Session
) -> None:
    account.function("payments", [40], tags={"snapstart-cleaner:keep": ""})
    account.function("ledger", [40], tags={"snapstart-cleaner:keep": "false", "team": "core"})
    account.function("api", [40], tags={"team": "core"})
    account.function("untagged", [40])

    tagging = aws_session.client("resourcegroupstaggingapi", region_name=REGION)

    assert protected_function_arns(tagging, "snapstart-cleaner:keep") == {
        f"{ARN}:payments",
        f"{ARN}:ledger",
    }
    assert protected_function_arns(tagging, "team") == {f"{ARN}:ledger", f"{ARN}:api"}


def test_own_policy_statements_pick_only_the_statements_granted_on_that_version(
    account: SimulatedAccount, inventory: RegionInventory
) -> None:
    account.function("hook", [50, 40, 30, 20])
    account.function("plain", [50])
    account.permission("hook", "2")
    account.permission("hook", "3", principal="s3.amazonaws.com")
    account.lambda_.add_permission(
        FunctionName="hook",
        StatementId="unqualified",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
    )

    def own(name: str, version: str) -> list[str]:
        return inventory.own_policy_statements(f"{ARN}:{name}:{version}", name, version)

    # moto answers GetPolicy for any qualifier with the function's one shared policy: only the
    # Resource of each statement tells which version it was granted on.
    assert own("hook", "2") == ["invoke-hook-2"]
    assert own("hook", "3") == ["invoke-hook-3"]
    assert own("hook", "1") == []
    assert own("hook", "4") == []
    assert own("plain", "1") == []  # no policy at all: ResourceNotFoundException


def test_version_state_comes_from_get_function(account: SimulatedAccount, inventory: RegionInventory) -> None:
    from moto.awslambda.models import lambda_backends

    account.function("api", [50, 40])
    lambda_backends[account.account_id][REGION].get_function("api", "1").state = "Inactive"

    assert inventory.version_state("api", "1") == "Inactive"
    assert inventory.version_state("api", "2") == "Active"
