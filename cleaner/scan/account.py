"""One account's scan: every region's stages up to alias discovery (regions at once), the last stage in
rank order across them, then the plan (cleaner.planner.build_plan), capped as apply will take it."""

from __future__ import annotations

from datetime import datetime

from cleaner.aws.session import AwsContext
from cleaner.exit_codes import BadInputError
from cleaner.inventory import Evidence, Function, VersionKey
from cleaner.plan import Plan
from cleaner.planner import build_plan, cap_deletions, plan_pricing
from cleaner.savings import PlanHistory, Savings
from cleaner.scan.context import Progress
from cleaner.scan.ledger import WarningLog
from cleaner.scan.rank_order import check_in_rank_order
from cleaner.scan.region import RegionScan, scan_regions
from cleaner.scan.savings import read_bill, read_price_list, read_storage
from cleaner.settings import ApplyLimits, ScanSettings

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


def scan(
    aws: AwsContext,
    settings: ScanSettings,
    now: datetime,
    plan_id: str,
    progress: Progress,
    *,
    limits: ApplyLimits,
    history: PlanHistory | None = None,
) -> Plan:
    """The plan of one account's regions, as apply will take it: at most
    `limits.max_deletions_per_apply` deletions (planner.cap_deletions), the largest savings first.
    `history`: the plans merged on the default branch, for the bill's measured changes."""
    regions = resolve_regions(settings, aws)
    account_id = aws.account_id(regions[0])
    first = WarningLog()
    note = short_lookback_note(settings)
    if note:
        first.notes.append(note)
    history = history or PlanHistory()
    savings_notes = list(history.notes)
    region_scans = [RegionScan(aws, region, settings, now, WarningLog(), progress) for region in regions]
    scan_regions(region_scans, aws.performance.max_concurrent_regions)
    # Before the last stage: it ranks would-be candidates by their savings, at these prices.
    price_list = read_price_list(aws, regions, settings, savings_notes, progress)
    cap = limits.max_deletions_per_apply
    unchecked = check_in_rank_order(
        region_scans,
        plan_pricing(regions, settings, price_list),
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
    savings = Savings(
        storage=read_storage(aws, regions, savings_notes, progress),
        bill=read_bill(aws, settings, now, account_id, plan_id, history, savings_notes, progress),
        cost_explorer=settings.cost_explorer,
        notes=savings_notes,
    )
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
        price_list=price_list,
        savings=savings,
    )
    return cap_deletions(plan, limits)
