"""The scan: inventory -> evidence -> policy -> plan, as a pipeline of named stages.

Evidence is gathered cheapest first, and each costlier check is asked only about the versions that
nothing gathered so far keeps: the shared 15-rps Lambda control plane is also what the user's deploy
pipelines use, so a scan spends it per function or per region, never per version.

Per region (`region`, regions at once): the inventory (ListFunctions) -> cheap protections, one listing
each (`protections`: the protect tag, event source mappings, Lambda@Edge) -> usage (`usage`: CloudWatch,
alias names from its own listing of its series; `aliases` for the functions whose traffic needs them).
Then, for every region at once, the last stage (`rank_order`: `aliases`, ListAliases per function, usage
read again where it must; `policies`, state and own resource policy per version), largest savings first,
until the plan is full. What each stage finds goes into the region's `ledger`; the plan is built from it
(`account`, cleaner.planner.build_plan).
"""

from cleaner.scan.account import resolve_regions, scan, short_lookback_note
from cleaner.scan.ledger import Ledger, WarningLog
from cleaner.scan.protections import LAMBDA_EDGE_REGION
from cleaner.scan.rank_order import batch_size, check_in_rank_order
from cleaner.scan.region import RegionScan, scan_regions

__all__ = [
    "LAMBDA_EDGE_REGION",
    "Ledger",
    "RegionScan",
    "WarningLog",
    "batch_size",
    "check_in_rank_order",
    "resolve_regions",
    "scan",
    "scan_regions",
    "short_lookback_note",
]
