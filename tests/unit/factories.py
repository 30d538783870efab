"""Small builders of inventory, evidence, settings and plans for the pure-core tests.

Everything is plain data at a fixed instant (`NOW`), so tests read as "a version N days old, with this
evidence" and plans are reproducible byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cleaner.inventory import Evidence, Function, FunctionVersion, Usage, VersionKey
from cleaner.plan import Plan, PlanEntry
from cleaner.planner import build_plan
from cleaner.reasons import Reason
from cleaner.settings import ScanSettings

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


def arn(name: str, version: int | str | None = None, region: str = REGION) -> str:
    base = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{name}"
    return base if version is None else f"{base}:{version}"


def sha(name: str, version: int) -> str:
    """A CodeSha256 as Lambda reports it: base64 of the SHA-256 digest of the code."""
    return base64.b64encode(hashlib.sha256(f"{name}:{version}".encode()).digest()).decode("ascii")


def version(
    name: str = "api",
    number: int = 1,
    *,
    age: timedelta | float = 30,
    region: str = REGION,
    runtime: str | None = "python3.12",
    memory_mb: int = 1024,
    snapstart: bool = True,
    now: datetime = NOW,
) -> FunctionVersion:
    """One published version, `age` days (or an exact timedelta) old at `now`."""
    delta = age if isinstance(age, timedelta) else timedelta(days=age)
    return FunctionVersion(
        region=region,
        function_name=name,
        version=number,
        function_arn=arn(name, number, region),
        runtime=runtime,
        memory_mb=memory_mb,
        last_modified=now - delta,
        code_sha256=sha(name, number),
        snapstart=snapstart,
    )


def function(
    name: str = "api",
    ages: Sequence[float] = (90, 80, 70, 60, 50),
    *,
    numbers: Sequence[int] | None = None,
    snapstart: bool | Sequence[bool] = True,
    region: str = REGION,
    runtime: str | None = "python3.12",
    memory_mb: int = 1024,
) -> Function:
    """A function whose published versions are numbered 1..n (or `numbers`), oldest first."""
    numbers = list(numbers) if numbers is not None else list(range(1, len(ages) + 1))
    flags = [snapstart] * len(ages) if isinstance(snapstart, bool) else list(snapstart)
    assert len(numbers) == len(ages) == len(flags)
    versions = tuple(
        version(name, n, age=a, region=region, runtime=runtime, memory_mb=memory_mb, snapstart=s)
        for n, a, s in zip(numbers, ages, flags, strict=True)
    )
    return Function(region=region, name=name, arn=arn(name, region=region), versions=versions)


def only(fn: Function, number: int) -> FunctionVersion:
    return next(v for v in fn.versions if v.version == number)


def clear_evidence(**changes: Any) -> Evidence:
    """Every costly check done and nothing found: on an old version outside keep_last_n, a candidate."""
    base = Evidence(
        tag_protected=False,
        aliases=(),
        event_source_mappings=(),
        cloudfront_distributions=(),
        usage=Usage(),
        unattributed_function_invocations=0.0,
        state="Active",
        own_policy_statements=(),
    )
    return base.with_(**changes)


def settings(**values: Any) -> ScanSettings:
    return ScanSettings.model_validate({"regions": [REGION], **values})


# --- plans -------------------------------------------------------------------------------------------


def sample_inventory() -> tuple[list[Function], dict[VersionKey, Evidence]]:
    """Two regions, four functions: deletions in three of them, and versions kept for most reasons.

    `worker` also owns a newer version without SnapStart (counted by keep_last_n, absent from the plan);
    `edge*` has a per-function override (keep_last_n 1) in `sample_plan`.
    """
    api = function("api", (150, 140, 130, 120, 100, 90, 80, 70, 3), memory_mb=2048)
    worker = function(
        "worker",
        (200, 150, 140, 40, 30, 20),
        snapstart=(True, True, True, True, True, False),
        runtime="dotnet8",
        memory_mb=512,
    )
    java = function("java-svc", (300, 200, 100, 90, 80), runtime="java21")
    edge = function("edge", (60, 50, 40, 30), region="eu-west-1", memory_mb=128)
    evidence: dict[VersionKey, Evidence] = {}
    for fn in (api, worker, java, edge):
        for v in fn.versions:
            evidence[v.key] = clear_evidence()

    def put(fn: Function, number: int, **changes: Any) -> None:
        key = only(fn, number).key
        evidence[key] = evidence[key].with_(**changes)

    put(api, 4, aliases=("alias live (weighted 0.1)",))
    put(api, 5, usage=Usage(direct=4, via_aliases=2, last_invoked=NOW - timedelta(days=2)))
    put(worker, 1, own_policy_statements=("allow-s3 | legacy",))
    put(worker, 2, event_source_mappings=("2f1c7a8e-0000-4000-8000-000000000001",))
    put(java, 1, tag_protected=True)
    put(edge, 1, state="Pending", incomplete=("lambda:GetPolicy: AccessDenied",))
    return [api, worker, java, edge], evidence


def sample_plan(**setting_values: Any) -> Plan:
    functions, evidence = sample_inventory()
    return build_plan(
        plan_id="20261101T120000Z",
        account_id=ACCOUNT_ID,
        regions=[REGION, "eu-west-1"],
        functions=functions,
        evidence=evidence,
        settings=settings(
            regions=[REGION, "eu-west-1"],
            overrides=[{"functions": "edge*", "keep_last_n": 1}],
            **setting_values,
        ),
        now=NOW,
        warnings=["cloudfront:ListDistributions: AccessDenied (Lambda@Edge not checked)"],
    )


def entry(
    name: str = "api",
    number: int = 1,
    *,
    region: str = REGION,
    reasons: Sequence[Reason] = (Reason.NO_ACTIVITY_AND_STALE,),
    **changes: Any,
) -> PlanEntry:
    """A valid plan entry, built through validation like one read from plan.json."""
    data: dict[str, Any] = {
        "region": region,
        "function_name": name,
        "version": str(number),
        "function_arn": arn(name, number, region),
        "runtime": "python3.12",
        "memory_mb": 1024,
        "last_modified": (NOW - timedelta(days=60)).isoformat(),
        "age_days": 60,
        "state": "Active",
        "code_sha256": sha(name, number),
        "last_invoked": None,
        "invocations_in_window": 0.0,
        "estimated_monthly_cost_usd": 3.8999,
        "reasons": [r.value for r in reasons],
        "details": [],
        **changes,
    }
    return PlanEntry.model_validate(data)
