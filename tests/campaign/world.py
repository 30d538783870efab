"""The campaign's account: moto, driven through the AWS APIs, and a model of it kept in step.

The model (functions by region and name, versions with an identity that survives nothing, aliases,
mappings, policies, tags, and every datapoint ever put) is what the oracle reads; moto is what the
product reads. Only
`LastModified` is set on moto's backend objects, as cleaner/demo/account.py does, since no API can.

Faults are botocore `before-send` hooks on the shared session: a throttled or failed request never
reaches moto, and botocore's retry logic sees it exactly like an answer from the wire. Each region has
its own faults: a request is answered by those of the region its client was made for.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from cleaner.demo.account import DEMO_ACCOUNT_ID, _zip, aws_timestamp
from tests.campaign.model import REGION_A, REGIONS, Drift, Faults, FunctionSpec, Traffic, VersionSpec
from tests.integration.support import http_error

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

    @property
    def key(self) -> tuple[str, str, str]:
        """(region, function, version) as a plan entry names it."""
        where, _generation = self.uid.split("#", 1)
        region, name = where.split("/", 1)
        return region, name, str(self.number)


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
    region: str = REGION_A

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
    region: str = REGION_A


@dataclass(frozen=True)
class RegionClients:
    lambda_: Any
    cloudwatch: Any
    sqs: Any


@dataclass(frozen=True)
class Clients:
    """The clients the world is built with: made once per campaign (creating a client costs more than
    most calls), valid across resets of moto."""

    regions: dict[str, RegionClients]
    iam: Any

    @classmethod
    def of(cls, session: boto3.Session) -> Clients:
        regions = {
            region: RegionClients(
                *(session.client(name, region_name=region) for name in ("lambda", "cloudwatch", "sqs"))
            )
            for region in REGIONS
        }
        return cls(regions, session.client("iam", region_name=REGION_A))


Key = tuple[str, str]  # (region, function name)


class World:
    def __init__(self, clients: Clients, now: datetime) -> None:
        self.now = now
        self.clients = clients.regions
        role = clients.iam.create_role(RoleName="campaign", AssumeRolePolicyDocument=_ROLE_POLICY)
        self.role_arn = role["Role"]["Arn"]
        self.functions: dict[Key, LiveFunction] = {}
        self.metrics: list[Datapoint] = []
        self._generations = 0
        self._created_with: dict[Key, bool] = {}  # SnapStart of the function as last created
        self._queues = 0

    def lambda_(self, region: str) -> Any:
        return self.clients[region].lambda_

    # --- building ------------------------------------------------------------------------------------

    def create(self, spec: FunctionSpec) -> None:
        key = (spec.region, spec.name)
        self._create_function(key, spec.versions, self.now, spec.tags, spec.runtime, spec.memory_mb)
        function = self.functions[key]
        exists = {v.number for v in function.versions}
        # A minimised scenario may have lost the version something pointed at: then it points nowhere.
        for alias in spec.aliases:
            if alias.version in exists:
                weights = {v: w for v, w in alias.weights if v in exists}
                self.set_alias(key, alias.name, alias.version, weights)
        for number in spec.mappings:
            if number in exists:
                self.add_mapping(key, number)
        for number in spec.policies:
            if number in exists:
                self.add_policy(key, number)
        if spec.unqualified_policy:
            self.lambda_(spec.region).add_permission(
                FunctionName=spec.name,
                StatementId="function-wide",
                Action="lambda:InvokeFunction",
                Principal="sns.amazonaws.com",
            )

    def _create_function(
        self,
        key: Key,
        versions: tuple[VersionSpec, ...],
        base: datetime,
        tags: tuple[str, ...] = (),
        runtime: str = "python3.12",
        memory_mb: int = 1024,
    ) -> None:
        region, name = key
        self._generations += 1
        first = versions[0].snapstart if versions else True
        self.lambda_(region).create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=self.role_arn,
            Handler="handler.main",
            Code={"ZipFile": _zip(f"# {name} v0\n")},
            MemorySize=memory_mb,
            SnapStart={"ApplyOn": "PublishedVersions" if first else "None"},
            Tags={tag: "yes" for tag in tags},
        )
        self.functions[key] = LiveFunction(
            name, self._generations, tags=set(tags), runtime=runtime, memory_mb=memory_mb, region=region
        )
        self._created_with[key] = first
        for spec in versions:
            self.publish(key, spec.snapstart, base - timedelta(days=spec.age_days))

    def publish(self, key: Key, snapstart: bool, last_modified: datetime, code: str | None = None) -> None:
        """Publish a new version. Code is the same for the same function name and position, across
        re-creations (and regions): only LastModified tells a re-created function's version from the
        planned one."""
        region, name = key
        client = self.lambda_(region)
        function = self.functions[key]
        client.update_function_code(
            FunctionName=name, ZipFile=_zip(code or f"# {name} v{len(function.versions) + 1}\n")
        )
        previous = function.versions[-1].snapstart if function.versions else self._created_with[key]
        if snapstart != previous:
            client.update_function_configuration(
                FunctionName=name, SnapStart={"ApplyOn": "PublishedVersions" if snapstart else "None"}
            )
        number = int(client.publish_version(FunctionName=name)["Version"])
        assert function.version(number) is None, f"moto reused version number {number} of {name}"
        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[DEMO_ACCOUNT_ID][region]
        backend.get_function(name, str(number)).last_modified = aws_timestamp(last_modified)
        function.versions.append(
            LiveVersion(number, snapstart, last_modified, f"{region}/{name}#{function.generation}:{number}")
        )

    def set_alias(self, key: Key, alias: str, version: int, weights: dict[int, float]) -> None:
        region, name = key
        function = self.functions[key]
        routing = {"AdditionalVersionWeights": {str(v): w for v, w in weights.items()}}
        if alias in function.aliases:
            self.lambda_(region).update_alias(
                FunctionName=name, Name=alias, FunctionVersion=str(version), RoutingConfig=routing
            )
        else:
            extra: dict[str, Any] = {"RoutingConfig": routing} if weights else {}
            self.lambda_(region).create_alias(
                FunctionName=name, Name=alias, FunctionVersion=str(version), **extra
            )
        function.aliases[alias] = LiveAlias(version, dict(weights))

    def add_mapping(self, key: Key, number: int) -> None:
        region, name = key
        sqs = self.clients[region].sqs
        self._queues += 1
        url = sqs.create_queue(QueueName=f"q{self._queues}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        mapping = self.lambda_(region).create_event_source_mapping(
            EventSourceArn=arn, FunctionName=f"{name}:{number}", BatchSize=10
        )
        self.functions[key].mappings.setdefault(number, []).append(mapping["UUID"])

    def add_policy(self, key: Key, number: int) -> None:
        region, name = key
        function = self.functions[key]
        if number in function.policies:
            return
        self.lambda_(region).add_permission(
            FunctionName=name,
            StatementId=f"invoke-{name}-{number}",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            Qualifier=str(number),
        )
        function.policies.add(number)

    def record(self, traffic: Traffic, base: datetime) -> None:
        """Put invocations as AWS publishes them: the qualified series and the function-level one."""
        function = self.functions.get((traffic.region, traffic.function))
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
        self.clients[traffic.region].cloudwatch.put_metric_data(
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
        self.metrics.append(
            Datapoint(name, traffic.kind, target, traffic.executed, when, traffic.count, traffic.region)
        )

    # --- drift ---------------------------------------------------------------------------------------

    def drift(self, change: Drift, apply_now: datetime) -> bool:
        """Make one change; False when it does not apply to the account as it is (then nothing changed)."""
        key = (change.region, change.function)
        function = self.functions.get(key)
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
            self.publish(key, change.snapstart, apply_now - timedelta(days=change.age_days))
            return True
        if change.kind == "republish":
            self.publish(
                key,
                change.snapstart,
                apply_now - timedelta(days=change.age_days),
                code=f"# {change.function} v1\n",
            )
            return True
        if change.kind == "tag":
            client = self.lambda_(change.region)
            client.tag_resource(
                Resource=client.get_function(FunctionName=change.function)["Configuration"]["FunctionArn"],
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
            self.set_alias(key, change.alias, change.version, current.weights if current else {})
            return True
        if change.kind == "add_weight":
            current = function.aliases.get(change.alias)
            if current is None or current.primary == change.version:
                return False
            self.set_alias(key, change.alias, current.primary, {change.version: 0.2})
            return True
        if change.kind == "delete_alias":
            if change.alias not in function.aliases:
                return False
            self.lambda_(change.region).delete_alias(FunctionName=change.function, Name=change.alias)
            del function.aliases[change.alias]
            return True
        if change.kind == "mapping":
            self.add_mapping(key, change.version)
            return True
        if change.kind == "policy":
            if change.version in function.policies:
                return False
            self.add_policy(key, change.version)
            return True
        if change.kind == "delete_version":
            return self._delete_out_of_band(function, change.version)
        raise ValueError(f"unknown drift {change.kind}")

    def _delete_function(self, function: LiveFunction) -> None:
        client = self.lambda_(function.region)
        # Mappings first: what AWS does to a deleted function's mappings is not what this models.
        for uuids in function.mappings.values():
            for uuid in uuids:
                client.delete_event_source_mapping(UUID=uuid)
        client.delete_function(FunctionName=function.name)
        del self.functions[(function.region, function.name)]

    def _recreate(self, function: LiveFunction, change: Drift, apply_now: datetime) -> bool:
        self._delete_function(function)
        self._create_function(
            (function.region, function.name),
            change.versions,
            apply_now,
            runtime=function.runtime,
            memory_mb=function.memory_mb,
        )
        return True

    def _delete_out_of_band(self, function: LiveFunction, number: int) -> bool:
        # AWS refuses to delete an aliased version (moto does not): someone else can only delete others.
        routed = {a.primary for a in function.aliases.values()} | {
            v for a in function.aliases.values() for v in a.weights
        }
        if number in routed or number in function.mappings:
            return False
        self.lambda_(function.region).delete_function(FunctionName=function.name, Qualifier=str(number))
        function.versions = [v for v in function.versions if v.number != number]
        return True

    # --- reading back --------------------------------------------------------------------------------

    def live_numbers(self, function: LiveFunction) -> set[int]:
        found = self.lambda_(function.region).list_versions_by_function(FunctionName=function.name)
        return {int(v["Version"]) for v in found["Versions"] if v["Version"] != "$LATEST"}

    def forget_deleted(self) -> list[LiveVersion]:
        """Drop from the model the versions that are gone from AWS; returns them."""
        gone: list[LiveVersion] = []
        for function in self.functions.values():
            live = self.live_numbers(function)
            gone += [v for v in function.versions if v.number not in live]
            function.versions = [v for v in function.versions if v.number in live]
            unknown = live - {v.number for v in function.versions}
            assert not unknown, f"{function.region}/{function.name}: versions {unknown} appeared from nowhere"
        return gone

    def function(self, key: tuple[str, str, str]) -> LiveFunction:
        """The function of a (region, function, version) key."""
        return self.functions[(key[0], key[1])]

    def uid(self, region: str, name: str, number: str) -> str | None:
        function = self.functions.get((region, name))
        version = function.version(int(number)) if function and number.isdigit() else None
        return version.uid if version else None


# --- faults --------------------------------------------------------------------------------------------

_CLIENT_NAMES = {
    "lambda": "lambda",
    "cloudwatch": "cloudwatch",
    "resource-groups-tagging-api": "resourcegroupstaggingapi",
}
_THROTTLING = {"lambda": (429, "TooManyRequestsException")}


# The region of a request, from its endpoint (lambda.eu-west-1.amazonaws.com, sts.us-east-1...).
_HOST_REGION = re.compile(r"^https?://[^/]*?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com")


class FaultInjector:
    """One `before-send` hook on the shared session, answering per the active `Faults` of the request's
    region (none active: no fault).

    Whether a request fails is a function of the scenario seed, the request and how often that very
    request was sent: the same scenario fails the same calls whatever order the thread pool (and the
    regions scanned at once) run them. `injected` counts by (region, kind)."""

    def __init__(self, session: boto3.Session) -> None:
        self.active: dict[str, Faults] = {}
        self.seed = 0
        self.injected: dict[tuple[str, str], int] = {}
        self._sent: dict[str, int] = {}
        self._lock = threading.Lock()
        self._protocols = {
            service_id: str(
                getattr(
                    model := session.client(name, region_name=REGION_A).meta.service_model,  # type: ignore[call-overload]
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

    def activate(self, faults: tuple[Faults, ...], seed: int) -> None:
        with self._lock:
            self.active, self.seed = {f.region: f for f in faults}, seed
            self._sent.clear()

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def regions(self) -> set[str]:
        """The regions faults were injected in since `injected` was last cleared."""
        return {region for region, _what in self.injected}

    def _count(self, region: str, what: str) -> None:
        self.injected[region, what] = self.injected.get((region, what), 0) + 1

    def _deny(
        self, event_name: str = "", request_signer: Any = None, **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        """Access denied, before anything is sent (botocore never retries it), on any service."""
        region = getattr(request_signer, "region_name", None) or ""
        faults = self.active.get(region)
        _event, service_id, operation = event_name.split(".", 2)
        if faults is None or faults.deny != (service_id, operation):
            return None
        with self._lock:
            self._count(region, f"denied {service_id}:{operation}")
        message = f"User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: {operation}"
        parsed = {
            "Error": {"Code": "AccessDeniedException", "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://denied.invalid", 403, {}, None), parsed  # type: ignore[arg-type]

    def _answer(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        host = _HOST_REGION.match(str(request.url))
        region = host.group(1) if host else ""
        faults = self.active.get(region)
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
                self._count(region, "lost answer")
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
            self._count(region, code)
        return http_error(protocol, status, code, "injected by the campaign")
