"""The campaign's account: moto, driven through the AWS APIs, and a model of it kept in step.

The model (functions, versions with an identity that survives nothing, aliases, mappings, policies,
tags, and every datapoint ever put) is what the oracle reads; moto is what the product reads. Only
`LastModified` is set on moto's backend objects, as cleaner/demo/account.py does, since no API can.

Faults are botocore `before-send` hooks on the shared session: a throttled or failed request never
reaches moto, and botocore's retry logic sees it exactly like an answer from the wire.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from cleaner.demo.account import DEMO_ACCOUNT_ID, _zip, aws_timestamp
from tests.campaign.model import Drift, Faults, FunctionSpec, Traffic, VersionSpec
from tests.integration.support import http_error

REGION = "us-east-1"
_ROLE_POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


@dataclass
class LiveVersion:
    number: int
    snapstart: bool
    last_modified: datetime
    uid: str  # the version's identity: a re-created function's version 3 is another version


@dataclass
class LiveAlias:
    primary: int
    weights: dict[int, float] = field(default_factory=dict)


@dataclass
class LiveFunction:
    name: str
    generation: int
    versions: list[LiveVersion] = field(default_factory=list)
    aliases: dict[str, LiveAlias] = field(default_factory=dict)
    mappings: dict[int, list[str]] = field(default_factory=dict)  # version -> mapping UUIDs
    policies: set[int] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    runtime: str = "python3.12"
    memory_mb: int = 1024

    def version(self, number: int) -> LiveVersion | None:
        return next((v for v in self.versions if v.number == number), None)


@dataclass(frozen=True)
class Datapoint:
    function: str
    kind: str  # version, alias, latest, unqualified
    target: str
    executed: int | None
    time: datetime
    count: int


@dataclass(frozen=True)
class Clients:
    """The clients the world is built with: made once per campaign (creating a client costs more than
    most calls), valid across resets of moto."""

    lambda_: Any
    cloudwatch: Any
    sqs: Any
    iam: Any

    @classmethod
    def of(cls, session: boto3.Session) -> Clients:
        made: list[Any] = [
            session.client(name, region_name=REGION) for name in ("lambda", "cloudwatch", "sqs", "iam")
        ]
        return cls(*made)


class World:
    def __init__(self, clients: Clients, now: datetime) -> None:
        self.now = now
        self.lambda_ = clients.lambda_
        self.cloudwatch = clients.cloudwatch
        self.sqs = clients.sqs
        role = clients.iam.create_role(RoleName="campaign", AssumeRolePolicyDocument=_ROLE_POLICY)
        self.role_arn = role["Role"]["Arn"]
        self.functions: dict[str, LiveFunction] = {}
        self.metrics: list[Datapoint] = []
        self._generations = 0
        self._created_with = True  # SnapStart of the function as last created
        self._queues = 0

    # --- building ------------------------------------------------------------------------------------

    def create(self, spec: FunctionSpec) -> None:
        self._create_function(spec.name, spec.versions, self.now, spec.tags, spec.runtime, spec.memory_mb)
        function = self.functions[spec.name]
        exists = {v.number for v in function.versions}
        # A minimised scenario may have lost the version something pointed at: then it points nowhere.
        for alias in spec.aliases:
            if alias.version in exists:
                weights = {v: w for v, w in alias.weights if v in exists}
                self.set_alias(spec.name, alias.name, alias.version, weights)
        for number in spec.mappings:
            if number in exists:
                self.add_mapping(spec.name, number)
        for number in spec.policies:
            if number in exists:
                self.add_policy(spec.name, number)
        if spec.unqualified_policy:
            self.lambda_.add_permission(
                FunctionName=spec.name,
                StatementId="function-wide",
                Action="lambda:InvokeFunction",
                Principal="sns.amazonaws.com",
            )

    def _create_function(
        self,
        name: str,
        versions: tuple[VersionSpec, ...],
        base: datetime,
        tags: tuple[str, ...] = (),
        runtime: str = "python3.12",
        memory_mb: int = 1024,
    ) -> None:
        self._generations += 1
        first = versions[0].snapstart if versions else True
        self.lambda_.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=self.role_arn,
            Handler="handler.main",
            Code={"ZipFile": _zip(f"# {name} v0\n")},
            MemorySize=memory_mb,
            SnapStart={"ApplyOn": "PublishedVersions" if first else "None"},
            Tags={tag: "yes" for tag in tags},
        )
        self.functions[name] = LiveFunction(
            name, self._generations, tags=set(tags), runtime=runtime, memory_mb=memory_mb
        )
        self._created_with = first
        for spec in versions:
            self.publish(name, spec.snapstart, base - timedelta(days=spec.age_days))

    def publish(self, name: str, snapstart: bool, last_modified: datetime, code: str | None = None) -> None:
        """Publish a new version. Code is the same for the same function name and position, across
        re-creations: only LastModified tells a re-created function's version from the planned one."""
        function = self.functions[name]
        self.lambda_.update_function_code(
            FunctionName=name, ZipFile=_zip(code or f"# {name} v{len(function.versions) + 1}\n")
        )
        previous = function.versions[-1].snapstart if function.versions else self._created_with
        if snapstart != previous:
            self.lambda_.update_function_configuration(
                FunctionName=name, SnapStart={"ApplyOn": "PublishedVersions" if snapstart else "None"}
            )
        number = int(self.lambda_.publish_version(FunctionName=name)["Version"])
        assert function.version(number) is None, f"moto reused version number {number} of {name}"
        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[DEMO_ACCOUNT_ID][REGION]
        backend.get_function(name, str(number)).last_modified = aws_timestamp(last_modified)
        function.versions.append(
            LiveVersion(number, snapstart, last_modified, f"{name}#{function.generation}:{number}")
        )

    def set_alias(self, name: str, alias: str, version: int, weights: dict[int, float]) -> None:
        function = self.functions[name]
        routing = {"AdditionalVersionWeights": {str(v): w for v, w in weights.items()}}
        if alias in function.aliases:
            self.lambda_.update_alias(
                FunctionName=name, Name=alias, FunctionVersion=str(version), RoutingConfig=routing
            )
        else:
            extra: dict[str, Any] = {"RoutingConfig": routing} if weights else {}
            self.lambda_.create_alias(FunctionName=name, Name=alias, FunctionVersion=str(version), **extra)
        function.aliases[alias] = LiveAlias(version, dict(weights))

    def add_mapping(self, name: str, number: int) -> None:
        self._queues += 1
        url = self.sqs.create_queue(QueueName=f"q{self._queues}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        mapping = self.lambda_.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=f"{name}:{number}", BatchSize=10
        )
        self.functions[name].mappings.setdefault(number, []).append(mapping["UUID"])

    def add_policy(self, name: str, number: int) -> None:
        function = self.functions[name]
        if number in function.policies:
            return
        self.lambda_.add_permission(
            FunctionName=name,
            StatementId=f"invoke-{name}-{number}",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            Qualifier=str(number),
        )
        function.policies.add(number)

    def record(self, traffic: Traffic, base: datetime) -> None:
        """Put invocations as AWS publishes them: the qualified series and the function-level one."""
        function = self.functions.get(traffic.function)
        if function is None:
            return
        name = traffic.function
        if traffic.kind == "alias":
            alias = function.aliases.get(traffic.target)
            if alias is None or traffic.executed is None:
                return
        when = base - timedelta(days=traffic.days_ago)
        fn = [{"Name": "FunctionName", "Value": name}]
        dimension_sets = [fn]
        if traffic.kind == "version":
            dimension_sets.append([*fn, {"Name": "Resource", "Value": f"{name}:{traffic.target}"}])
        elif traffic.kind == "latest":
            dimension_sets.append([*fn, {"Name": "Resource", "Value": f"{name}:$LATEST"}])
        elif traffic.kind == "alias":
            resource = [*fn, {"Name": "Resource", "Value": f"{name}:{traffic.target}"}]
            executed = {"Name": "ExecutedVersion", "Value": str(traffic.executed)}
            dimension_sets += [resource, [*resource, executed]]
        self.cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Invocations",
                    "Dimensions": d,
                    "Timestamp": when,
                    "Value": float(traffic.count),
                }
                for d in dimension_sets
            ],
        )
        target = traffic.target if traffic.kind in ("version", "alias") else ""
        self.metrics.append(Datapoint(name, traffic.kind, target, traffic.executed, when, traffic.count))

    # --- drift ---------------------------------------------------------------------------------------

    def drift(self, change: Drift, apply_now: datetime) -> bool:
        """Make one change; False when it does not apply to the account as it is (then nothing changed)."""
        function = self.functions.get(change.function)
        if function is None:
            return False
        numbers = [v.number for v in function.versions]
        if change.kind == "traffic":
            if change.traffic is None:
                return False
            before = len(self.metrics)
            self.record(change.traffic, apply_now)
            return len(self.metrics) > before
        if change.kind == "publish":
            self.publish(change.function, change.snapstart, apply_now - timedelta(days=change.age_days))
            return True
        if change.kind == "republish":
            self.publish(
                change.function,
                change.snapstart,
                apply_now - timedelta(days=change.age_days),
                code=f"# {change.function} v1\n",
            )
            return True
        if change.kind == "tag":
            self.lambda_.tag_resource(
                Resource=self.lambda_.get_function(FunctionName=change.function)["Configuration"][
                    "FunctionArn"
                ],
                Tags={change.tag: "yes"},
            )
            function.tags.add(change.tag)
            return True
        if change.kind == "recreate":
            return self._recreate(function, change, apply_now)
        if change.kind == "delete_function":
            self._delete_function(function)
            return True
        if change.version not in numbers:
            return False
        if change.kind == "move_alias":
            current = function.aliases.get(change.alias)
            self.set_alias(change.function, change.alias, change.version, current.weights if current else {})
            return True
        if change.kind == "add_weight":
            current = function.aliases.get(change.alias)
            if current is None or current.primary == change.version:
                return False
            self.set_alias(change.function, change.alias, current.primary, {change.version: 0.2})
            return True
        if change.kind == "delete_alias":
            if change.alias not in function.aliases:
                return False
            self.lambda_.delete_alias(FunctionName=change.function, Name=change.alias)
            del function.aliases[change.alias]
            return True
        if change.kind == "mapping":
            self.add_mapping(change.function, change.version)
            return True
        if change.kind == "policy":
            if change.version in function.policies:
                return False
            self.add_policy(change.function, change.version)
            return True
        if change.kind == "delete_version":
            return self._delete_out_of_band(function, change.version)
        raise ValueError(f"unknown drift {change.kind}")

    def _delete_function(self, function: LiveFunction) -> None:
        # Mappings first: what AWS does to a deleted function's mappings is not what this models.
        for uuids in function.mappings.values():
            for uuid in uuids:
                self.lambda_.delete_event_source_mapping(UUID=uuid)
        self.lambda_.delete_function(FunctionName=function.name)
        del self.functions[function.name]

    def _recreate(self, function: LiveFunction, change: Drift, apply_now: datetime) -> bool:
        self._delete_function(function)
        self._create_function(
            function.name, change.versions, apply_now, runtime=function.runtime, memory_mb=function.memory_mb
        )
        return True

    def _delete_out_of_band(self, function: LiveFunction, number: int) -> bool:
        # AWS refuses to delete an aliased version (moto does not): someone else can only delete others.
        routed = {a.primary for a in function.aliases.values()} | {
            v for a in function.aliases.values() for v in a.weights
        }
        if number in routed or number in function.mappings:
            return False
        self.lambda_.delete_function(FunctionName=function.name, Qualifier=str(number))
        function.versions = [v for v in function.versions if v.number != number]
        return True

    # --- reading back --------------------------------------------------------------------------------

    def live_numbers(self, name: str) -> set[int]:
        found = self.lambda_.list_versions_by_function(FunctionName=name)["Versions"]
        return {int(v["Version"]) for v in found if v["Version"] != "$LATEST"}

    def forget_deleted(self) -> list[LiveVersion]:
        """Drop from the model the versions that are gone from AWS; returns them."""
        gone: list[LiveVersion] = []
        for function in self.functions.values():
            live = self.live_numbers(function.name)
            gone += [v for v in function.versions if v.number not in live]
            function.versions = [v for v in function.versions if v.number in live]
            unknown = live - {v.number for v in function.versions}
            assert not unknown, f"{function.name}: versions {unknown} appeared from nowhere"
        return gone

    def uid(self, name: str, number: str) -> str | None:
        function = self.functions.get(name)
        version = function.version(int(number)) if function and number.isdigit() else None
        return version.uid if version else None


# --- faults --------------------------------------------------------------------------------------------

_CLIENT_NAMES = {
    "lambda": "lambda",
    "cloudwatch": "cloudwatch",
    "resource-groups-tagging-api": "resourcegroupstaggingapi",
}
_THROTTLING = {"lambda": (429, "TooManyRequestsException")}


class FaultInjector:
    """One `before-send` hook on the shared session, answering per the active `Faults` (None: none).

    Whether a request fails is a function of the scenario seed, the request and how often that very
    request was sent: the same scenario fails the same calls whatever order the thread pool runs them."""

    def __init__(self, session: boto3.Session) -> None:
        self.active: Faults | None = None
        self.seed = 0
        self.injected: dict[str, int] = {}
        self._sent: dict[str, int] = {}
        self._lock = threading.Lock()
        self._protocols = {
            service_id: str(
                getattr(
                    model := session.client(name, region_name=REGION).meta.service_model,  # type: ignore[call-overload]
                    "resolved_protocol",
                    model.protocol,
                )
            )
            for service_id, name in _CLIENT_NAMES.items()
        }
        self.lost: set[str] = set()  # request URLs whose answer was lost after moto carried them out
        self._local = threading.local()
        events: Any = session.events
        events.register_first("before-send", self._answer)
        events.register_first("before-call", self._deny)
        # botocore hands `before-send` to every handler, moto's included, and takes the first answer:
        # without this, moto would carry out a request the fault says never arrived.
        from moto.core.botocore_stubber import BotocoreStubber

        self._stubber_call = BotocoreStubber.__call__
        original = self._stubber_call
        local = self._local

        def stubber(stub: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(local, "intercepted", False):
                local.intercepted = False
                return None
            return original(stub, *args, **kwargs)

        BotocoreStubber.__call__ = stubber  # type: ignore[method-assign,assignment]

    def close(self) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        BotocoreStubber.__call__ = self._stubber_call  # type: ignore[method-assign]

    def activate(self, faults: Faults | None, seed: int) -> None:
        with self._lock:
            self.active, self.seed = faults, seed
            self._sent.clear()

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def _count(self, what: str) -> None:
        self.injected[what] = self.injected.get(what, 0) + 1

    def _deny(self, event_name: str = "", **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        """Access denied, before anything is sent (botocore never retries it), on any service."""
        faults = self.active
        _event, service_id, operation = event_name.split(".", 2)
        if faults is None or faults.deny != (service_id, operation):
            return None
        with self._lock:
            self._count(f"denied {service_id}:{operation}")
        message = f"User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: {operation}"
        parsed = {
            "Error": {"Code": "AccessDeniedException", "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://denied.invalid", 403, {}, None), parsed  # type: ignore[arg-type]

    def _answer(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        faults = self.active
        if faults is None:
            return None
        _event, service_id, operation = event_name.split(".", 2)
        if service_id not in self._protocols:
            return None
        protocol = self._protocols[service_id]
        if service_id not in faults.services:
            return None
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        key = f"{event_name} {request.url} {hashlib.sha256(body).hexdigest()}"
        with self._lock:
            attempt = self._sent[key] = self._sent.get(key, 0) + 1
        draw = random.Random(f"{self.seed} {key} {attempt}")
        if draw.random() < faults.slow_rate:
            time.sleep(0.02)
        if operation == "DeleteFunction" and attempt == 1 and draw.random() < faults.lost_rate:
            # AWS carried the deletion out and the answer was lost (a 5xx on the way back): moto runs it.
            with self._lock:
                self._count("lost answer")
                self.lost.add(request.url)
            return http_error(protocol, 500, "ServiceException", "answer lost (injected by the campaign)")
        if draw.random() >= faults.rate:
            return None
        self._local.intercepted = True
        if draw.random() < 0.5:
            status, code = _THROTTLING.get(service_id, (400, "ThrottlingException"))
        else:
            status, code = draw.choice(((500, "ServiceException"), (503, "ServiceUnavailable")))
        with self._lock:
            self._count(code)
        return http_error(protocol, status, code, "injected by the campaign")
