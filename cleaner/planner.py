"""Build a plan from an inventory and the evidence gathered for it (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from cleaner.cost import monthly_cache_cost_usd, total_usd
from cleaner.inventory import Evidence, Function, FunctionVersion, VersionKey
from cleaner.plan import SCHEMA_VERSION, Plan, PlanEntry, Pricing, RegionPrice, sort_entries, summarize
from cleaner.policy import Decision, age_days, decide
from cleaner.prices import PriceListRate, resolve_cache_price
from cleaner.reasons import Reason
from cleaner.savings import Savings
from cleaner.settings import ApplyLimits, ScanSettings


def snapstart_versions(functions: list[Function]) -> list[tuple[Function, FunctionVersion]]:
    """The versions the scan considers: SnapStart on for the version itself."""
    return [(f, v) for f in functions for v in f.versions if v.snapstart]


def plan_pricing(
    regions: list[str], settings: ScanSettings, price_list: Mapping[str, PriceListRate] | None = None
) -> Pricing:
    """Each region's cache price, resolved once per plan (cleaner.prices): the setting, the Price
    List's rate read at scan time (`price_list`), the code's table, the default."""
    default = settings.cache_price_per_gb_second
    return Pricing(
        cache_price_per_gb_second=default,
        regions={
            region: RegionPrice.of(
                resolve_cache_price(region, settings.cache_prices, default, price_list=price_list)
            )
            for region in regions
        },
    )


# The evidence a scan stops reading once its plan is full (cleaner/scan/rank_order.py: the last stage),
# named as a reviewer reads it.
LAST_STAGE_EVIDENCE = {"aliases": "aliases", "state": "state", "own_policy_statements": "resource policy"}

# How the cap ranks candidates: (-monthly savings, -age in days, (region, function, version number)).
RankKey = tuple[float, int, tuple[str, str, int]]


def savings_rank(monthly_cost_usd: float, age: int, key: tuple[str, str, int]) -> RankKey:
    """The order a plan's deletions are taken in under max_deletions_per_apply: the largest savings
    first, then the oldest, then the stable key (a total order: no two versions tie). The cap ranks
    plan entries by it and the scan checks would-be candidates by it, so the scan reads state and
    policy of exactly the versions the cap would take first."""
    return (-monthly_cost_usd, -age, key)


def entry_rank(entry: PlanEntry) -> RankKey:
    return savings_rank(entry.estimated_monthly_cost_usd, entry.age_days, entry.key)


def version_cost(version: FunctionVersion, pricing: Pricing) -> float:
    """A version's estimated monthly cache cost: its plan entry's `estimated_monthly_cost_usd`."""
    return monthly_cache_cost_usd(version.runtime, version.memory_mb, pricing.price_for(version.region))


def version_rank(version: FunctionVersion, pricing: Pricing, now: datetime) -> RankKey:
    """The rank its plan entry will have (`entry_rank`), from the inventory alone."""
    key = (version.region, version.function_name, version.version)
    return savings_rank(version_cost(version, pricing), age_days(version, now), key)


def _spoken_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def not_checked(decision: Decision, evidence: Evidence, cap: int) -> Decision:
    """The decision for a would-be candidate the scan left unchecked because the plan was full:
    `not_checked_plan_full` instead of `check_incomplete`, only when nothing but the last stage's
    evidence is missing (any other decision is kept as it is: it keeps the version already)."""
    missing = set(decision.unchecked)
    last_stage_only = bool(missing) and missing <= LAST_STAGE_EVIDENCE.keys() and not evidence.incomplete
    if decision.reasons != [Reason.CHECK_INCOMPLETE] or not last_stage_only:
        return decision
    unread = [name for field, name in LAST_STAGE_EVIDENCE.items() if field in missing]
    detail = (
        f"{_spoken_list(unread)} not read: candidates ranked above it by savings filled the plan"
        f" (max_deletions_per_apply {cap:,}); the next scan checks it"
    )
    return Decision(reasons=[Reason.NOT_CHECKED_PLAN_FULL], details=[detail], unchecked=decision.unchecked)


def build_plan(
    *,
    plan_id: str,
    account_id: str,
    regions: list[str],
    functions: list[Function],
    evidence: Mapping[VersionKey, Evidence],
    settings: ScanSettings,
    now: datetime,
    warnings: list[str],
    unchecked: Collection[VersionKey] = frozenset(),
    cap: int = 0,
    price_list: Mapping[str, PriceListRate] | None = None,
    savings: Savings | None = None,
) -> Plan:
    """The plan of what the scan found. `unchecked`: would-be candidates left unchecked once `cap`
    versions qualified (kept `not_checked_plan_full`). `price_list`: the regions' rates the Price List
    gave; `savings`: code storage and the bill, as the scan read them."""
    pricing = plan_pricing(regions, settings, price_list)
    delete: list[PlanEntry] = []
    keep: list[PlanEntry] = []
    for function, version in snapstart_versions(functions):
        found = evidence.get(version.key, Evidence())
        decision = decide(function, version, found, settings, now)
        if version.key in unchecked:
            decision = not_checked(decision, found, cap)
        entry = PlanEntry(
            region=version.region,
            function_name=version.function_name,
            version=str(version.version),
            function_arn=version.function_arn,
            runtime=version.runtime,
            memory_mb=version.memory_mb,
            last_modified=version.last_modified,
            age_days=age_days(version, now),
            state=found.state,
            code_sha256=version.code_sha256,
            last_invoked=found.usage.last_invoked if found.usage else None,
            invocations_in_window=found.usage.total if found.usage else None,
            estimated_monthly_cost_usd=version_cost(version, pricing),
            reasons=decision.reasons,
            details=decision.details,
            code_size_bytes=version.code_size,
        )
        (delete if decision.delete else keep).append(entry)
    delete, keep = sort_entries(delete), sort_entries(keep)
    left = [e.estimated_monthly_cost_usd for e in keep if Reason.NOT_CHECKED_PLAN_FULL in e.reasons]
    if left:
        warnings = [
            *warnings,
            f"{len(left):,} more would-be candidates (${total_usd(left):,.2f} / month) were not checked:"
            f" the plan was full (max_deletions_per_apply {cap:,}) before their state and resource policy"
            " were read; kept as not_checked_plan_full, up to that many more may qualify in the next plan",
        ]
    effective = settings.model_copy(
        update={"regions": list(regions), "lookback_days": settings.effective_lookback_days}
    )
    return Plan(
        schema_version=SCHEMA_VERSION,
        plan_id=plan_id,
        created_at=now,
        account_id=account_id,
        regions=list(regions),
        settings=effective,
        pricing=pricing,
        summary=summarize(delete, keep),
        savings=savings,
        warnings=sorted(set(warnings)),
        delete=delete,
        keep=keep,
    )


def cap_deletions(plan: Plan, limits: ApplyLimits) -> Plan:
    """The plan as apply will take it: at most `max_deletions_per_apply` deletions, the largest savings
    first (then the oldest, then the stable key), the rest kept with `over_deletion_cap` so the next scan
    proposes them once this plan is applied. Apply refuses a plan over the cap as a whole; a plan that
    promises what merging does must not be one. `apply_limits` records the limits for the review page."""
    cap = limits.max_deletions_per_apply
    if len(plan.delete) <= cap:
        return plan.model_copy(update={"apply_limits": limits})
    ranked = sorted(plan.delete, key=entry_rank)
    deferred = [
        entry.model_copy(
            update={
                "reasons": [Reason.OVER_DELETION_CAP],
                "details": [f"candidate {rank:,} by savings; max_deletions_per_apply is {cap:,}"],
            }
        )
        for rank, entry in enumerate(ranked[cap:], start=cap + 1)
    ]
    delete = sort_entries(ranked[:cap])
    keep = sort_entries([*plan.keep, *deferred])
    deferred_usd = total_usd([e.estimated_monthly_cost_usd for e in deferred])
    note = (
        f"{len(deferred):,} more candidates (${deferred_usd:,.2f} / month) are over"
        f" max_deletions_per_apply ({cap:,}): kept in this plan as over_deletion_cap;"
        " the next scan proposes them once this plan is applied"
    )
    return plan.model_copy(
        update={
            "apply_limits": limits,
            "delete": delete,
            "keep": keep,
            "summary": summarize(delete, keep),
            "warnings": sorted({*plan.warnings, note}),
        }
    )
