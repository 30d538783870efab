"""The scenarios of the safety campaign: plain, printable data, and a seeded generator of them.

A scenario is everything one run of the loop meets: an account in two regions (most scenarios; some
keep to one), the settings of the scan (which list the regions, scanned at once) and of the repository
at apply time, the reviewer's edit, the drift between scan and apply, and the faults AWS answers with,
region by region. A function, its traffic and its drift name their region: a version is region +
function + number, and the same function name may live in both regions. It is a frozen dataclass tree
whose `repr` is valid Python, so a failing case, once minimised (see runner.minimise), can be pasted
into a regular test.

Instants sit on a grid that keeps every comparison away from its boundary: ages and traffic are whole
days plus a half (relative to the scan), apply happens whole days plus one hour later, and every window
and threshold is whole days. So the oracle and the product can never disagree by a rounding of time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial

SCAN_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# The campaign's regions: the first has AWS's published cache rate, the second falls back to the default
# (the same rate) unless a scenario prices it itself (SettingsSpec.price_factors).
REGIONS = ("us-east-1", "eu-west-1")
REGION_A, REGION_B = REGIONS
DEFAULT_TAG = "snapstart-cleaner:keep"
TEAM_TAG = "team:keep"


@dataclass(frozen=True)
class VersionSpec:
    age_days: float  # at the scan
    snapstart: bool = True


@dataclass(frozen=True)
class AliasSpec:
    name: str
    version: int
    weights: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True)
class Traffic:
    """Invocations recorded as AWS publishes them. `kind`: version (Resource=fn:target), alias
    (Resource=fn:target, ExecutedVersion=executed), latest (Resource=fn:$LATEST) or unqualified
    (the function-level series only). `days_ago` counts from the scan, or from the apply for drift."""

    function: str
    kind: str
    days_ago: float
    count: int = 1
    target: str = ""
    executed: int | None = None
    region: str = REGION_A


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    versions: tuple[VersionSpec, ...]
    aliases: tuple[AliasSpec, ...] = ()
    mappings: tuple[int, ...] = ()  # versions an SQS event source mapping targets
    policies: tuple[int, ...] = ()  # versions with a resource-policy statement of their own
    unqualified_policy: bool = False  # a statement on the function itself: protects no version
    tags: tuple[str, ...] = ()
    # What a version's cache costs (Python and .NET are billed by memory, Java not): the cap's ranking.
    runtime: str = "python3.12"
    memory_mb: int = 1024
    region: str = REGION_A


@dataclass(frozen=True)
class SettingsSpec:
    min_age_days: int = 14
    keep_last_n: int = 3
    lookback_days: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    protect_tag: str = DEFAULT_TAG
    overrides: tuple[tuple[str, int | None, int | None], ...] = ()  # (glob, keep_last_n, min_age_days)
    # The scan proposes at most this many (largest savings first); apply refuses a plan over it.
    max_deletions_per_apply: int | None = None
    regions: tuple[str, ...] = REGIONS  # the scan's, from the file: scanned at once
    max_concurrent_regions: int | None = None  # None: the default (4)
    # A region's cache price as a multiple of us-east-1's ([tool.cleaner.cache_prices]): the cap ranks
    # versions of both regions by savings, so a price of its own moves a region's versions up or down.
    price_factors: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class ScanFlags:
    """Command-line flags of the scan, over the repository's file; None: not given."""

    min_age_days: int | None = None
    keep_last_n: int | None = None
    lookback_days: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edit:
    """The reviewer: drops planned versions (`remove_share` of them, chosen by `seed`), after trying
    one change that validate must reject. `tamper`: add (a kept version moved to `delete`, disguised
    as a candidate), retarget (a planned entry pointed at another version of its function), settings
    (keep_last_n lowered), unkeep (an entry removed from `keep`); "" for none."""

    remove_share: float = 0.0
    tamper: str = ""
    seed: int = 0


@dataclass(frozen=True)
class Drift:
    """One change to the account between scan and apply. `kind` is one of: move_alias, add_weight,
    delete_alias, traffic, publish, mapping, tag, policy, recreate, delete_function, republish,
    delete_version."""

    kind: str
    function: str
    version: int = 0
    alias: str = ""
    traffic: Traffic | None = None
    snapstart: bool = True
    age_days: float = 0.5  # of a published or re-created version, at the apply
    versions: tuple[VersionSpec, ...] = ()  # of a re-created function (ages at the apply)
    tag: str = DEFAULT_TAG
    region: str = REGION_A


@dataclass(frozen=True)
class Faults:
    """What AWS answers with in one region: throttling and 5xx on a share `rate` of requests to
    `services`, access denied on every call of one operation (`deny`, e.g. ("lambda", "ListAliases")),
    and slow answers. A scenario holds one per faulted region (Scenario.scan_faults, apply_faults)."""

    rate: float = 0.0
    services: tuple[str, ...] = ("lambda", "cloudwatch", "resource-groups-tagging-api")
    deny: tuple[str, str] | None = None
    slow_rate: float = 0.0
    lost_rate: float = 0.0  # DeleteFunction carried out, its answer lost: the retry finds nothing
    region: str = REGION_A


@dataclass(frozen=True)
class Scenario:
    seed: int
    functions: tuple[FunctionSpec, ...]
    traffic: tuple[Traffic, ...] = ()
    scan_file: SettingsSpec = field(default_factory=SettingsSpec)
    scan_flags: ScanFlags = field(default_factory=ScanFlags)
    apply_file: SettingsSpec = field(default_factory=SettingsSpec)
    edit: Edit = field(default_factory=Edit)
    drift: tuple[Drift, ...] = ()
    apply_days_later: int = 1  # apply runs this many days and one hour after the scan
    dry_run_first: bool = False  # an `apply --dry-run` before the apply
    scan_faults: tuple[Faults, ...] = ()  # at most one per region
    apply_faults: tuple[Faults, ...] = ()

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions the account has functions in (the scan may list more)."""
        return tuple(region for region in REGIONS if any(f.region == region for f in self.functions))


# --- the generator ------------------------------------------------------------------------------------

_NAMES = ("api", "worker", "api-admin", "job-1", "edge", "batch-2")
_GLOBS = ("api*", "*-1", "job-*", "worker", "*admin*", "nomatch-*")
_THRESHOLDS = (0, 1, 3, 7, 14, 30)
_LOOKBACKS = (None, None, 1, 3, 7, 14, 30)
_OPERATIONS = (
    ("lambda", "ListFunctions"),
    ("lambda", "ListAliases"),
    ("lambda", "ListEventSourceMappings"),
    ("lambda", "ListVersionsByFunction"),
    ("lambda", "GetPolicy"),
    ("lambda", "GetFunction"),
    ("lambda", "DeleteFunction"),
    ("cloudwatch", "GetMetricData"),
    ("resource-groups-tagging-api", "GetResources"),
    ("sts", "GetCallerIdentity"),
)


def _half_day(rng: random.Random, low: int, high: int) -> float:
    """Whole days plus a fraction that keeps at least an hour from every whole-day boundary, at the
    scan (fraction .1 to .9) and at the apply (one hour later: .14 to .94)."""
    return rng.randint(low, high) + rng.choice((0.5, 0.5, 0.1, 0.9))


def _function(rng: random.Random, name: str, region: str) -> FunctionSpec:
    # Now and then past 9 versions: 10 < 9 as text, not as a version number.
    count = rng.randint(1, 7) if rng.random() < 0.9 else rng.randint(9, 12)
    ages = sorted((_half_day(rng, 0, 120) for _ in range(count)), reverse=True)
    snapstart_always = rng.random() < 0.7
    versions = tuple(VersionSpec(age, snapstart_always or rng.random() < 0.6) for age in ages)
    numbers = list(range(1, count + 1))
    aliases = []
    for index in range(rng.choice((0, 0, 1, 1, 2))):
        primary = rng.choice(numbers)
        weights: tuple[tuple[int, float], ...] = ()
        others = [n for n in numbers if n != primary]
        if others and rng.random() < 0.3:
            weights = ((rng.choice(others), rng.choice((0.1, 0.25, 0.5))),)
        aliases.append(AliasSpec(("live", "canary")[index], primary, weights))
    tags: list[str] = []
    if rng.random() < 0.15:
        tags.append(rng.choice((DEFAULT_TAG, TEAM_TAG)))
    if rng.random() < 0.1:
        tags.append("owner")
    return FunctionSpec(
        name=name,
        versions=versions,
        aliases=tuple(aliases),
        mappings=(rng.choice(numbers),) if rng.random() < 0.15 else (),
        policies=(rng.choice(numbers),) if rng.random() < 0.15 else (),
        unqualified_policy=rng.random() < 0.1,
        tags=tuple(tags),
        region=region,
    )


def _traffic(rng: random.Random, function: FunctionSpec, days: tuple[int, int]) -> Traffic | None:
    kinds = ["version", "version", "latest"]
    if function.aliases:
        kinds += ["alias", "alias"]
    if rng.random() < 0.15:
        kinds.append("unqualified")
    kind = rng.choice(kinds)
    days_ago = _half_day(rng, *days)
    count = rng.randint(1, 50)
    name, region = function.name, function.region
    if kind == "version":
        target = str(rng.randint(1, len(function.versions)))
        return Traffic(name, kind, days_ago, count, target, region=region)
    if kind == "alias":
        alias = rng.choice(function.aliases)
        executed = rng.choice([alias.version, *(v for v, _ in alias.weights)])
        return Traffic(name, kind, days_ago, count, alias.name, executed, region=region)
    return Traffic(name, kind, days_ago, count, region=region)


def _settings(rng: random.Random, names: list[str]) -> SettingsSpec:
    overrides: list[tuple[str, int | None, int | None]] = []
    if rng.random() < 0.25:
        overrides.append(
            (
                rng.choice([*_GLOBS, *names]),
                rng.choice((None, 0, 1, 2, 5)),
                rng.choice((None, 0, 7, 30)),
            )
        )
    return SettingsSpec(
        min_age_days=rng.choice(_THRESHOLDS),
        keep_last_n=rng.choice((0, 1, 2, 3, 3, 5)),
        lookback_days=rng.choice(_LOOKBACKS),
        include=(rng.choice(_GLOBS),) if rng.random() < 0.1 else (),
        exclude=(rng.choice([*_GLOBS, *names]),) if rng.random() < 0.15 else (),
        protect_tag=TEAM_TAG if rng.random() < 0.2 else DEFAULT_TAG,
        overrides=tuple(overrides),
    )


def _flags(rng: random.Random) -> ScanFlags:
    if rng.random() < 0.5:
        return ScanFlags()
    return ScanFlags(
        min_age_days=rng.choice((None, *_THRESHOLDS)),
        keep_last_n=rng.choice((None, 0, 1, 2, 3)),
        lookback_days=rng.choice((None, 1, 7, 14)),
        exclude=(rng.choice(_GLOBS),) if rng.random() < 0.1 else (),
    )


def _drift(rng: random.Random, functions: tuple[FunctionSpec, ...]) -> list[Drift]:
    changes: list[Drift] = []
    for _ in range(rng.randint(1, 3)):
        function = rng.choice(functions)
        change = partial(Drift, function=function.name, region=function.region)
        count = len(function.versions)
        version = rng.randint(1, count)
        kind = rng.choice(
            (
                "move_alias",
                "add_weight",
                "delete_alias",
                "traffic",
                "traffic",
                "publish",
                "mapping",
                "tag",
                "policy",
                "recreate",
                "delete_function",
                "republish",
                "delete_version",
            )
        )
        if kind == "traffic":
            changes.append(change(kind, traffic=_traffic(rng, function, (0, 10))))
        elif kind in ("move_alias", "add_weight", "delete_alias"):
            alias = rng.choice(function.aliases).name if function.aliases else "moved"
            changes.append(change(kind, version=version, alias=alias))
        elif kind in ("publish", "republish"):
            changes.append(change(kind, snapstart=rng.random() < 0.8, age_days=_half_day(rng, 0, 2)))
        elif kind == "recreate":
            ages = sorted((_half_day(rng, 0, 60) for _ in range(rng.randint(1, count + 1))), reverse=True)
            changes.append(change(kind, versions=tuple(VersionSpec(a) for a in ages)))
        elif kind == "delete_function":
            changes.append(change(kind))
        elif kind == "tag":
            changes.append(change(kind, tag=rng.choice((DEFAULT_TAG, TEAM_TAG))))
        else:
            changes.append(change(kind, version=version))
    # Out-of-band deletions last: moto numbers a new version "count + 1", so a publish after a deletion
    # would reuse a number (moto-notes.md); AWS never reuses one within a function's life.
    return sorted(changes, key=lambda change: change.kind == "delete_version")


def _faults(rng: random.Random, region: str) -> Faults:
    return Faults(
        rate=rng.choice((0.0, 0.05, 0.1, 0.3, 0.6)),
        deny=rng.choice(_OPERATIONS) if rng.random() < 0.35 else None,
        slow_rate=rng.choice((0.0, 0.0, 0.02)),
        lost_rate=rng.choice((0.0, 0.0, 0.3)),
        region=region,
    )


def _region_faults(rng: random.Random, regions: tuple[str, ...]) -> tuple[Faults, ...]:
    """Faults in every region (15 %: the regions are scanned at once, each failing in its own way), in
    one region (20 %), or none."""
    draw = rng.random()
    if draw < 0.15:
        faulted = regions
    elif draw < 0.35:
        faulted = (rng.choice(regions),)
    else:
        faulted = ()
    return tuple(_faults(rng, region) for region in faulted)


def generate(seed: int) -> Scenario:
    """The scenario of one seed; each part draws from its own stream, so that dropping one part while
    minimising leaves the others as they were."""

    def stream(part: str) -> random.Random:
        return random.Random(f"{seed}:{part}")

    rng = stream("regions")
    # Most accounts have functions in both regions; the others keep to the first, and their scan lists
    # it alone or both (an empty region scanned alongside).
    two = rng.random() < 0.85
    listed = REGIONS if two or rng.random() < 0.5 else (REGION_A,)
    concurrency = rng.choice((None, 2, 2, 4))
    prices = ((REGION_B, rng.choice((0.5, 2.0))),) if rng.random() < 0.3 else ()  # powers of two: exact
    rng = stream("account")
    names = rng.sample(_NAMES, rng.randint(1, 3))
    functions = tuple(_function(rng, name, REGION_A) for name in names)
    if two:
        # A stream of its own: the first region's account is the one the seed had before.
        rng = stream("account-b")
        names_b = rng.sample(_NAMES, rng.randint(1, 3))  # the same name in both regions now and then
        functions += tuple(_function(rng, name, REGION_B) for name in names_b)
        names = sorted({*names, *names_b})
    rng = stream("traffic")
    traffic = tuple(
        t
        for function in functions
        for _ in range(rng.randint(0, 3))
        if (t := _traffic(rng, function, (0, 40)))
    )
    rng = stream("settings")
    scan_file = _settings(rng, names)
    apply_file = scan_file if rng.random() < 0.6 else _settings(rng, names)
    if rng.random() < 0.05:
        apply_file = replace(apply_file, max_deletions_per_apply=rng.randint(1, 3))
    flags = _flags(rng)
    scan_file, apply_file = (
        replace(file, regions=listed, max_concurrent_regions=concurrency, price_factors=prices)
        for file in (scan_file, apply_file)
    )
    rng = stream("edit")
    edit = Edit(
        remove_share=rng.choice((0.0, 0.0, 0.3, 0.6)),
        tamper=rng.choice(("add", "add", "retarget", "settings", "unkeep")) if rng.random() < 0.35 else "",
        seed=rng.randint(0, 10**6),
    )
    rng = stream("drift")
    drift = tuple(_drift(rng, functions)) if rng.random() < 0.5 else ()
    # Now and then later than plan_max_age_days (14): apply must refuse the stale plan.
    days_later = rng.choice((0, 1, 3, 5, 0, 1, 3, 5, 0, 1, 3, 5, 0, 1, 3, 5, 15))
    dry_run_first = rng.random() < 0.2
    rng = stream("faults")
    faulted = REGIONS if two else (REGION_A,)
    scan_faults = _region_faults(rng, faulted)
    apply_faults = _region_faults(rng, faulted)
    # Streams of their own, drawn last: the scenarios of earlier seeds keep everything else they had.
    rng = stream("sizes")
    functions = tuple(
        replace(
            function,
            runtime=rng.choice(("python3.12", "python3.12", "python3.12", "dotnet8", "java21")),
            memory_mb=rng.choice((512, 1024, 1024, 2048)),
        )
        for function in functions
    )
    rng = stream("cap")
    if rng.random() < 0.25:
        # A plan that fills up: the scan checks state and policy largest savings first and stops.
        same = apply_file == scan_file
        scan_file = replace(scan_file, max_deletions_per_apply=rng.randint(1, 4))
        if same:
            apply_file = scan_file
    return Scenario(
        seed=seed,
        functions=functions,
        traffic=traffic,
        scan_file=scan_file,
        scan_flags=flags,
        apply_file=apply_file,
        edit=edit,
        drift=drift,
        apply_days_later=days_later,
        dry_run_first=dry_run_first,
        scan_faults=scan_faults,
        apply_faults=apply_faults,
    )
