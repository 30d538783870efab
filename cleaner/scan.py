"""The scan: inventory -> evidence -> policy -> plan.

Evidence is gathered cheapest first, and each costlier check is asked only about the versions that
nothing gathered so far keeps: the shared 15-rps Lambda control plane is also what the user's deploy
pipelines use, so a scan spends it per function or per region, never per version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
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
from cleaner.aws.metrics import MetricsReader
from cleaner.aws.session import AwsContext
from cleaner.aws.usage_probe import UsageTarget, gather_usage
from cleaner.exit_codes import AccessError, BadInputError
from cleaner.inventory import Alias, Evidence, Function, FunctionVersion, VersionKey
from cleaner.plan import Plan
from cleaner.planner import build_plan, snapstart_versions
from cleaner.policy import still_candidate
from cleaner.settings import ScanSettings

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

    @cached_property
    def inventory(self) -> RegionInventory:
        return RegionInventory(self.aws.client("lambda", self.region), self.region)

    def run(self) -> None:
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
            self._check_structure,
            self._check_usage,
            self._check_state_then_policy,
        ):
            survivors = self._survivors()
            if not survivors:
                break
            stage(survivors)
        self.progress(f"{self.region}: {len(self._survivors())} versions qualify for deletion")

    # --- helpers -------------------------------------------------------------------------------------

    def _survivors(self) -> list[tuple[Function, FunctionVersion]]:
        return [
            (function, version)
            for function, version in snapstart_versions(self.functions)
            if still_candidate(function, version, self.evidence[version.key], self.settings, self.now)
        ]

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

    def _check_structure(self, survivors: list[tuple[Function, FunctionVersion]]) -> None:
        """Aliases (one listing per function), event source mappings and Lambda@Edge (one per region)."""
        by_function = self._by_function(survivors)
        self.progress(f"{self.region}: listing aliases of {len(by_function)} functions")
        names = list(by_function)
        for name, result in zip(names, self._concurrently(self.inventory.list_aliases, names), strict=True):
            function, candidates = by_function[name]
            if isinstance(result, BaseException):
                self._fail(candidates, "lambda:ListAliases", result)
                continue
            self.aliases[name] = result
            for version in function.versions:
                routes = [d for alias in result if (d := alias.describe_target(str(version.version)))]
                self._set([version], aliases=tuple(routes))

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

    def _check_usage(self, survivors: list[tuple[Function, FunctionVersion]]) -> None:
        by_function = self._by_function(survivors)
        self.progress(f"{self.region}: reading invocations of {len(by_function)} functions from CloudWatch")
        reader = MetricsReader(self.aws.client("cloudwatch", self.region), self.aws.performance.max_workers)
        targets = [
            UsageTarget(function, self.aliases.get(name, [])) for name, (function, _) in by_function.items()
        ]
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
            for version in function.versions:
                self._set(
                    [version],
                    usage=findings.usage[version.key],
                    unattributed_function_invocations=findings.unattributed[key],
                )

    def _check_state_then_policy(self, survivors: list[tuple[Function, FunctionVersion]]) -> None:
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


def scan(aws: AwsContext, settings: ScanSettings, now: datetime, plan_id: str, progress: Progress) -> Plan:
    regions = resolve_regions(settings, aws)
    account_id = aws.account_id(regions[0])
    warnings = WarningLog()
    note = short_lookback_note(settings)
    if note:
        warnings.notes.append(note)
    functions: list[Function] = []
    evidence: dict[VersionKey, Evidence] = {}
    for region in regions:
        region_scan = RegionScan(aws, region, settings, now, warnings, progress)
        region_scan.run()
        functions += region_scan.functions
        evidence.update(region_scan.evidence)
    return build_plan(
        plan_id=plan_id,
        account_id=account_id,
        regions=regions,
        functions=functions,
        evidence=evidence,
        settings=settings,
        now=now,
        warnings=warnings.lines(),
    )
