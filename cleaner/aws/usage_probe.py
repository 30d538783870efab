"""Who invoked what over a window: the three-step CloudWatch read behind `has_recent_invocations` and
`function_level_activity_uncertain`, shared by the scan and the apply's re-verification.

1. the function-level total of each function (one series each): a function with no traffic at all
   needs nothing more, since AWS aggregates every version and alias into that series;
2. for functions with traffic: the direct series of every published version (and `$LATEST`) and the
   total of every alias, which together should explain the function-level total;
3. for aliases with traffic: which published versions they ran (`ExecutedVersion`).
Each step is one batched read (500 series a call), so a scan costs a handful of GetMetricData calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cleaner.aws.metrics import MetricsReader
from cleaner.inventory import Alias, Function, Usage, VersionKey
from cleaner.usage import (
    NO_TRAFFIC,
    Dimensions,
    SeriesTotal,
    invocation_dimensions,
    unattributed,
    version_usage,
)


@dataclass(frozen=True)
class UsageTarget:
    function: Function
    aliases: Sequence[Alias] = ()
    # Alias names known only from CloudWatch's listing of its series (cleaner.aws.metrics
    # .aliases_seen_in_metrics): read exactly like a listed alias's series.
    metric_alias_names: Sequence[str] = ()

    @property
    def alias_names(self) -> list[str]:
        return list(dict.fromkeys([alias.name for alias in self.aliases] + list(self.metric_alias_names)))


@dataclass
class UsageFindings:
    usage: dict[VersionKey, Usage] = field(default_factory=dict)
    unattributed: dict[tuple[str, str], float] = field(default_factory=dict)  # (region, function) -> calls
    errors: dict[tuple[str, str], str] = field(default_factory=dict)  # (region, function) -> message
    # Functions whose function-level total was above zero: only their results depend on the aliases.
    busy: set[tuple[str, str]] = field(default_factory=set)


def gather_usage(
    reader: MetricsReader, targets: Sequence[UsageTarget], start: datetime, end: datetime
) -> UsageFindings:
    findings = UsageFindings()

    def read(series_by_target: dict[int, list[Dimensions]]) -> dict[Dimensions, SeriesTotal]:
        totals, errors = reader.sums([s for group in series_by_target.values() for s in group], start, end)
        for index, group in series_by_target.items():
            failed = [errors[s] for s in group if s in errors]
            if failed:
                function = targets[index].function
                findings.errors.setdefault((function.region, function.name), failed[0])
        return totals

    def name_of(index: int) -> str:
        return targets[index].function.name

    # Step 1: function-level totals.
    function_series = {i: [invocation_dimensions(name_of(i))] for i in range(len(targets))}
    function_totals = read(function_series)

    # Step 2: direct and per-alias totals where the function saw traffic.
    busy = [
        i for i in range(len(targets)) if function_totals.get(function_series[i][0], NO_TRAFFIC).total > 0
    ]
    findings.busy.update((targets[i].function.region, name_of(i)) for i in busy)
    explaining = {
        i: [
            invocation_dimensions(name_of(i), f"{name_of(i)}:{v.version}")
            for v in targets[i].function.versions
        ]
        + [invocation_dimensions(name_of(i), f"{name_of(i)}:$LATEST")]
        + [invocation_dimensions(name_of(i), f"{name_of(i)}:{alias}") for alias in targets[i].alias_names]
        for i in busy
    }
    explained = read(explaining)

    # Step 3: which versions of interest the busy aliases ran.
    routed_series: dict[int, list[Dimensions]] = {}
    for i in busy:
        name = name_of(i)
        for alias in targets[i].alias_names:
            if explained.get(invocation_dimensions(name, f"{name}:{alias}"), NO_TRAFFIC).total > 0:
                routed_series.setdefault(i, []).extend(
                    invocation_dimensions(name, f"{name}:{alias}", str(v.version))
                    for v in targets[i].function.versions
                )
    routed = read(routed_series)

    for i, target in enumerate(targets):
        function = target.function
        if (function.region, function.name) in findings.errors:
            continue
        name = function.name
        findings.unattributed[(function.region, name)] = (
            unattributed(
                function_totals[function_series[i][0]],
                [explained.get(s, NO_TRAFFIC) for s in explaining[i]],
            )
            if i in explaining
            else 0.0
        )
        for version in function.versions:
            direct = explained.get(invocation_dimensions(name, f"{name}:{version.version}"), NO_TRAFFIC)
            via = {
                alias: routed.get(
                    invocation_dimensions(name, f"{name}:{alias}", str(version.version)), NO_TRAFFIC
                )
                for alias in target.alias_names
            }
            findings.usage[version.key] = version_usage(direct, via)
    return findings
