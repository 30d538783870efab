"""The scan: inventory -> evidence -> policy -> plan.

Evidence is gathered cheapest first, and each costlier check is asked only about the versions that
nothing gathered so far keeps: the shared 15-rps Lambda control plane is also what the user's deploy
pipelines use, so a scan spends it per function or per region, never per version.

ListAliases (one control-plane call per function) runs after usage, only for the functions that still
hold a candidate once their traffic is known, and before state and resource policy. Attributing traffic
needs alias names earlier: they come from CloudWatch's own listing of its series (ListMetrics, a quota
of its own). That listing is a hint, not proof, so it can only ever keep more: an alias it misses
leaves its traffic unexplained (the function keeps its versions, `function_level_activity_uncertain`),
and every function that keeps a candidate has its usage read again with the aliases ListAliases
returns whenever the two disagree, so a candidate is judged exactly as with aliases listed first.

State and resource policy (GetFunction, then GetPolicy: one call each per version) come last, for every
region at once: the would-be candidates of all regions are ranked as the plan's cap ranks them (largest
savings first: cleaner.planner.savings_rank) and checked batch after batch until the plan is full
(`max_deletions_per_apply`), so a scan never reads the policies of versions its plan could not propose
anyway. Those left unchecked are kept `not_checked_plan_full`; the next scan checks them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, TypeVar

from cleaner.aws.concurrency import ProgressTicker, run_concurrently
from cleaner.aws.errors import AWS_ERRORS, describe, error_code, is_access_denied
from cleaner.aws.lambda_inventory import (
    RegionInventory,
    lambda_edge_associations,
    protected_function_arns,
)
from cleaner.aws.metrics import LIST_METRICS_HORIZON, MetricsReader, aliases_seen_in_metrics
from cleaner.aws.session import AwsContext
from cleaner.aws.usage_probe import UsageFindings, UsageTarget, gather_usage
from cleaner.exit_codes import AccessError, BadInputError
from cleaner.inventory import Alias, Evidence, Function, FunctionVersion, VersionKey
from cleaner.plan import Plan, Pricing
from cleaner.planner import build_plan, cap_deletions, plan_pricing, snapstart_versions, version_rank
from cleaner.policy import still_candidate
from cleaner.settings import ApplyLimits, ScanSettings

# Lambda@Edge functions live in us-east-1 only: no other region's version can be associated.
LAMBDA_EDGE_REGION = "us-east-1"

Progress = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class WarningLog:
    """Check failures, folded per failing call and error code so a plan never lists thousands."""

    _counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    _examples: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def failure(self, permission: str, error: BaseException, affected: int) -> str:
        message = describe(error, permission)
        self.record(permission, error_code(error), message, affected)
        return message

    def record(self, permission: str, code: str, message: str, affected: int) -> None:
        key = (permission, code)
        self._counts[key] += affected
        self._examples.setdefault(key, message)

    @classmethod
    def merged(cls, logs: Iterable[WarningLog]) -> WarningLog:
        """One log of several (one per region), as if they had been written one after another."""
        merged = cls()
        for log in logs:
            for key, count in log._counts.items():
                merged._counts[key] += count
                merged._examples.setdefault(key, log._examples[key])
            merged.notes += log.notes
        return merged

    def lines(self) -> list[str]:
        lines = [
            f"{permission} failed ({code}) for {count} version(s): kept with check_incomplete."
            f" First error: {self._examples[(permission, code)]}"
            for (permission, code), count in sorted(self._counts.items())
        ]
        return lines + self.notes


@dataclass
class RegionScan:
    aws: AwsContext
    region: str
    settings: ScanSettings
    now: datetime
    warnings: WarningLog
    progress: Progress
    functions: list[Function] = field(default_factory=list)
    evidence: dict[VersionKey, Evidence] = field(default_factory=dict)
    aliases: dict[str, list[Alias]] = field(default_factory=dict)
    # Per function: the alias names its usage was read with, and whether it had traffic at all.
    usage_alias_names: dict[str, frozenset[str]] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)

    @cached_property
    def inventory(self) -> RegionInventory:
        return RegionInventory(self.aws.client("lambda", self.region), self.region)

    def run(self) -> None:
        """The inventory and every check up to alias protection. State and resource policy come after,
        for every region at once, in the order the plan's cap ranks (`check_in_rank_order`)."""
        try:
            self.functions = self.inventory.list_functions()
        except AWS_ERRORS as error:
            raise AccessError(f"{describe(error, 'lambda:ListFunctions')} (region {self.region})") from error
        considered = snapstart_versions(self.functions)
        self.evidence = {version.key: Evidence() for _, version in considered}
        self.progress(
            f"{self.region}: {len(considered)} published versions with SnapStart considered, in"
            f" {len({function.name for function, _ in considered})} functions"
            f" (of {sum(len(f.versions) for f in self.functions)} published versions in all)"
        )
        for stage in (
            self._check_tags,
            self._check_region_listings,
            self._check_usage,
            self._check_aliases,
        ):
            survivors = self.survivors()
            if not survivors:
                break
            stage(survivors)

    def survivors(self) -> list[tuple[Function, FunctionVersion]]:
        """The versions nothing gathered so far keeps, in inventory order."""
        return [
            (function, version)
            for function, version in snapstart_versions(self.functions)
            if self.qualifies(function, version)
        ]

    def qualifies(self, function: Function, version: FunctionVersion) -> bool:
        return still_candidate(function, version, self.evidence[version.key], self.settings, self.now)

    # --- helpers -------------------------------------------------------------------------------------

    def _set(self, versions: Iterable[FunctionVersion], **changes: Any) -> None:
        for version in versions:
            if version.key in self.evidence:
                self.evidence[version.key] = self.evidence[version.key].with_(**changes)

    def _fail(self, versions: list[FunctionVersion], permission: str, error: BaseException) -> None:
        message = self.warnings.failure(permission, error, len(versions))
        for version in versions:
            self.evidence[version.key] = self.evidence[version.key].failed(message)

    def _concurrently(self, work: Callable[[T], R], items: list[T]) -> list[R | BaseException]:
        return run_concurrently(work, items, self.aws.performance.max_workers)

    @staticmethod
    def _by_function(
        survivors: list[tuple[Function, FunctionVersion]],
    ) -> dict[str, tuple[Function, list[FunctionVersion]]]:
        grouped: dict[str, tuple[Function, list[FunctionVersion]]] = {}
        for function, version in survivors:
            grouped.setdefault(function.name, (function, []))[1].append(version)
        return grouped

    # --- stages, cheapest first ----------------------------------------------------------------------

    def _check_tags(self, survivors: list[tuple[Function, FunctionVersion]]) -> None:
        try:
            arns = protected_function_arns(
                self.aws.client("resourcegroupstaggingapi", self.region), self.settings.protect_tag
            )
        except AWS_ERRORS as error:
            self._fail([v for _, v in survivors], "tag:GetResources", error)
            return
        tagged = {arn.rsplit(":", 1)[-1] for arn in arns}
        for function in self.functions:
            self._set(function.versions, tag_protected=function.name in tagged)

    def _check_region_listings(self, survivors: list[tuple[Function, FunctionVersion]]) -> None:
        """Event source mappings and Lambda@Edge: one listing per region each."""
        candidates = [v for _, v in survivors]
        try:
            mappings = self.inventory.event_source_mappings_by_version()
        except AWS_ERRORS as error:
            self._fail(candidates, "lambda:ListEventSourceMappings", error)
        else:
            for function in self.functions:
                for version in function.versions:
                    found = mappings.get((function.name, str(version.version)), [])
                    self._set([version], event_source_mappings=tuple(found))

        if self.region != LAMBDA_EDGE_REGION:
            for function in self.functions:
                self._set(function.versions, cloudfront_distributions=())
            return
        try:
            associations = lambda_edge_associations(self.aws.client("cloudfront", LAMBDA_EDGE_REGION))
        except AWS_ERRORS as error:
            if not is_access_denied(error):
                self._fail(candidates, "cloudfront:ListDistributions", error)
                return
            # AWS itself refuses to delete a replicated Lambda@Edge version, so skipping is safe.
            self.warnings.notes.append(
                f"{describe(error, 'cloudfront:ListDistributions')}: Lambda@Edge associations were not"
                " checked (AWS refuses to delete replicated Lambda@Edge versions anyway)."
            )
            associations = {}
        for function in self.functions:
            for version in function.versions:
                self._set(
                    [version], cloudfront_distributions=tuple(associations.get(version.function_arn, []))
                )

    def _list_aliases(self, by_function: dict[str, tuple[Function, list[FunctionVersion]]]) -> list[str]:
        """ListAliases for these functions (one call each); records alias protection on every version.

        Returns the functions whose listing succeeded (a failure keeps that function's candidates)."""
        self.progress(f"{self.region}: listing aliases of {len(by_function)} functions")
        names = list(by_function)
        listed = []
        for name, result in zip(names, self._concurrently(self.inventory.list_aliases, names), strict=True):
            function, candidates = by_function[name]
            if isinstance(result, BaseException):
                self._fail(candidates, "lambda:ListAliases", result)
                continue
            self.aliases[name] = result
            listed.append(name)
            for version in function.versions:
                routes = [d for alias in result if (d := alias.describe_target(str(version.version)))]
                self._set([version], aliases=tuple(routes))
        return listed

    def _metric_aliases(self) -> dict[str, set[str]] | None:
        """Alias names from CloudWatch's listing of its series; None when the listing failed."""
        try:
            return aliases_seen_in_metrics(self.aws.client("cloudwatch", self.region))
        except AWS_ERRORS as error:
            self.warnings.notes.append(
                f"{describe(error, 'cloudwatch:ListMetrics')} (region {self.region}): alias names for"
                " attributing traffic were read with lambda:ListAliases instead (slower, same result)."
            )
            return None

    def _read_usage(self, targets: list[UsageTarget], by_function: dict[str, Any]) -> UsageFindings:
        reader = MetricsReader(self.aws.client("cloudwatch", self.region), self.aws.performance.max_workers)
        start = self.now - timedelta(days=self.settings.effective_lookback_days)
        findings = gather_usage(reader, targets, start, self.now)
        for target in targets:
            function = target.function
            key = (function.region, function.name)
            if key in findings.errors:
                message = findings.errors[key]
                candidates = by_function[function.name][1]
                self.warnings.record("cloudwatch:GetMetricData", "error", message, len(candidates))
                for version in candidates:
                    self.evidence[version.key] = self.evidence[version.key].failed(message)
                continue
            self.usage_alias_names[function.name] = frozenset(target.alias_names)
            if key in findings.busy:
                self.busy.add(function.name)
            for version in function.versions:
                self._set([version], usage=findings.usage[version.key])
        return findings

    def _set_unattributed(self, function: Function, findings: UsageFindings) -> None:
        key = (function.region, function.name)
        if key not in findings.errors:
            self._set(function.versions, unattributed_function_invocations=findings.unattributed[key])

    def _check_usage(self, survivors: list[tuple[Function, FunctionVersion]]) -> None:
        by_function = self._by_function(survivors)
        self.progress(f"{self.region}: reading invocations of {len(by_function)} functions from CloudWatch")
        seen = self._metric_aliases()
        targets = [
            UsageTarget(function, metric_alias_names=sorted((seen or {}).get(name, set())))
            for name, (function, _) in by_function.items()
        ]
        findings = self._read_usage(targets, by_function)
        # Traffic the listed series leave unexplained keeps the function's versions, unless the aliases
        # ListAliases returns may explain it: when the listing failed, or when part of the window is
        # older than what ListMetrics lists. Those functions are read again with their listed aliases.
        lookback = timedelta(days=self.settings.effective_lookback_days)
        recheck = seen is None or lookback > LIST_METRICS_HORIZON
        unexplained = {
            target.function.name
            for target in targets
            if findings.unattributed.get((target.function.region, target.function.name), 0.0) > 0
        }
        for target in targets:
            if not (recheck and target.function.name in unexplained):
                self._set_unattributed(target.function, findings)
        if not recheck or not unexplained:
            return
        still = {
            name: pair for name, pair in self._by_function(self.survivors()).items() if name in unexplained
        }
        settled = set(unexplained) - set(still)
        for target in targets:
            if target.function.name in settled:
                self._set_unattributed(target.function, findings)
        if still:
            self._reread_usage_with_listed_aliases(still, self._list_aliases(still))

    def _reread_usage_with_listed_aliases(
        self, by_function: dict[str, tuple[Function, list[FunctionVersion]]], names: list[str]
    ) -> None:
        targets = [UsageTarget(by_function[name][0], self.aliases[name]) for name in names]
        if not targets:
            return
        self.progress(
            f"{self.region}: reading invocations of {len(targets)} functions again with their aliases"
        )
        findings = self._read_usage(targets, by_function)
        for target in targets:
            self._set_unattributed(target.function, findings)

    def _check_aliases(self, survivors: list[tuple[Function, FunctionVersion]]) -> None:
        """ListAliases for the functions still holding a candidate (alias protection), and usage read
        again for those whose listed aliases differ from the names usage was read with."""
        by_function = {
            name: pair for name, pair in self._by_function(survivors).items() if name not in self.aliases
        }
        listed = self._list_aliases(by_function)
        differ = [
            name
            for name in listed
            if name in self.busy
            and frozenset(alias.name for alias in self.aliases[name]) != self.usage_alias_names.get(name)
        ]
        self._reread_usage_with_listed_aliases(by_function, differ)

    def check_state_then_policy(self, survivors: list[tuple[Function, FunctionVersion]]) -> None:
        """Per version, GetFunction (state) and then, only if it still qualifies, GetPolicy.

        GetPolicy comes last and only for versions every other check would delete (its quota is 15 rps
        and no listing exists for it); chaining the two per version, across the pool, keeps both of
        their separate quota buckets busy at once instead of one after the other."""
        self.progress(
            f"{self.region}: reading the state and own resource policy of {len(survivors)} versions"
        )
        ticker = ProgressTicker(f"{self.region}: state and policy checked", len(survivors), self.progress)
        results = run_concurrently(
            self._state_then_policy, survivors, self.aws.performance.max_workers, ticker
        )
        for (_, version), result in zip(survivors, results, strict=True):
            if isinstance(result, BaseException):  # not expected: _state_then_policy reports its errors
                self._fail([version], "lambda:GetFunction", result)
                continue
            state, statements = result
            if isinstance(state, BaseException):
                self._fail([version], "lambda:GetFunction", state)
                continue
            self._set([version], state=state)
            if isinstance(statements, BaseException):
                self._fail([version], "lambda:GetPolicy", statements)
            elif statements is not None:
                self._set([version], own_policy_statements=tuple(statements))

    def _state_then_policy(
        self, pair: tuple[Function, FunctionVersion]
    ) -> tuple[str | BaseException, list[str] | BaseException | None]:
        """Runs in a worker thread: reads shared state, returns results; the caller records them."""
        function, version = pair
        try:
            state = self.inventory.version_state(function.name, str(version.version))
        except AWS_ERRORS as error:
            return error, None
        evidence = self.evidence[version.key].with_(state=state)
        if not still_candidate(function, version, evidence, self.settings, self.now):
            return state, None
        try:
            return state, self.inventory.own_policy_statements(
                version.function_arn, function.name, str(version.version)
            )
        except AWS_ERRORS as error:
            return state, error


# A usage window shorter than a week misses weekly jobs.
SHORT_LOOKBACK_DAYS = 7


def short_lookback_note(settings: ScanSettings) -> str | None:
    """Say so when the usage window is short only because it defaulted to a small min_age_days."""
    days = settings.effective_lookback_days
    if settings.lookback_days is not None or days >= SHORT_LOOKBACK_DAYS:
        return None
    return (
        f"usage was looked at over {days} day{'' if days == 1 else 's'} only: lookback_days is not set, so"
        f" it follows min_age_days ({settings.min_age_days}); set lookback_days (--lookback-days) to see"
        " older invocations"
    )


def resolve_regions(settings: ScanSettings, aws: AwsContext) -> list[str]:
    if settings.regions:
        return list(settings.regions)
    if aws.default_region:
        return [aws.default_region]
    raise BadInputError("no region to scan: pass --region, set regions in [tool.cleaner] or set AWS_REGION")


def scan_regions(region_scans: list[RegionScan], max_concurrent: int) -> None:
    """Run every region's scan, up to `max_concurrent` at once (each region has its own quotas, limiter
    buckets and worker pool). A region that fails (its inventory cannot be listed) fails the scan with
    the first such error in region order, once every region has stopped: the same error a scan of the
    regions one after another would raise."""
    if max_concurrent <= 1 or len(region_scans) <= 1:
        for region_scan in region_scans:
            region_scan.run()
        return
    with ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="region") as pool:
        futures = [pool.submit(region_scan.run) for region_scan in region_scans]
        wait(futures)
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error


# Each batch of the last stage checks what the plan still misses plus a margin for the versions the
# checks then keep (a policy found, a state not settled, a failed check): a tenth more, at least a few.
BATCH_MARGIN_SHARE = 0.1
BATCH_MARGIN_MIN = 5


def batch_size(missing: int) -> int:
    return missing + max(math.ceil(missing * BATCH_MARGIN_SHARE), BATCH_MARGIN_MIN)


@dataclass(frozen=True)
class _Ranked:
    region_scan: RegionScan
    position: int  # in its region's inventory order, so each region checks (and warns) in that order
    function: Function
    version: FunctionVersion


def check_in_rank_order(
    region_scans: list[RegionScan],
    pricing: Pricing,
    now: datetime,
    cap: int,
    max_concurrent: int,
    progress: Progress,
) -> list[VersionKey]:
    """State, then resource policy, of every region's would-be candidates, in the order the plan's cap
    ranks them (planner.version_rank: the largest savings first), batch after batch until `cap` of them
    qualify; each call goes through its region's client, limiter and worker pool, the regions of a batch
    at once. Returns the would-be candidates left unchecked, in rank order.

    Every checked version ranks above every unchecked one, so the `cap` best that qualify among those
    checked are the `cap` best that qualify at all: the capped plan is the one checking every version
    would have given."""
    ranked = sorted(
        (
            _Ranked(region_scan, position, function, version)
            for region_scan in region_scans
            for position, (function, version) in enumerate(region_scan.survivors())
        ),
        key=lambda item: version_rank(item.version, pricing, now),
    )
    checked = qualified = 0
    while checked < len(ranked) and qualified < cap:
        batch = ranked[checked : checked + batch_size(cap - qualified)]
        if checked or len(batch) < len(ranked):
            progress(
                f"checking the state and resource policy of would-be candidates {checked + 1:,} to"
                f" {checked + len(batch):,} of {len(ranked):,} by savings ({qualified:,} of"
                f" max_deletions_per_apply {cap:,} qualify so far)"
            )
        checked += len(batch)
        _check_batch(batch, max_concurrent)
        qualified += sum(item.region_scan.qualifies(item.function, item.version) for item in batch)
    return [item.version.key for item in ranked[checked:]]


def _check_batch(batch: list[_Ranked], max_concurrent: int) -> None:
    by_region: dict[str, list[_Ranked]] = {}
    for item in batch:
        by_region.setdefault(item.region_scan.region, []).append(item)
    work = [
        (items[0].region_scan, [(i.function, i.version) for i in sorted(items, key=lambda i: i.position)])
        for items in by_region.values()
    ]
    if max_concurrent <= 1 or len(work) <= 1:
        for region_scan, pairs in work:
            region_scan.check_state_then_policy(pairs)
        return
    with ThreadPoolExecutor(max_workers=min(max_concurrent, len(work)), thread_name_prefix="region") as pool:
        futures = [pool.submit(region_scan.check_state_then_policy, pairs) for region_scan, pairs in work]
        wait(futures)
    for future in futures:
        future.result()


def scan(
    aws: AwsContext,
    settings: ScanSettings,
    now: datetime,
    plan_id: str,
    progress: Progress,
    *,
    limits: ApplyLimits,
) -> Plan:
    """The plan of one account's regions, as apply will take it: at most
    `limits.max_deletions_per_apply` deletions (planner.cap_deletions), the largest savings first."""
    regions = resolve_regions(settings, aws)
    account_id = aws.account_id(regions[0])
    first = WarningLog()
    note = short_lookback_note(settings)
    if note:
        first.notes.append(note)
    region_scans = [RegionScan(aws, region, settings, now, WarningLog(), progress) for region in regions]
    scan_regions(region_scans, aws.performance.max_concurrent_regions)
    cap = limits.max_deletions_per_apply
    unchecked = check_in_rank_order(
        region_scans,
        plan_pricing(regions, settings),
        now,
        cap,
        aws.performance.max_concurrent_regions,
        progress,
    )
    left = set(unchecked)
    for region_scan in region_scans:
        qualify = sum(version.key not in left for _, version in region_scan.survivors())
        progress(f"{region_scan.region}: {qualify} versions qualify for deletion")
    if unchecked:
        progress(f"{len(unchecked):,} would-be candidates left unchecked: the plan was full")
    warnings = WarningLog.merged([first, *(region_scan.warnings for region_scan in region_scans)])
    functions: list[Function] = []
    evidence: dict[VersionKey, Evidence] = {}
    for region_scan in region_scans:
        functions += region_scan.functions
        evidence.update(region_scan.evidence)
    plan = build_plan(
        plan_id=plan_id,
        account_id=account_id,
        regions=regions,
        functions=functions,
        evidence=evidence,
        settings=settings,
        now=now,
        warnings=warnings.lines(),
        unchecked=left,
        cap=cap,
    )
    return cap_deletions(plan, limits)
