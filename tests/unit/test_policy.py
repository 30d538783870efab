"""The classification policy (cleaner/policy.py): one table row per reason flag firing and not firing,
then properties that must hold for any inventory, evidence and settings."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner.inventory import Alias, Evidence, Function, FunctionVersion, Usage
from cleaner.policy import EVIDENCE_FIELDS, PROTECTIONS, decide, still_candidate
from cleaner.reasons import Reason
from cleaner.settings import ScanSettings

from .factories import NOW, clear_evidence, function, only
from .factories import settings as scan_settings
from .factories import version as make_version

R = Reason
# Set by the planner for a plan's cap (max_deletions_per_apply), never by decide.
PLAN_CAP_REASONS = {Reason.OVER_DELETION_CAP, Reason.NOT_CHECKED_PLAN_FULL}
STALE = [R.NO_ACTIVITY_AND_STALE]


@dataclass(frozen=True)
class Case:
    """Version `number` of `fn`, with `evidence`, under `settings`, is kept for exactly `reasons`."""

    fn: Function
    number: int
    evidence: Evidence
    settings: dict[str, Any]
    reasons: list[Reason]


def case(
    reasons: list[Reason],
    *,
    fn: Function | None = None,
    number: int = 1,
    settings: dict[str, Any] | None = None,
    **evidence: Any,
) -> Case:
    return Case(fn or function(), number, clear_evidence(**evidence), settings or {}, reasons)


def _age(days: float, seconds: float = 0) -> Function:
    """A function whose version 1 is exactly that old, with enough newer versions for keep_last_n 3."""
    old = function("api", (90, 80, 70, 60))
    exact = make_version("api", 1, age=timedelta(days=days, seconds=seconds))
    return Function(old.region, old.name, old.arn, (exact, *old.versions[1:]))


CASES: dict[str, Case] = {
    # --- every check passed ---
    "stale-and-unused": case(STALE),
    # --- excluded_by_filter ---
    "exclude-glob-matches": case([R.EXCLUDED_BY_FILTER], settings={"exclude": ["ap*"]}),
    "exclude-glob-other-name": case(STALE, settings={"exclude": ["sandbox-*"]}),
    "include-glob-misses": case([R.EXCLUDED_BY_FILTER], settings={"include": ["payments-*"]}),
    "include-glob-matches": case(STALE, settings={"include": ["payments-*", "a?i"]}),
    "included-but-also-excluded": case(
        [R.EXCLUDED_BY_FILTER], settings={"include": ["api"], "exclude": ["api"]}
    ),
    "globs-are-case-sensitive": case(STALE, settings={"exclude": ["API"]}),
    "uncharged-runtime-left-out": case(
        [R.EXCLUDED_BY_FILTER],
        fn=function(runtime="java21"),
        settings={"include_uncharged_runtimes": False},
    ),
    "uncharged-runtime-proposed-by-default": case(STALE, fn=function(runtime="java21")),
    "charged-runtime-not-left-out": case(
        STALE, fn=function(runtime="dotnet8"), settings={"include_uncharged_runtimes": False}
    ),
    # --- tag_protected ---
    "protect-tag": case([R.TAG_PROTECTED], tag_protected=True),
    "no-protect-tag": case(STALE, tag_protected=False),
    # --- too_recent ---
    "one-second-younger-than-min-age": case(
        [R.TOO_RECENT], fn=_age(14, seconds=-1), settings={"min_age_days": 14}
    ),
    "age-exactly-min-age-days": case(STALE, fn=_age(14), settings={"min_age_days": 14}),
    "min-age-zero-keeps-nothing-for-age": case(STALE, fn=_age(0), settings={"min_age_days": 0}),
    "last-modified-after-now": case([R.TOO_RECENT], fn=_age(-2), settings={"min_age_days": 1}),
    "last-modified-after-now-even-with-min-age-zero": case(
        [R.TOO_RECENT], fn=_age(0, seconds=-1), settings={"min_age_days": 0}
    ),
    # --- protected_kept_last_n ---
    "newest-is-kept-last-n": case([R.PROTECTED_KEPT_LAST_N], number=5),
    "third-newest-is-kept-last-n": case([R.PROTECTED_KEPT_LAST_N], number=3),
    "fourth-newest-is-not": case(STALE, number=2),
    "keep-last-n-counts-versions-without-snapstart": case(
        STALE,
        fn=function("api", (90, 80, 70, 60, 50), snapstart=(True, True, True, False, False)),
        number=2,
    ),
    "keep-last-n-counts-versions-without-snapstart-newest-snapstart-kept": case(
        [R.PROTECTED_KEPT_LAST_N],
        fn=function("api", (90, 80, 70, 60, 50), snapstart=(True, True, True, False, False)),
        number=3,
    ),
    "keep-last-n-zero-keeps-none": case(STALE, number=5, settings={"keep_last_n": 0}),
    "keep-last-n-by-version-number-not-position": case(
        [R.PROTECTED_KEPT_LAST_N],
        fn=function("api", (90, 80, 70), numbers=(3, 17, 9)),
        number=9,
        settings={"keep_last_n": 2},
    ),
    "keep-last-n-larger-than-version-count": case(
        [R.PROTECTED_KEPT_LAST_N], number=1, settings={"keep_last_n": 50}
    ),
    # --- per-function overrides ---
    "override-raises-keep-last-n": case(
        [R.PROTECTED_KEPT_LAST_N], number=2, settings={"overrides": [{"functions": "a*", "keep_last_n": 4}]}
    ),
    "override-raises-min-age": case(
        [R.TOO_RECENT], number=1, settings={"overrides": [{"functions": "api", "min_age_days": 91}]}
    ),
    "override-for-another-function": case(
        STALE, number=2, settings={"overrides": [{"functions": "payments-*", "keep_last_n": 10}]}
    ),
    "first-matching-override-wins": case(
        STALE,
        number=2,
        settings={
            "overrides": [
                {"functions": "ap?", "keep_last_n": 1},
                {"functions": "api", "keep_last_n": 10},
            ]
        },
    ),
    "override-without-keep-last-n-inherits-it": case(
        [R.PROTECTED_KEPT_LAST_N],
        number=3,
        settings={"keep_last_n": 3, "overrides": [{"functions": "api", "min_age_days": 1}]},
    ),
    # --- alias_protected ---
    "alias-primary": case([R.ALIAS_PROTECTED], aliases=("alias live (primary)",)),
    "alias-weighted-routing": case(
        [R.ALIAS_PROTECTED],
        aliases=(str(Alias("live", "5", (("1", 0.1),)).describe_target("1")),),
    ),
    "no-alias": case(STALE, aliases=()),
    # --- event_source_mapping_protected ---
    "event-source-mapping": case([R.EVENT_SOURCE_MAPPING_PROTECTED], event_source_mappings=("uuid-1",)),
    "no-event-source-mapping": case(STALE, event_source_mappings=()),
    # --- cloudfront_protected ---
    "lambda-at-edge": case([R.CLOUDFRONT_PROTECTED], cloudfront_distributions=("E2QWRUHEXAMPLE",)),
    "no-lambda-at-edge": case(STALE, cloudfront_distributions=()),
    # --- has_recent_invocations ---
    "invoked-directly": case([R.HAS_RECENT_INVOCATIONS], usage=Usage(direct=1, last_invoked=NOW)),
    "invoked-through-alias": case([R.HAS_RECENT_INVOCATIONS], usage=Usage(via_aliases=0.5)),
    "no-invocations": case(STALE, usage=Usage()),
    # --- function_level_activity_uncertain ---
    "unattributed-function-traffic": case(
        [R.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN], unattributed_function_invocations=3.0
    ),
    "function-traffic-fully-explained": case(STALE, unattributed_function_invocations=0.0),
    # --- resource_policy_protected ---
    "own-resource-policy": case([R.RESOURCE_POLICY_PROTECTED], own_policy_statements=("allow-sns",)),
    "no-own-resource-policy": case(STALE, own_policy_statements=()),
    # --- check_incomplete ---
    "state-pending": case([R.CHECK_INCOMPLETE], state="Pending"),
    "state-unknown-value": case([R.CHECK_INCOMPLETE], state="Deleting"),
    "state-inactive-is-considered": case(STALE, state="Inactive"),
    "state-failed-is-considered": case(STALE, state="Failed"),
    "a-check-failed": case([R.CHECK_INCOMPLETE], incomplete=("lambda:GetPolicy: AccessDenied",)),
    "state-never-read": case([R.CHECK_INCOMPLETE], state=None),
    "usage-never-read": case([R.CHECK_INCOMPLETE], usage=None),
    "policy-never-read": case([R.CHECK_INCOMPLETE], own_policy_statements=None),
    # --- several at once: every reason, in the documented order ---
    "every-reason-fires": case(
        # over_deletion_cap and not_checked_plan_full are set by the planner on a whole plan's cap,
        # never by decide
        [r for r in Reason if r not in (R.NO_ACTIVITY_AND_STALE, *PLAN_CAP_REASONS)],
        fn=_age(1),
        settings={"exclude": ["api"], "keep_last_n": 4},
        tag_protected=True,
        aliases=("alias live (primary)",),
        event_source_mappings=("uuid-1",),
        cloudfront_distributions=("E1",),
        usage=Usage(direct=2),
        unattributed_function_invocations=1.0,
        state="Pending",
        own_policy_statements=("sid",),
    ),
    "kept-by-a-cheap-reason-needs-no-evidence": Case(
        function(), 5, Evidence(), {}, [R.PROTECTED_KEPT_LAST_N]
    ),
    "a-failed-check-plus-a-protection": case(
        [R.ALIAS_PROTECTED, R.CHECK_INCOMPLETE], aliases=("alias live (primary)",), incomplete=("throttled",)
    ),
}


@pytest.mark.parametrize("c", CASES.values(), ids=CASES.keys())
def test_decide_lists_every_fired_reason_in_documented_order(c: Case) -> None:
    decision = decide(c.fn, only(c.fn, c.number), c.evidence, scan_settings(**c.settings), NOW)
    assert decision.reasons == c.reasons
    assert decision.delete == (c.reasons == STALE)


def test_every_reason_flag_has_a_firing_row_in_the_table() -> None:
    fired = {reason for c in CASES.values() for reason in c.reasons}
    assert fired == set(Reason) - PLAN_CAP_REASONS  # the plan's cap, not a decision


def test_a_version_left_out_for_its_runtime_says_so() -> None:
    fn = function(runtime="java21")
    left_out = scan_settings(include_uncharged_runtimes=False)
    decision = decide(fn, only(fn, 1), clear_evidence(), left_out, NOW)
    assert decision.reasons == [R.EXCLUDED_BY_FILTER]
    assert decision.details == ["runtime without a cache charge"]
    # A name filter is the reason given when both apply: one detail per reason.
    both = scan_settings(include_uncharged_runtimes=False, exclude=["api"])
    both_details = decide(fn, only(fn, 1), clear_evidence(), both, NOW).details
    assert both_details == ["excluded by include/exclude settings"]


def test_details_explain_each_reason_in_the_same_order() -> None:
    c = CASES["every-reason-fires"]
    decision = decide(c.fn, only(c.fn, c.number), c.evidence, scan_settings(**c.settings), NOW)
    assert decision.details == [
        "excluded by include/exclude settings",
        "function tagged snapstart-cleaner:keep",
        "1 day old < min_age_days 14",
        "among the newest 4 published versions",
        "alias live (primary)",
        "event source mapping uuid-1",
        "CloudFront distribution E1",
        "2 direct + 0 alias-routed invocations in the lookback window",
        "1 function-level invocations not attributable to a version or alias",
        "resource policy statement sid",
        "state Pending: not settled",
    ]


def test_a_failed_check_is_reported_with_its_message() -> None:
    fn = function()
    evidence = clear_evidence().failed("cloudwatch:GetMetricData: Throttling").failed("tag:GetResources: 500")
    decision = decide(fn, only(fn, 1), evidence, scan_settings(), NOW)
    assert decision.reasons == [R.CHECK_INCOMPLETE]
    assert decision.details == ["cloudwatch:GetMetricData: Throttling", "tag:GetResources: 500"]


def test_missing_evidence_on_a_would_be_candidate_names_the_unchecked_fields() -> None:
    fn = function()
    decision = decide(fn, only(fn, 1), clear_evidence(usage=None, state=None), scan_settings(), NOW)
    assert decision.reasons == [R.CHECK_INCOMPLETE]
    assert decision.unchecked == ["usage", "state"]
    assert decision.details == ["not checked: usage, state"]


def test_weighted_alias_describes_its_weight_and_primary_wins() -> None:
    alias = Alias("live", "5", (("3", 0.25),))
    assert alias.describe_target("5") == "alias live (primary)"
    assert alias.describe_target("3") == "alias live (weighted 0.25)"
    assert alias.describe_target("4") is None


def test_every_evidence_field_is_read_by_some_protection() -> None:
    # A new Evidence field that no protection reads would be gathered for nothing (or forgotten).
    readable = {f.name for f in fields(Evidence)} - {"incomplete"}
    assert set(EVIDENCE_FIELDS) == readable


# --- properties ----------------------------------------------------------------------------------------

NAMES = ("api", "api-v2", "payments-charge", "sandbox-1")
GLOBS = ("api*", "payments-*", "sandbox-*", "*", "a?i", "nothing")
RUNTIMES = ("python3.12", "dotnet8", "java21", "java17")


@st.composite
def functions(draw: st.DrawFn) -> Function:
    name = draw(st.sampled_from(NAMES))
    runtime = draw(st.sampled_from(RUNTIMES))
    numbers = sorted(draw(st.sets(st.integers(1, 40), min_size=1, max_size=8)))
    ages = sorted(
        (draw(st.integers(-3 * 86400, 60 * 86400)) for _ in numbers),
        reverse=True,  # oldest first
    )
    versions = tuple(
        make_version(name, n, age=timedelta(seconds=a), snapstart=draw(st.booleans()), runtime=runtime)
        for n, a in zip(numbers, ages, strict=True)
    )
    return Function(
        versions[0].region, name, f"arn:aws:lambda:us-east-1:123456789012:function:{name}", versions
    )


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | values


ids = st.tuples() | st.tuples(st.sampled_from(("a", "b")))
evidences = st.builds(
    Evidence,
    tag_protected=_maybe(st.booleans()),
    aliases=_maybe(ids),
    event_source_mappings=_maybe(ids),
    cloudfront_distributions=_maybe(ids),
    usage=_maybe(
        st.builds(
            Usage,
            direct=st.sampled_from((0.0, 0.0, 1.0, 0.5)),
            via_aliases=st.sampled_from((0.0, 0.0, 3.0)),
        )
    ),
    unattributed_function_invocations=_maybe(st.sampled_from((0.0, 0.0, 2.0))),
    state=_maybe(st.sampled_from(("Active", "Active", "Inactive", "Failed", "Pending"))),
    own_policy_statements=_maybe(ids),
    incomplete=st.sampled_from(((), (), ("denied",))),
)
overrides = st.lists(
    st.fixed_dictionaries(
        {"functions": st.sampled_from(GLOBS)},
        optional={"keep_last_n": st.integers(0, 6), "min_age_days": st.integers(0, 40)},
    ),
    max_size=2,
)
scan_settings_strategy = st.builds(
    lambda **values: ScanSettings.model_validate(values),
    min_age_days=st.integers(0, 40),
    keep_last_n=st.integers(0, 6),
    include=st.lists(st.sampled_from(GLOBS), max_size=2),
    exclude=st.lists(st.sampled_from(GLOBS), max_size=2),
    overrides=overrides,
    include_uncharged_runtimes=st.booleans(),
)


@st.composite
def subjects(draw: st.DrawFn) -> tuple[Function, FunctionVersion, Evidence, ScanSettings]:
    fn = draw(functions())
    return fn, draw(st.sampled_from(fn.versions)), draw(evidences), draw(scan_settings_strategy)


def oracle_protections(fn: Function, v: FunctionVersion, e: Evidence, s: ScanSettings) -> set[Reason]:
    """The README's table ("What is a candidate"), written independently of cleaner/policy.py: every
    protection that holds on the evidence gathered (unchecked fields protect nothing by themselves)."""
    keep_n, min_age = s.keep_last_n, s.min_age_days
    for override in s.overrides:
        if fnmatch.fnmatchcase(fn.name, override.functions):
            keep_n = override.keep_last_n if override.keep_last_n is not None else keep_n
            min_age = override.min_age_days if override.min_age_days is not None else min_age
            break
    included = not s.include or any(fnmatch.fnmatchcase(fn.name, g) for g in s.include)
    held = {
        R.EXCLUDED_BY_FILTER: not included
        or any(fnmatch.fnmatchcase(fn.name, g) for g in s.exclude)
        or (not s.include_uncharged_runtimes and not (v.runtime or "").startswith(("python", "dotnet"))),
        R.TOO_RECENT: NOW - v.last_modified < timedelta(days=min_age),
        R.PROTECTED_KEPT_LAST_N: v.version in sorted((x.version for x in fn.versions), reverse=True)[:keep_n],
        R.TAG_PROTECTED: e.tag_protected is True,
        R.ALIAS_PROTECTED: bool(e.aliases),
        R.EVENT_SOURCE_MAPPING_PROTECTED: bool(e.event_source_mappings),
        R.CLOUDFRONT_PROTECTED: bool(e.cloudfront_distributions),
        R.HAS_RECENT_INVOCATIONS: e.usage is not None and e.usage.total > 0,
        R.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN: (e.unattributed_function_invocations or 0) > 0,
        R.RESOURCE_POLICY_PROTECTED: bool(e.own_policy_statements),
        R.CHECK_INCOMPLETE: bool(e.incomplete)
        or (e.state is not None and e.state not in ("Active", "Inactive", "Failed")),
    }
    return {reason for reason, holds in held.items() if holds}


def unchecked_fields(e: Evidence) -> list[str]:
    return [f.name for f in fields(Evidence) if f.name != "incomplete" and getattr(e, f.name) is None]


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(subjects())
def test_decide_agrees_with_the_documented_table(
    subject: tuple[Function, FunctionVersion, Evidence, ScanSettings],
) -> None:
    fn, v, e, s = subject
    expected = oracle_protections(fn, v, e, s)
    if not expected:
        expected = {R.CHECK_INCOMPLETE} if unchecked_fields(e) else {R.NO_ACTIVITY_AND_STALE}
    assert set(decide(fn, v, e, s, NOW).reasons) == expected


@PROPERTY
@given(subjects())
def test_a_version_any_protection_holds_for_is_never_deleted(
    subject: tuple[Function, FunctionVersion, Evidence, ScanSettings],
) -> None:
    fn, v, e, s = subject
    if oracle_protections(fn, v, e, s):
        assert not decide(fn, v, e, s, NOW).delete
        assert not still_candidate(fn, v, e, s, NOW)


@PROPERTY
@given(subjects())
def test_a_version_with_unchecked_evidence_is_never_deleted(
    subject: tuple[Function, FunctionVersion, Evidence, ScanSettings],
) -> None:
    fn, v, e, s = subject
    decision = decide(fn, v, e, s, NOW)
    if unchecked_fields(e):
        assert not decision.delete
    assert decision.unchecked == [f for f in EVIDENCE_FIELDS if getattr(e, f) is None]


@PROPERTY
@given(subjects())
def test_deleting_decisions_carry_exactly_no_activity_and_stale(
    subject: tuple[Function, FunctionVersion, Evidence, ScanSettings],
) -> None:
    decision = decide(*subject, NOW)
    if decision.delete:
        assert decision.reasons == STALE
        assert decision.details == []
        assert decision.unchecked == []
    if R.NO_ACTIVITY_AND_STALE in decision.reasons:
        assert decision.reasons == STALE
    # Reasons are listed once each, in declaration order.
    assert decision.reasons == sorted(set(decision.reasons), key=list(Reason).index)


PROTECTING_VALUES: dict[str, object] = {
    "tag_protected": True,
    "aliases": ("alias live (primary)",),
    "event_source_mappings": ("uuid",),
    "cloudfront_distributions": ("E1",),
    "usage": Usage(direct=1),
    "unattributed_function_invocations": 1.0,
    "state": "Pending",
    "own_policy_statements": ("sid",),
}


def test_the_protecting_values_cover_every_evidence_field() -> None:
    assert set(PROTECTING_VALUES) == set(EVIDENCE_FIELDS)


@PROPERTY
@given(subjects(), st.sampled_from(sorted(PROTECTING_VALUES)), evidences)
def test_still_candidate_is_monotone_in_evidence(
    subject: tuple[Function, FunctionVersion, Evidence, ScanSettings], name: str, other: Evidence
) -> None:
    fn, v, e, s = subject
    protected = e.with_(**{name: PROTECTING_VALUES[name]})
    # Evidence that protects always ends candidacy ...
    assert not still_candidate(fn, v, protected, s, NOW)
    assert not decide(fn, v, protected, s, NOW).delete
    # ... and filling in a check not made yet (whatever it finds), or recording a failure, never turns
    # a kept version back into a candidate.
    filled = e.with_(**{name: getattr(e, name) if getattr(e, name) is not None else getattr(other, name)})
    failed = e.failed("throttled")
    if not still_candidate(fn, v, e, s, NOW):
        assert not still_candidate(fn, v, filled, s, NOW)
        assert not still_candidate(fn, v, failed, s, NOW)
    assert not still_candidate(fn, v, failed, s, NOW)


@PROPERTY
@given(subjects())
def test_gathering_evidence_cheapest_first_and_stopping_early_never_deletes(
    subject: tuple[Function, FunctionVersion, Evidence, ScanSettings],
) -> None:
    """The scanner's loop: ask for the next field only while still_candidate; the final decision
    deletes only when every field was gathered and none protected."""
    fn, v, full, s = subject
    gathered = Evidence(incomplete=full.incomplete)
    for protection in PROTECTIONS:
        if not still_candidate(fn, v, gathered, s, NOW):
            break
        if protection.needs is not None:
            gathered = gathered.with_(**{protection.needs: getattr(full, protection.needs)})
    decision = decide(fn, v, gathered, s, NOW)
    if decision.delete:
        assert not unchecked_fields(gathered)
        assert decide(fn, v, full, s, NOW).delete
