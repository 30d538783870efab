"""One region's scan, a pipeline of named stages, cheapest first, each asked only about the versions
that nothing gathered so far keeps: inventory -> cheap protections (the protect tag; event source
mappings and Lambda@Edge) -> usage (and the aliases of the functions whose traffic needs them). The last
stage (aliases, state, then policy) runs for every region at once, in the order the plan's cap ranks
(cleaner.scan.rank_order)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from cleaner.aws.errors import AWS_ERRORS, describe
from cleaner.aws.session import AwsContext
from cleaner.exit_codes import AccessError
from cleaner.inventory import Evidence, Function, FunctionVersion, VersionKey
from cleaner.scan.aliases import check_aliases, settle_pending
from cleaner.scan.context import Progress, RegionContext
from cleaner.scan.ledger import Ledger, Pair, WarningLog
from cleaner.scan.policies import check_state_then_policy
from cleaner.scan.protections import check_region_listings, check_tags
from cleaner.scan.usage import UsageRead, check_usage
from cleaner.settings import ScanSettings


@dataclass
class RegionScan:
    aws: AwsContext
    region: str
    settings: ScanSettings
    now: datetime
    warnings: WarningLog
    progress: Progress
    read: UsageRead = field(default_factory=UsageRead)  # what usage leaves alias discovery

    def __post_init__(self) -> None:
        self.context = RegionContext(self.aws, self.region, self.settings, self.now, self.progress)
        self.ledger = Ledger(self.settings, self.now, self.warnings)

    @property
    def functions(self) -> list[Function]:
        return self.ledger.functions

    @property
    def evidence(self) -> dict[VersionKey, Evidence]:
        return self.ledger.evidence

    def run(self) -> None:
        """The inventory and every stage up to usage; the last stage is check_last_stage."""
        self.read_inventory()
        for stage in (self.check_tags, self.check_region_listings, self.check_usage):
            survivors = self.survivors()
            if not survivors:
                break
            stage(survivors)

    def read_inventory(self) -> None:
        """ListFunctions(FunctionVersion=ALL): every published version; those with SnapStart on for
        the version itself are considered. A region that cannot be listed fails the scan."""
        try:
            functions = self.context.inventory.list_functions()
        except AWS_ERRORS as error:
            raise AccessError(f"{describe(error, 'lambda:ListFunctions')} (region {self.region})") from error
        considered = self.ledger.consider(functions)
        self.progress(
            f"{self.region}: {len(considered)} published versions with SnapStart considered, in"
            f" {len({function.name for function, _ in considered})} functions"
            f" (of {sum(len(f.versions) for f in functions)} published versions in all)"
        )

    def check_tags(self, survivors: list[Pair]) -> None:
        check_tags(self.context, self.ledger, survivors)

    def check_region_listings(self, survivors: list[Pair]) -> None:
        check_region_listings(self.context, self.ledger, survivors)

    def check_usage(self, survivors: list[Pair]) -> None:
        self.read = check_usage(self.context, self.ledger, survivors)
        settle_pending(self.context, self.ledger, self.read)

    def check_last_stage(self, pairs: list[Pair]) -> None:
        """Aliases of these would-be candidates' functions (those not listed yet), then the state and
        policy of the versions that still qualify."""
        check_aliases(self.context, self.ledger, pairs, self.read)
        still = [pair for pair in pairs if self.qualifies(*pair)]
        if still:
            check_state_then_policy(self.context, self.ledger, still)

    def survivors(self) -> list[Pair]:
        return self.ledger.survivors()

    def qualifies(self, function: Function, version: FunctionVersion) -> bool:
        return self.ledger.qualifies(function, version)


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
