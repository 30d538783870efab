"""The last stage for every region at once: the would-be candidates (nothing up to usage keeps them)
ranked as the plan's cap ranks them (cleaner.planner.savings_rank: the largest savings first), their
aliases, state and policy read batch after batch until the plan is full (`max_deletions_per_apply`), so
a scan never lists the aliases or reads the policies of versions its plan could not propose anyway."""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cleaner.inventory import Function, FunctionVersion, VersionKey
from cleaner.plan import Pricing
from cleaner.planner import version_rank
from cleaner.scan.context import Progress
from cleaner.scan.ledger import Pair


class RegionChecks(Protocol):
    """What the last stage needs of a region's scan (cleaner.scan.region.RegionScan)."""

    region: str

    def survivors(self) -> list[Pair]: ...

    def qualifies(self, function: Function, version: FunctionVersion) -> bool: ...

    def check_last_stage(self, pairs: list[Pair]) -> None: ...


# Each batch of the last stage checks what the plan still misses plus a margin for the versions the
# checks then keep (a policy found, a state not settled, a failed check): a tenth more, at least a few.
BATCH_MARGIN_SHARE = 0.1
BATCH_MARGIN_MIN = 5


def batch_size(missing: int) -> int:
    return missing + max(math.ceil(missing * BATCH_MARGIN_SHARE), BATCH_MARGIN_MIN)


@dataclass(frozen=True)
class _Ranked:
    region_scan: RegionChecks
    position: int  # in its region's inventory order, so each region checks (and warns) in that order
    function: Function
    version: FunctionVersion


def check_in_rank_order(
    region_scans: Sequence[RegionChecks],
    pricing: Pricing,
    now: datetime,
    cap: int,
    max_concurrent: int,
    progress: Progress,
) -> list[VersionKey]:
    """Aliases, state, then resource policy of every region's would-be candidates, in the order the
    plan's cap ranks them (planner.version_rank: the largest savings first), batch after batch until
    `cap` of them qualify; each call goes through its region's client, limiter and worker pool, the
    regions of a batch at once. Returns the would-be candidates left unchecked, in rank order.

    Every checked version ranks above every unchecked one, so the `cap` best that qualify among those
    checked are the `cap` best that qualify at all: the capped plan is the one checking every version
    would have given."""
    checked: list[_Ranked] = []
    done: set[VersionKey] = set()
    while True:
        # Ranked again before each batch: a function's aliases, listed for one of its versions, may
        # keep its other versions, and none of them is then worth a batch's place.
        ranked = _unchecked_ranked(region_scans, done, pricing, now)
        qualified = sum(item.region_scan.qualifies(item.function, item.version) for item in checked)
        if not ranked or qualified >= cap:
            return [item.version.key for item in ranked]
        batch = ranked[: batch_size(cap - qualified)]
        if checked or len(batch) < len(ranked):
            total = len(checked) + len(ranked)
            progress(
                f"checking the aliases, state and resource policy of would-be candidates"
                f" {len(checked) + 1:,} to {len(checked) + len(batch):,} of {total:,} by savings"
                f" ({qualified:,} of max_deletions_per_apply {cap:,} qualify so far)"
            )
        checked += batch
        done.update(item.version.key for item in batch)
        _check_batch(batch, max_concurrent)


def _unchecked_ranked(
    region_scans: Sequence[RegionChecks], done: set[VersionKey], pricing: Pricing, now: datetime
) -> list[_Ranked]:
    return sorted(
        (
            _Ranked(region_scan, position, function, version)
            for region_scan in region_scans
            for position, (function, version) in enumerate(region_scan.survivors())
            if version.key not in done
        ),
        key=lambda item: version_rank(item.version, pricing, now),
    )


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
            region_scan.check_last_stage(pairs)
        return
    with ThreadPoolExecutor(max_workers=min(max_concurrent, len(work)), thread_name_prefix="region") as pool:
        futures = [pool.submit(region_scan.check_last_stage, pairs) for region_scan, pairs in work]
        wait(futures)
    for future in futures:
        future.result()
