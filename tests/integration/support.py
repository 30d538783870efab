"""Helpers of the integration tests: scanning a simulated moto account and injecting the AWS failures
moto cannot produce (access denied, throttling, partial CloudWatch data) into one boto3 session."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from cleaner.aws.ratelimit import CallRecorder
from cleaner.aws.session import AwsContext
from cleaner.cli import Environment, program
from cleaner.exit_codes import ExitCode
from cleaner.plan import PLAN_JSON, Plan, PlanEntry, load_plan
from cleaner.reasons import Reason
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, Performance, ScanSettings

ApiParams = dict[str, Any]
Predicate = Callable[[ApiParams], bool]

# botocore's short names of the services, and the hyphenated service ids its event names use.
SERVICES = {
    "lambda": ("lambda", "lambda"),
    "cloudwatch": ("cloudwatch", "cloudwatch"),
    "tag": ("resourcegroupstaggingapi", "resource-groups-tagging-api"),
    "sts": ("sts", "sts"),
    "cloudfront": ("cloudfront", "cloudfront"),
    "pricing": ("pricing", "pricing"),
    "ce": ("ce", "cost-explorer"),
}
# Lambda throttles with 429 TooManyRequestsException, the others with 400 ThrottlingException.
THROTTLING = {"lambda": ("TooManyRequestsException", 429)}


def _cbor_text(value: str) -> bytes:
    data = value.encode()
    if len(data) < 24:
        return bytes([0x60 + len(data)]) + data
    if len(data) < 256:
        return bytes([0x78, len(data)]) + data
    return bytes([0x79]) + len(data).to_bytes(2, "big") + data


def cbor_text_map(fields: dict[str, str]) -> bytes:
    """The few bytes of CBOR an RPC v2 error body needs: a map of text to text (< 24 entries)."""
    return bytes([0xA0 + len(fields)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in fields.items())


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def http_error(protocol: str, status: int, code: str, message: str) -> AWSResponse:
    """An HTTP error response as a service speaking `protocol` sends it, for botocore to parse."""
    headers: Any  # AWSResponse takes any mapping (its stubs say HTTPHeaders)
    if protocol == "smithy-rpc-v2-cbor":
        headers = {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}
        body = cbor_text_map({"__type": code, "message": message})
    elif protocol == "json":
        headers = {"content-type": "application/x-amz-json-1.1"}
        body = json.dumps({"__type": code, "message": message}).encode()
    elif protocol == "rest-json":
        headers = {"x-amzn-errortype": code, "content-type": "application/json"}
        body = json.dumps({"message": message}).encode()
    else:
        raise NotImplementedError(f"no error fixture for the {protocol} protocol")
    return AWSResponse("https://fault.invalid", status, headers, _Raw(body))


def denied_message(permission: str) -> str:
    return f"User: arn:aws:sts::123456789012:assumed-role/scan is not authorized to perform: {permission}"


class Faults:
    """Injects failures into the clients a boto3 session creates after the injection.

    `only` selects calls by their API parameters (e.g. `FunctionName`), so one function's check can fail
    while the rest of the scan goes on. `calls` counts the calls each fault answered."""

    def __init__(self, session: boto3.Session) -> None:
        # Typed loosely: botocore's stubs type event handlers as returning None, but a handler's
        # answer is exactly how a before-call / before-send hook replaces a response.
        self.session: Any = session
        self.calls: dict[str, int] = {}
        self._local = threading.local()
        self._lock = threading.Lock()
        self._capturing: set[str] = set()

    def _capture(self, service_id: str, operation: str) -> None:
        event = f"{service_id}.{operation}"
        if event in self._capturing:
            return
        self._capturing.add(event)

        def remember(params: ApiParams, **_: Any) -> None:
            self._local.params = params

        self.session.events.register(f"before-parameter-build.{event}", remember)

    def _matches(self, only: Predicate | None) -> bool:
        return only is None or only(getattr(self._local, "params", {}))

    def _count(self, name: str) -> None:
        with self._lock:
            self.calls[name] = self.calls.get(name, 0) + 1

    def deny(self, service: str, operation: str, only: Predicate | None = None) -> None:
        """Answer with AccessDeniedException (before the request is sent: no retry applies)."""
        _, service_id = SERVICES[service]
        self._capture(service_id, operation)
        permission = f"{service}:{operation}"

        def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            if not self._matches(only):
                return None
            self._count(permission)
            parsed = {
                "Error": {"Code": "AccessDeniedException", "Message": denied_message(permission)},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            }
            return AWSResponse("https://fault.invalid", 403, {}, _Raw(b"")), parsed  # type: ignore[arg-type]

        self.session.events.register(f"before-call.{service_id}.{operation}", answer)

    def throttle(
        self, service: str, operation: str, times: int | None = None, only: Predicate | None = None
    ) -> None:
        """Answer `times` requests (None: every one) with the service's throttling error, on the wire:
        botocore's retry mode sees it like a real 429/400 and retries."""
        service_name, service_id = SERVICES[service]
        self._capture(service_id, operation)
        name = f"{service}:{operation}"
        code, status = THROTTLING.get(service, ("ThrottlingException", 400))
        # The wire protocol botocore chose for this service (CloudWatch: JSON or CBOR, by version).
        model = self.session.client(service_name, region_name="us-east-1").meta.service_model
        protocol = str(getattr(model, "resolved_protocol", model.protocol))
        remaining = [times]

        def answer(**_: Any) -> AWSResponse | None:
            if not self._matches(only):
                return None
            with self._lock:
                if remaining[0] is not None:
                    if remaining[0] <= 0:
                        return None
                    remaining[0] -= 1
            self._count(name)
            return http_error(protocol, status, code, "Rate exceeded")

        self.session.events.register_first(f"before-send.{service_id}.{operation}", answer)

    def series_status(self, function_name: str, status: str) -> None:
        """Make GetMetricData report `status` (e.g. PartialData) for every series of one function."""
        self._capture("cloudwatch", "GetMetricData")

        def rewrite(parsed: dict[str, Any], **_: Any) -> None:
            queries = getattr(self._local, "params", {}).get("MetricDataQueries", [])
            ids = {
                q["Id"]
                for q in queries
                if {"Name": "FunctionName", "Value": function_name} in q["MetricStat"]["Metric"]["Dimensions"]
            }
            for result in parsed.get("MetricDataResults", []):
                if result["Id"] in ids:
                    result["StatusCode"] = status
                    self._count(f"cloudwatch:GetMetricData {status}")

        self.session.events.register("after-call.cloudwatch.GetMetricData", rewrite)


def function_is(name: str, qualifier: str | None = None) -> Predicate:
    def predicate(params: ApiParams) -> bool:
        if params.get("FunctionName") != name:
            return False
        return qualifier is None or params.get("Qualifier") == qualifier

    return predicate


class Scanner:
    """Runs the real scan on the moto account of the test and answers questions about the plan."""

    def __init__(self, session: boto3.Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.recorder = CallRecorder()

    def __call__(
        self, performance: Performance | None = None, limits: ApplyLimits | None = None, **settings: Any
    ) -> Plan:
        settings.setdefault("regions", ["us-east-1"])
        self.recorder = CallRecorder()
        aws = AwsContext(self.session, performance=performance, recorder=self.recorder)
        return scan(
            aws, ScanSettings(**settings), self.now, "test", lambda _: None, limits=limits or ApplyLimits()
        )


def entries(plan: Plan) -> dict[str, PlanEntry]:
    """Every entry of a plan by `function:version`."""
    return {f"{e.function_name}:{e.version}": e for e in [*plan.delete, *plan.keep]}


def reasons(plan: Plan) -> dict[str, list[Reason]]:
    return {label: entry.reasons for label, entry in entries(plan).items()}


def deleted(plan: Plan) -> list[str]:
    return sorted(f"{e.function_name}:{e.version}" for e in plan.delete)


def associate_lambda_edge(session: boto3.Session, qualified_arn: str) -> str:
    """Create a CloudFront distribution in moto and make ListDistributions show `qualified_arn` as its
    Lambda@Edge association: moto drops LambdaFunctionAssociations, so they are added to its answers."""
    cloudfront = session.client("cloudfront", region_name="us-east-1")
    config: dict[str, Any] = {
        "CallerReference": qualified_arn,
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "origin",
                    "DomainName": "origin.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "origin",
            "ViewerProtocolPolicy": "allow-all",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }
    created = cloudfront.create_distribution(DistributionConfig=config)  # type: ignore[arg-type]
    distribution_id = str(created["Distribution"]["Id"])

    def add_association(parsed: dict[str, Any], **_: Any) -> None:
        for distribution in (parsed.get("DistributionList") or {}).get("Items", []):
            if distribution["Id"] == distribution_id:
                association = {"LambdaFunctionARN": qualified_arn, "EventType": "viewer-request"}
                distribution["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {
                    "Quantity": 1,
                    "Items": [association],
                }

    session.events.register("after-call.cloudfront.ListDistributions", add_association)
    return distribution_id


@dataclass
class CliRun:
    code: ExitCode
    stdout: str
    stderr: str
    plans_dir: Path

    def plan(self, plan_id: str = "test") -> Plan:
        return load_plan(self.plans_dir / plan_id / PLAN_JSON)


def run_cli_scan(session: boto3.Session | None, cwd: Path, now: datetime, *extra: str) -> CliRun:
    """`scan` through the real command line, in-process, with the test's boto3 session."""
    stdout, stderr = io.StringIO(), io.StringIO()
    env = Environment(
        stdout=stdout,
        stderr=stderr,
        cwd=cwd,
        environ={},
        clock=lambda: now,
        aws_session=(lambda: session) if session is not None else None,
    )
    argv = ["scan", "--region", "us-east-1", "--now", now.isoformat(), "--plans-dir", "plans"]
    code = program([*argv, "--plan-id", "test", *extra], env)
    return CliRun(code, stdout.getvalue(), stderr.getvalue(), cwd / "plans")
