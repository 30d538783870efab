"""The classification policy: pure functions from inventory + evidence + settings to a decision.

Each protection is one small named unit with its reason flag. A version is a deletion candidate only
when no protection fires *and* every protection could be evaluated: missing evidence on a would-be
candidate is `check_incomplete`, so a forgotten or failed check can never lead to a deletion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cleaner.cost import cache_is_billed
from cleaner.inventory import Evidence, Function, FunctionVersion
from cleaner.reasons import Reason, sort_reasons
from cleaner.settings import ScanSettings

# States of a version the scan considers; Pending versions are still being created (a later scan sees them).
CONSIDERED_STATES = frozenset({"Active", "Inactive", "Failed"})
# The detail of excluded_by_filter when include_uncharged_runtimes = false leaves a version out.
UNCHARGED_RUNTIME_DETAIL = "runtime without a cache charge"


@dataclass(frozen=True, slots=True)
class Subject:
    function: Function
    version: FunctionVersion
    evidence: Evidence
    settings: ScanSettings
    now: datetime


@dataclass(frozen=True, slots=True)
class Protection:
    reason: Reason
    # The Evidence field this protection reads; None for the cheap ones that need only the inventory.
    needs: str | None
    # Returns why it fires (a short human detail), or None when it does not.
    fires: Callable[[Subject], str | None]


def _excluded(s: Subject) -> str | None:
    if s.settings.is_excluded(s.function.name):
        return "excluded by include/exclude settings"
    if not s.settings.include_uncharged_runtimes and not cache_is_billed(s.version.runtime):
        return UNCHARGED_RUNTIME_DETAIL
    return None


def _too_recent(s: Subject) -> str | None:
    _, min_age_days = s.settings.thresholds_for(s.function.name)
    if s.version.last_modified > s.now:
        # Modified after the instant evaluated (clock skew, or a past --now): too recent at any setting.
        return f"modified {s.version.last_modified.isoformat()}, after the scan's now"
    age = age_days(s.version, s.now)
    if age >= min_age_days:
        return None
    return f"{age} day{'' if age == 1 else 's'} old < min_age_days {min_age_days}"


def _kept_last_n(s: Subject) -> str | None:
    keep_last_n, _ = s.settings.thresholds_for(s.function.name)
    if s.version.version in s.function.newest_version_numbers(keep_last_n):
        return f"among the newest {keep_last_n} published versions"
    return None


def _tagged(s: Subject) -> str | None:
    return f"function tagged {s.settings.protect_tag}" if s.evidence.tag_protected else None


def _aliased(s: Subject) -> str | None:
    return ", ".join(s.evidence.aliases) if s.evidence.aliases else None


def _event_source_mapped(s: Subject) -> str | None:
    mappings = s.evidence.event_source_mappings
    return "event source mapping " + ", ".join(mappings) if mappings else None


def _cloudfront(s: Subject) -> str | None:
    distributions = s.evidence.cloudfront_distributions
    return "CloudFront distribution " + ", ".join(distributions) if distributions else None


def _invoked(s: Subject) -> str | None:
    usage = s.evidence.usage
    if usage is None or usage.total <= 0:
        return None
    return f"{usage.direct:g} direct + {usage.via_aliases:g} alias-routed invocations in the lookback window"


def _unattributed(s: Subject) -> str | None:
    unexplained = s.evidence.unattributed_function_invocations
    if unexplained is None or unexplained <= 0:
        return None
    return f"{unexplained:g} function-level invocations not attributable to a version or alias"


def _state_not_considered(s: Subject) -> str | None:
    state = s.evidence.state
    return f"state {state}: not settled" if state not in CONSIDERED_STATES else None


def _own_policy(s: Subject) -> str | None:
    statements = s.evidence.own_policy_statements
    return "resource policy statement " + ", ".join(statements) if statements else None


# Ordered cheapest first; the scanner gathers evidence in this order and stops asking for more about a
# version as soon as one protection fires.
PROTECTIONS: tuple[Protection, ...] = (
    Protection(Reason.EXCLUDED_BY_FILTER, None, _excluded),
    Protection(Reason.TOO_RECENT, None, _too_recent),
    Protection(Reason.PROTECTED_KEPT_LAST_N, None, _kept_last_n),
    Protection(Reason.TAG_PROTECTED, "tag_protected", _tagged),
    Protection(Reason.ALIAS_PROTECTED, "aliases", _aliased),
    Protection(Reason.EVENT_SOURCE_MAPPING_PROTECTED, "event_source_mappings", _event_source_mapped),
    Protection(Reason.CLOUDFRONT_PROTECTED, "cloudfront_distributions", _cloudfront),
    Protection(Reason.HAS_RECENT_INVOCATIONS, "usage", _invoked),
    Protection(Reason.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN, "unattributed_function_invocations", _unattributed),
    Protection(Reason.CHECK_INCOMPLETE, "state", _state_not_considered),
    Protection(Reason.RESOURCE_POLICY_PROTECTED, "own_policy_statements", _own_policy),
)

EVIDENCE_FIELDS: tuple[str, ...] = tuple(p.needs for p in PROTECTIONS if p.needs is not None)


@dataclass(frozen=True, slots=True)
class Decision:
    reasons: list[Reason]
    details: list[str]
    unchecked: list[str]  # evidence that was never gathered

    @property
    def delete(self) -> bool:
        return self.reasons == [Reason.NO_ACTIVITY_AND_STALE]


def age_days(version: FunctionVersion, now: datetime) -> int:
    return max((now - version.last_modified).days, 0)


def _evaluate(
    subject: Subject, not_required: frozenset[str] = frozenset()
) -> tuple[dict[Reason, list[str]], list[str]]:
    fired: dict[Reason, list[str]] = {}
    unchecked: list[str] = []
    for protection in PROTECTIONS:
        if protection.needs in not_required:
            continue
        if protection.needs is not None and getattr(subject.evidence, protection.needs) is None:
            unchecked.append(protection.needs)
            continue
        detail = protection.fires(subject)
        if detail is not None:
            fired.setdefault(protection.reason, []).append(detail)
    if subject.evidence.incomplete:
        fired.setdefault(Reason.CHECK_INCOMPLETE, []).extend(subject.evidence.incomplete)
    return fired, unchecked


def decide(
    function: Function,
    version: FunctionVersion,
    evidence: Evidence,
    settings: ScanSettings,
    now: datetime,
    *,
    not_required: frozenset[str] = frozenset(),
) -> Decision:
    """Every reason that fires for one SnapStart version; `no_activity_and_stale` when none does.

    `not_required` names evidence fields a caller deliberately does not gather (the apply does not
    re-read CloudFront or the state: see cleaner/reverify.py); every other missing field keeps the
    version with `check_incomplete`."""
    fired, unchecked = _evaluate(Subject(function, version, evidence, settings, now), not_required)
    if not fired and unchecked:
        # Nothing protects it but not everything was looked at: never propose on missing information.
        fired[Reason.CHECK_INCOMPLETE] = ["not checked: " + ", ".join(unchecked)]
    if not fired:
        fired[Reason.NO_ACTIVITY_AND_STALE] = []
    reasons = sort_reasons(list(fired))
    details = [detail for reason in reasons for detail in fired[reason]]
    return Decision(reasons=reasons, details=details, unchecked=unchecked)


def still_candidate(
    function: Function,
    version: FunctionVersion,
    evidence: Evidence,
    settings: ScanSettings,
    now: datetime,
    *,
    not_required: frozenset[str] = frozenset(),
) -> bool:
    """True while nothing gathered so far keeps the version: it is worth the next, costlier check."""
    fired, _ = _evaluate(Subject(function, version, evidence, settings, now), not_required)
    return not fired
