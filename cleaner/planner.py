"""Build a plan from an inventory and the evidence gathered for it (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cleaner.cost import monthly_cache_cost_usd, total_usd
from cleaner.inventory import Evidence, Function, FunctionVersion, VersionKey
from cleaner.plan import SCHEMA_VERSION, Plan, PlanEntry, Pricing, RegionPrice, sort_entries, summarize
from cleaner.policy import age_days, decide
from cleaner.prices import resolve_cache_price
from cleaner.reasons import Reason
from cleaner.settings import ApplyLimits, ScanSettings


def snapstart_versions(functions: list[Function]) -> list[tuple[Function, FunctionVersion]]:
    """The versions the scan considers: SnapStart on for the version itself."""
    return [(f, v) for f in functions for v in f.versions if v.snapstart]


def plan_pricing(regions: list[str], settings: ScanSettings) -> Pricing:
    """Each region's cache price, resolved once per plan (cleaner.prices)."""
    default = settings.cache_price_per_gb_second
    return Pricing(
        cache_price_per_gb_second=default,
        regions={
            region: RegionPrice.of(resolve_cache_price(region, settings.cache_prices, default))
            for region in regions
        },
    )


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
) -> Plan:
    pricing = plan_pricing(regions, settings)
    delete: list[PlanEntry] = []
    keep: list[PlanEntry] = []
    for function, version in snapstart_versions(functions):
        found = evidence.get(version.key, Evidence())
        decision = decide(function, version, found, settings, now)
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
            estimated_monthly_cost_usd=monthly_cache_cost_usd(
                version.runtime, version.memory_mb, pricing.price_for(version.region)
            ),
            reasons=decision.reasons,
            details=decision.details,
        )
        (delete if decision.delete else keep).append(entry)
    delete, keep = sort_entries(delete), sort_entries(keep)
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
    ranked = sorted(plan.delete, key=lambda e: (-e.estimated_monthly_cost_usd, -e.age_days, e.key))
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
