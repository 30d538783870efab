"""Usage: who invoked each function's versions over the lookback window (CloudWatch GetMetricData, 500
series a call), `has_recent_invocations` and `function_level_activity_uncertain`.

Attributing traffic needs alias names before ListAliases runs: they come from CloudWatch's own listing
of its series (ListMetrics, a quota of its own). That listing is a hint, not proof, so it can only ever
keep more: an alias it misses leaves its traffic unexplained (the function keeps its versions). Where
it may have missed one (it failed, or the window is older than what it lists), the functions whose
traffic it leaves unexplained and that still hold a candidate are read again once their aliases are
listed (cleaner.scan.aliases)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from cleaner.aws.errors import AWS_ERRORS, describe
from cleaner.aws.metrics import LIST_METRICS_HORIZON, MetricsReader, aliases_seen_in_metrics
from cleaner.aws.usage_probe import UsageFindings, UsageTarget, gather_usage
from cleaner.inventory import Alias, Function
from cleaner.scan.context import RegionContext
from cleaner.scan.ledger import ByFunction, Ledger, Pair, by_function


@dataclass
class UsageRead:
    """What the usage stage leaves the alias stage, per function: the alias names its usage was read
    with, whether it had traffic at all, the aliases ListAliases returned for it, and (`pending`) the
    functions to read again once their aliases are listed."""

    alias_names: dict[str, frozenset[str]] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    aliases: dict[str, list[Alias]] = field(default_factory=dict)
    pending: ByFunction = field(default_factory=dict)


def metric_aliases(context: RegionContext, ledger: Ledger) -> dict[str, set[str]] | None:
    """Alias names from CloudWatch's listing of its series; None when the listing failed."""
    try:
        return aliases_seen_in_metrics(context.client("cloudwatch"))
    except AWS_ERRORS as error:
        ledger.warnings.notes.append(
            f"{describe(error, 'cloudwatch:ListMetrics')} (region {context.region}): alias names for"
            " attributing traffic were read with lambda:ListAliases instead (slower, same result)."
        )
        return None


def read_usage(
    context: RegionContext, ledger: Ledger, read: UsageRead, targets: list[UsageTarget], grouped: ByFunction
) -> UsageFindings:
    """Usage of these functions' versions; a function whose series could not be read keeps its
    candidates (`check_incomplete`)."""
    reader = MetricsReader(context.client("cloudwatch"), context.aws.performance.max_workers)
    start = context.now - timedelta(days=context.settings.effective_lookback_days)
    findings = gather_usage(reader, targets, start, context.now)
    for target in targets:
        function = target.function
        key = (function.region, function.name)
        if key in findings.errors:
            message = findings.errors[key]
            candidates = grouped[function.name][1]
            ledger.warnings.record("cloudwatch:GetMetricData", "error", message, len(candidates))
            ledger.failed(candidates, message)
            continue
        read.alias_names[function.name] = frozenset(target.alias_names)
        if key in findings.busy:
            read.busy.add(function.name)
        for version in function.versions:
            ledger.set([version], usage=findings.usage[version.key])
    return findings


def set_unattributed(ledger: Ledger, function: Function, findings: UsageFindings) -> None:
    key = (function.region, function.name)
    if key not in findings.errors:
        ledger.set(function.versions, unattributed_function_invocations=findings.unattributed[key])


def check_usage(context: RegionContext, ledger: Ledger, survivors: list[Pair]) -> UsageRead:
    """The functions still holding a candidate, read with the alias names CloudWatch lists."""
    grouped = by_function(survivors)
    context.progress(f"{context.region}: reading invocations of {len(grouped)} functions from CloudWatch")
    seen = metric_aliases(context, ledger)
    targets = [
        UsageTarget(function, metric_alias_names=sorted((seen or {}).get(name, set())))
        for name, (function, _) in grouped.items()
    ]
    read = UsageRead()
    findings = read_usage(context, ledger, read, targets, grouped)
    # Traffic the listed series leave unexplained keeps the function's versions, unless the aliases
    # ListAliases returns may explain it: when the listing failed, or when part of the window is
    # older than what ListMetrics lists. Those functions are read again with their listed aliases.
    lookback = timedelta(days=context.settings.effective_lookback_days)
    recheck = seen is None or lookback > LIST_METRICS_HORIZON
    unexplained = {
        target.function.name
        for target in targets
        if findings.unattributed.get((target.function.region, target.function.name), 0.0) > 0
    }
    for target in targets:
        if not (recheck and target.function.name in unexplained):
            set_unattributed(ledger, target.function, findings)
    if not recheck or not unexplained:
        return read
    read.pending = {
        name: pair for name, pair in by_function(ledger.survivors()).items() if name in unexplained
    }
    for target in targets:
        if target.function.name in unexplained - set(read.pending):
            set_unattributed(ledger, target.function, findings)  # settled: kept for another reason
    return read


def reread_with_listed_aliases(
    context: RegionContext, ledger: Ledger, read: UsageRead, grouped: ByFunction, names: list[str]
) -> None:
    """Usage of these functions read again with the aliases ListAliases returned for them."""
    targets = [UsageTarget(grouped[name][0], read.aliases[name]) for name in names]
    if not targets:
        return
    context.progress(
        f"{context.region}: reading invocations of {len(targets)} functions again with their aliases"
    )
    findings = read_usage(context, ledger, read, targets, grouped)
    for target in targets:
        set_unattributed(ledger, target.function, findings)
