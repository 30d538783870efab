"""The demo account: one small story per reason flag."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.awsrequest import AWSResponse

from cleaner.demo.account import DEMO_ACCOUNT_ID, SimulatedAccount

OLD = [120, 90, 60, 45, 30]  # ages in days of five old deploys


def build_demo_account(session: Any, region: str, now: datetime) -> None:
    account = SimulatedAccount(session, region, now)
    # orders-api: eight deploys. Old ones stale and unused -> deleted; newest three kept; an alias on an
    # old version, a weighted canary, one version still called directly, one reached through an alias.
    account.function("orders-api", [*OLD, 20, 10, 2], memory_mb=2048)
    account.alias("orders-api", "live", "8", weights={"7": 0.1})
    account.alias("orders-api", "rollback", "2")
    account.alias("orders-api", "beta", "8")
    account.invocations("orders-api", 40, days_ago=3, version="3")
    account.invocations("orders-api", 7, days_ago=5, alias="beta", executed_version="4")
    account.invocations("orders-api", 900, days_ago=1, alias="live", executed_version="8")
    # checkout-worker: frequent deploys, all recent: too_recent.
    account.function("checkout-worker", [9, 7, 5, 3, 1], runtime="dotnet8", memory_mb=512)
    # legacy-report: invoked without a qualifier: traffic no version or alias series explains.
    account.function("legacy-report", [*OLD], memory_mb=1536)
    account.invocations("legacy-report", 12, days_ago=2, unqualified=True)
    # queue-consumer: an SQS mapping pinned to version 2.
    account.function("queue-consumer", [*OLD])
    account.event_source_mapping("queue-consumer", "2", "demo-orders-queue")
    # webhook-handler: EventBridge granted to invoke exactly version 1.
    account.function("webhook-handler", [*OLD], memory_mb=512)
    account.permission("webhook-handler", "1")
    # payments-core: carries the protect tag, so nothing of it is ever proposed.
    account.function("payments-core", [*OLD], tags={"snapstart-cleaner:keep": "compliance"})
    # sandbox-experiments: excluded by the demo's exclude glob.
    account.function("sandbox-experiments", [*OLD], memory_mb=256)
    # edge-auth: version 1 is associated with a CloudFront distribution (Lambda@Edge).
    account.function("edge-auth", [*OLD], memory_mb=128)
    # audit-trail: the demo denies lambda:GetPolicy on it: those versions are kept (fail closed).
    account.function("audit-trail", [*OLD], memory_mb=512)
    # reports-api: SnapStart turned off later; its old SnapStart versions still bill.
    account.function("reports-api", [*OLD, 25, 20], snapstart=[True] * 5 + [False] * 2)
    # billing-java: Java SnapStart has no cache charge (cost 0), but stale versions are still proposed.
    account.function("billing-java", [*OLD], runtime="java21")
    # thumbnail-node: no SnapStart at all: never considered.
    account.function("thumbnail-node", [*OLD], runtime="nodejs20.x", snapstart=False)


def _respond(status: int, body: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    body.setdefault("ResponseMetadata", {"HTTPStatusCode": status})
    return AWSResponse("https://demo.invalid", status, {}, None), body  # type: ignore[arg-type]


def install_demo_hooks(session: Any) -> None:
    """Answer the two calls moto cannot simulate for the demo (see module docstring)."""
    edge_arn = f"arn:aws:lambda:us-east-1:{DEMO_ACCOUNT_ID}:function:edge-auth:1"

    def list_distributions(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        association = {"LambdaFunctionARN": edge_arn, "EventType": "viewer-request", "IncludeBody": False}
        distribution = {
            "Id": "EDEMO1234567",
            "DefaultCacheBehavior": {"LambdaFunctionAssociations": {"Quantity": 1, "Items": [association]}},
            "CacheBehaviors": {"Quantity": 0},
        }
        return _respond(
            200, {"DistributionList": {"IsTruncated": False, "Quantity": 1, "Items": [distribution]}}
        )

    def get_policy(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        # `params` is the serialized request here; Lambda carries the function name in the URL path.
        if "/functions/audit-trail/" not in params.get("url_path", ""):
            return None
        message = (
            "User: arn:aws:sts::123456789012:assumed-role/scan is not authorized to perform: lambda:GetPolicy"
        )
        return _respond(403, {"Error": {"Code": "AccessDeniedException", "Message": message}})

    session.events.register("before-call.cloudfront.ListDistributions", list_distributions)
    session.events.register("before-call.lambda.GetPolicy", get_policy)
