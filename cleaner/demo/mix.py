"""The benchmark's account mix: a repeating cycle of function profiles (weekly deploys, live and weighted
aliases, rollback aliases, alias and direct traffic, unqualified calls, SnapStart turned off later,
non-SnapStart, tagged, mapped and policy-protected functions), seeded on moto fast.

`tests/benchmarks/bench_scan.py` measures scans of it; `snapstart-cleaner sandbox --functions N
--versions V` serves it. Each function is created through the API once; its published versions are then
seeded directly on moto's backend, exactly as moto's own `publish_version` does it (`copy.copy` of
`$LATEST`, `set_version(n)`, appended to the function's version list and ARN index), with a backdated
`last_modified` and the version's own SnapStart setting. Aliases, tags, permissions, event source
mappings and metrics go through the real APIs (`SimulatedAccount`). Metrics are sparse (one datapoint per
published series). Seeding the backend works in-process: under `mock_aws` or a `ThreadedMotoServer`.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cleaner.demo.account import DEMO_ACCOUNT_ID, SimulatedAccount, aws_timestamp

DEMO_REGION = "us-east-1"
DEPLOY_EVERY_DAYS = 7
PROTECT_TAG = "snapstart-cleaner:keep"


@dataclass(frozen=True)
class Invocation:
    """Invocations as AWS publishes them (SimulatedAccount.invocations puts every series)."""

    count: int
    days_ago: float
    version: int | None = None
    alias: str | None = None
    executed_version: int | None = None
    unqualified: bool = False


@dataclass
class FunctionSpec:
    name: str
    profile: str
    runtime: str
    memory_mb: int
    ages_days: list[float]  # one per published version, oldest first
    snapstart: list[bool]  # one per published version
    latest_snapstart: bool
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, tuple[int, dict[int, float]]] = field(default_factory=dict)  # name -> (v, weights)
    invocations: list[Invocation] = field(default_factory=list)
    mapped_version: int | None = None  # an event source mapping targets it
    permitted_version: int | None = None  # a resource policy statement grants exactly it

    @property
    def versions(self) -> int:
        return len(self.ages_days)

    def traffic_in_window(self, lookback_days: int) -> list[Invocation]:
        return [i for i in self.invocations if i.days_ago < lookback_days]


# One entry per function, cycling: the first twelve cover every behaviour (the smoke test's size).
PROFILES = (
    "live",  # live alias -> newest, traffic through it
    "idle",  # no alias, no traffic: every old version is stale
    "snapstart_off_later",  # newest versions and $LATEST have SnapStart off; old ones still bill
    "unqualified",  # unqualified calls nobody can attribute: keep everything
    "non_snapstart",  # Node.js, no SnapStart: never considered
    "weighted_direct",  # weighted canary on live, plus a client pinned to an old version
    "tagged",  # carries the protect tag
    "event_source_mapping",  # an SQS mapping pinned to an old version, queue idle
    "resource_policy",  # a permission granted on exactly one old version
    "rollback",  # a rollback alias on an old version
    "moved_alias",  # live moved recently: it ran an older version within the lookback window
    "old_traffic_only",  # traffic older than the lookback window only
    "live",
    "idle",
    "live",
    "weighted_direct",
    "live",
    "idle",
    "live",
    "rollback",
)


def build_specs(functions: int, versions: int) -> list[FunctionSpec]:
    specs = []
    for index in range(functions):
        profile = PROFILES[index % len(PROFILES)]
        newest = versions
        pinned = max(1, versions // 3)  # an old version a client or mapping still points at
        ages = [float(1 + (versions - number) * DEPLOY_EVERY_DAYS) for number in range(1, versions + 1)]
        spec = FunctionSpec(
            name=f"fn-{index:05d}-{profile.replace('_', '-')}",
            profile=profile,
            runtime="java21" if index % 10 == 8 else ("dotnet8" if index % 10 == 9 else "python3.12"),
            memory_mb=(512, 1024, 2048)[index % 3],
            ages_days=ages,
            snapstart=[True] * versions,
            latest_snapstart=True,
        )
        if profile == "live":
            spec.aliases["live"] = (newest, {})
            spec.invocations.append(Invocation(900, 1, alias="live", executed_version=newest))
        elif profile == "snapstart_off_later":
            turned_off = min(5, max(1, versions // 3))
            spec.snapstart = [True] * (versions - turned_off) + [False] * turned_off
            spec.latest_snapstart = False
            spec.aliases["live"] = (newest, {})
            spec.invocations.append(Invocation(300, 2, alias="live", executed_version=newest))
        elif profile == "unqualified":
            spec.aliases["live"] = (newest, {})
            spec.invocations.append(Invocation(12, 2, unqualified=True))
        elif profile == "non_snapstart":
            spec.runtime = "nodejs20.x"
            spec.snapstart = [False] * versions
            spec.latest_snapstart = False
            spec.invocations.append(Invocation(50, 1, unqualified=True))
        elif profile == "weighted_direct":
            if versions >= 2:
                spec.aliases["live"] = (newest, {newest - 1: 0.1})
                spec.invocations.append(Invocation(90, 1, alias="live", executed_version=newest - 1))
            else:
                spec.aliases["live"] = (newest, {})
            spec.invocations.append(Invocation(810, 1, alias="live", executed_version=newest))
            spec.invocations.append(Invocation(40, 3, version=pinned))
        elif profile == "tagged":
            spec.tags = {PROTECT_TAG: "compliance"}
        elif profile == "event_source_mapping":
            spec.mapped_version = pinned
        elif profile == "resource_policy":
            spec.permitted_version = pinned
        elif profile == "rollback":
            spec.aliases["live"] = (newest, {})
            spec.aliases["rollback"] = (max(1, versions // 2), {})
            spec.invocations.append(Invocation(500, 1, alias="live", executed_version=newest))
        elif profile == "moved_alias":
            spec.aliases["live"] = (newest, {})
            spec.invocations.append(Invocation(400, 1, alias="live", executed_version=newest))
            spec.invocations.append(Invocation(70, 5, alias="live", executed_version=max(1, newest - 4)))
        elif profile == "old_traffic_only":
            spec.invocations.append(Invocation(25, 40, version=pinned))
        specs.append(spec)
    return specs


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


def seed_account(
    session: Any,
    specs: list[FunctionSpec],
    now: datetime,
    progress: Callable[[str], None],
    region: str = DEMO_REGION,
) -> None:
    """Create every function through the API, seed its versions on moto's backend (as publish_version
    does), then aliases, tags, mappings, permissions and metrics through the APIs."""
    from moto.awslambda.models import lambda_backends

    account = SimulatedAccount(session, region, now)
    storage = lambda_backends[DEMO_ACCOUNT_ID][region]._lambdas
    code = _zip("def main(event, context):\n    return None\n")
    started = time.perf_counter()
    for number, spec in enumerate(specs, start=1):
        account.lambda_.create_function(
            FunctionName=spec.name,
            Runtime=spec.runtime,
            Role=account.role_arn,
            Handler="handler.main",
            Code={"ZipFile": code},
            MemorySize=spec.memory_mb,
            SnapStart={"ApplyOn": "PublishedVersions" if spec.snapstart[0] else "None"},
            Tags=spec.tags,
        )
        group = storage._functions[spec.name]
        latest = group["latest"]
        for version, (age, snapstart) in enumerate(zip(spec.ages_days, spec.snapstart, strict=True), 1):
            latest.snapstart_apply_on = "PublishedVersions" if snapstart else "None"
            # Shaped like Lambda's (base64 of a SHA-256 digest): plan files are validated against it.
            digest = hashlib.sha256(f"{spec.name}-v{version}".encode()).digest()
            latest.code_sha_256 = base64.b64encode(digest).decode()
            published = copy.copy(latest)
            published.set_version(version)
            published.last_modified = aws_timestamp(now - timedelta(days=age))
            group["versions"].append(published)
            storage._arns[published.function_arn] = published
        latest.snapstart_apply_on = "PublishedVersions" if spec.latest_snapstart else "None"
        latest.last_modified = aws_timestamp(now - timedelta(days=min(spec.ages_days)))
        if number % 500 == 0:
            progress(f"seeded {number}/{len(specs)} functions ({time.perf_counter() - started:.1f}s)")

    for spec in specs:
        for alias, (version, weights) in spec.aliases.items():
            account.alias(spec.name, alias, str(version), {str(v): w for v, w in weights.items()} or None)
        if spec.mapped_version is not None:
            account.event_source_mapping(spec.name, str(spec.mapped_version), f"queue-{spec.name}")
        if spec.permitted_version is not None:
            account.permission(spec.name, str(spec.permitted_version))
        for call in spec.invocations:
            account.invocations(
                spec.name,
                call.count,
                call.days_ago,
                version=None if call.version is None else str(call.version),
                alias=call.alias,
                executed_version=None if call.executed_version is None else str(call.executed_version),
                unqualified=call.unqualified,
            )
    progress(f"seeded {sum(s.versions for s in specs)} versions in {time.perf_counter() - started:.1f}s")
