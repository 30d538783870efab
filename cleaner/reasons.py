"""Reason flags: why a SnapStart version is kept, or why it qualifies for deletion (README.md, "What is
a candidate")."""

from enum import StrEnum


class Reason(StrEnum):
    # Declaration order is the order reasons are listed in plans: cheap, obvious reasons first.
    EXCLUDED_BY_FILTER = "excluded_by_filter"
    TAG_PROTECTED = "tag_protected"
    TOO_RECENT = "too_recent"
    PROTECTED_KEPT_LAST_N = "protected_kept_last_n"
    ALIAS_PROTECTED = "alias_protected"
    EVENT_SOURCE_MAPPING_PROTECTED = "event_source_mapping_protected"
    CLOUDFRONT_PROTECTED = "cloudfront_protected"
    HAS_RECENT_INVOCATIONS = "has_recent_invocations"
    FUNCTION_LEVEL_ACTIVITY_UNCERTAIN = "function_level_activity_uncertain"
    RESOURCE_POLICY_PROTECTED = "resource_policy_protected"
    CHECK_INCOMPLETE = "check_incomplete"
    # A candidate beyond max_deletions_per_apply: kept in this plan so that merging it applies as
    # promised (apply refuses a plan over the cap); the next scan proposes it again.
    OVER_DELETION_CAP = "over_deletion_cap"
    # A would-be candidate (every check up to ListAliases passed) whose state and own resource policy
    # were never read: the plan had filled up with higher savings first. Not a candidate, never in
    # `delete`; the next scan checks it.
    NOT_CHECKED_PLAN_FULL = "not_checked_plan_full"
    NO_ACTIVITY_AND_STALE = "no_activity_and_stale"


REASON_ORDER: dict[Reason, int] = {reason: index for index, reason in enumerate(Reason)}

REASON_DESCRIPTIONS: dict[Reason, str] = {
    Reason.EXCLUDED_BY_FILTER: "excluded by include/exclude (or include_uncharged_runtimes = false)",
    Reason.TAG_PROTECTED: "the function carries the protect tag",
    Reason.TOO_RECENT: "younger than min_age_days",
    Reason.PROTECTED_KEPT_LAST_N: "among the newest keep_last_n published versions",
    Reason.ALIAS_PROTECTED: "an alias points at it (primary or weighted routing)",
    Reason.EVENT_SOURCE_MAPPING_PROTECTED: "an event source mapping targets it",
    Reason.CLOUDFRONT_PROTECTED: "associated with a CloudFront distribution (Lambda@Edge)",
    Reason.HAS_RECENT_INVOCATIONS: "invoked within the lookback window",
    Reason.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN: "function-level traffic not explained by version/alias series",
    Reason.RESOURCE_POLICY_PROTECTED: "has its own resource-based policy",
    Reason.CHECK_INCOMPLETE: "a check could not be completed (kept: fail closed)",
    Reason.OVER_DELETION_CAP: "a candidate beyond max_deletions_per_apply: the next plan proposes it",
    Reason.NOT_CHECKED_PLAN_FULL: (
        "not checked (aliases, state, resource policy): the plan was full with larger savings;"
        " the next plan checks it"
    ),
    Reason.NO_ACTIVITY_AND_STALE: "every check passed: stale and unused",
}


def sort_reasons(reasons: set[Reason] | list[Reason]) -> list[Reason]:
    return sorted(set(reasons), key=REASON_ORDER.__getitem__)


# Kept for a rule that says nothing about this version's use (age, position, a filter, the cap): shown
# one line per function, after the versions kept for a reason a reviewer should look at.
ROUTINE_REASONS: frozenset[Reason] = frozenset(
    {
        Reason.EXCLUDED_BY_FILTER,
        Reason.TOO_RECENT,
        Reason.PROTECTED_KEPT_LAST_N,
        Reason.OVER_DELETION_CAP,
        Reason.NOT_CHECKED_PLAN_FULL,
    }
)
