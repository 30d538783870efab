"""Re-verification of one planned deletion against live state (pure: the evidence is gathered by
cleaner/applier.py). The same policy as the scan decides, on fresh evidence, so a version is deleted
only if the scan would still propose it now; on top of that the version must be the very one the plan
saw (same code and LastModified), since version numbers are reused when a function is re-created,
and it must be a SnapStart version: the plan is a file a person can edit, and the cleaner exists to delete
SnapStart versions only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cleaner.apply_result import Outcome
from cleaner.inventory import Evidence, Function
from cleaner.plan import PlanEntry
from cleaner.policy import decide, still_candidate
from cleaner.reasons import Reason, sort_reasons
from cleaner.settings import ScanSettings

# Evidence the apply deliberately does not re-read:
# - CloudFront: AWS itself refuses to delete a replicated Lambda@Edge version (reported per entry), and
#   the apply role needs no CloudFront access;
# - state: a version's state (Active, Inactive, Failed) does not make deleting it more or less safe.
NOT_REVERIFIED = frozenset({"cloudfront_distributions", "state"})

VERSION_CHANGED = "version_changed"
NOT_SNAPSTART = "not_snapstart"
INVOKED_SINCE_SCAN = "invoked_since_scan"
_DRIFT_NAMES = {Reason.HAS_RECENT_INVOCATIONS: INVOKED_SINCE_SCAN}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome | None  # None: still qualifies, go ahead and delete
    reasons: tuple[str, ...] = ()
    message: str = ""


PROCEED = Verdict(None)


def find_live_version(entry: PlanEntry, live: Function | None) -> Verdict | None:
    """The cheap part: is the planned version still there, and still the same version?"""
    if live is None:
        return Verdict(Outcome.ALREADY_DELETED, message="function no longer exists")
    version = next((v for v in live.versions if str(v.version) == entry.version), None)
    if version is None:
        return Verdict(Outcome.ALREADY_DELETED, message="version no longer exists")
    changed = [
        name
        for name, planned, now in (
            ("code_sha256", entry.code_sha256, version.code_sha256),
            ("last_modified", entry.last_modified, version.last_modified),
        )
        if planned != now
    ]
    if changed:
        return Verdict(
            Outcome.SKIPPED,
            (VERSION_CHANGED,),
            f"{' and '.join(changed)} differ from the plan: the function was re-created or the number reused",
        )
    if not version.snapstart:
        # Only a hand-edited plan gets here (the scan proposes SnapStart versions only, and a published
        # version's configuration never changes): keep it, whatever else the plan says about it.
        return Verdict(
            Outcome.SKIPPED,
            (NOT_SNAPSTART,),
            "SnapStart.ApplyOn of this version is not PublishedVersions: not a version the cleaner deletes",
        )
    return None


def reverify(
    entry: PlanEntry,
    live: Function,
    evidence: Evidence,
    settings: list[ScanSettings],
    now: datetime,
) -> Verdict:
    """Decide with every given settings (the plan's and the repository's current): kept if any keeps.

    One settings keeping the version on evidence settles it: the evidence the other would still have
    needed was deliberately not gathered (the applier skips GetPolicy for a version already kept), and
    is no failed check. A check that was attempted and failed is always reported."""
    version = next(v for v in live.versions if str(v.version) == entry.version)
    kept: list[Reason] = []
    kept_details: list[str] = []
    unchecked: list[str] = []
    for scan_settings in settings:
        decision = decide(live, version, evidence, scan_settings, now, not_required=NOT_REVERIFIED)
        if decision.delete:
            continue
        if still_candidate(live, version, evidence, scan_settings, now, not_required=NOT_REVERIFIED):
            # Nothing fired: kept only because some evidence was not gathered (the "not checked" detail).
            unchecked += [d for d in decision.details if d not in unchecked]
            continue
        kept += [r for r in decision.reasons if r not in kept]
        kept_details += [d for d in decision.details if d not in kept_details]
    if kept:
        reasons, details = sort_reasons(kept), kept_details
    elif unchecked:
        reasons, details = [Reason.CHECK_INCOMPLETE], unchecked
    else:
        return PROCEED
    names = tuple(_DRIFT_NAMES.get(reason, reason.value) for reason in reasons)
    if reasons == [Reason.CHECK_INCOMPLETE]:
        # Nothing says it is protected, but we could not make sure: keep it, and fail the run.
        return Verdict(Outcome.FAILED, names, "; ".join(details))
    return Verdict(Outcome.SKIPPED, names, "; ".join(details))
