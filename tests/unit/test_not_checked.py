"""`not_checked_plan_full`: would-be candidates the scan left unchecked once the plan was full. Kept,
counted in the summary and on the page, never a deletion, and plans written before it read as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cleaner.inventory import Evidence, Usage
from cleaner.plan import Plan, parse_plan, plan_json_text
from cleaner.planner import build_plan, cap_deletions, entry_rank, not_checked, version_rank
from cleaner.policy import decide
from cleaner.reasons import REASON_DESCRIPTIONS, ROUTINE_REASONS, Reason
from cleaner.render import render_plan_markdown
from cleaner.settings import ApplyLimits
from cleaner.validate import check_derived, check_removals_only

from .factories import (
    ACCOUNT_ID,
    NOW,
    REGION,
    clear_evidence,
    function,
    only,
    sample_inventory,
    sample_plan,
    settings,
)

R = Reason
GOLDEN = Path(__file__).parent.parent / "golden" / "plan.md"
# What the scan gathered about a would-be candidate it never reached: everything but the last stage.
BEFORE_LAST_STAGE = clear_evidence(state=None, own_policy_statements=None)


def _plan(unchecked_numbers: tuple[int, ...], cap: int = 2) -> Plan:
    api = function("api", (150, 140, 130, 120, 110, 100, 10, 5, 1), memory_mb=2048)
    evidence = {v.key: clear_evidence() for v in api.versions}
    for number in unchecked_numbers:
        evidence[only(api, number).key] = BEFORE_LAST_STAGE
    return build_plan(
        plan_id="p",
        account_id=ACCOUNT_ID,
        regions=[REGION],
        functions=[api],
        evidence=evidence,
        settings=settings(),
        now=NOW,
        warnings=[],
        unchecked={only(api, n).key for n in unchecked_numbers},
        cap=cap,
    )


def test_unchecked_versions_are_kept_with_the_reason_and_counted() -> None:
    plan = _plan((5, 6))

    kept = {e.version: e for e in plan.keep}
    assert [kept[v].reasons for v in "56"] == [[R.NOT_CHECKED_PLAN_FULL]] * 2
    assert "max_deletions_per_apply 2" in kept["5"].details[0]
    assert kept["5"].state is None
    assert [e.version for e in plan.delete] == ["1", "2", "3", "4"]
    assert plan.summary.not_checked_count == 2
    assert plan.summary.keep_reasons[R.NOT_CHECKED_PLAN_FULL] == 2
    [note] = [w for w in plan.warnings if "not checked" in w]
    assert note.startswith("2 more would-be candidates ($")
    assert "max_deletions_per_apply 2" in note


def test_the_page_says_how_many_more_may_qualify() -> None:
    plan = cap_deletions(_plan((5, 6)), ApplyLimits(max_deletions_per_apply=2))

    page = render_plan_markdown(plan)
    summary_line = page.splitlines()[2]
    assert "· 2 more in the next plan · up to 2 more not checked yet (the plan was full)" in summary_line
    assert f"| `not_checked_plan_full` | 2 | {REASON_DESCRIPTIONS[R.NOT_CHECKED_PLAN_FULL]} |" in page
    assert R.NOT_CHECKED_PLAN_FULL in ROUTINE_REASONS  # one line per function, with the cap's


def test_only_a_decision_missing_nothing_but_the_last_stage_is_relabelled() -> None:
    api = function("api", (150, 140, 130, 120, 110))
    version = only(api, 1)
    cases: dict[str, tuple[Evidence, list[Reason]]] = {
        "last stage not read": (BEFORE_LAST_STAGE, [R.NOT_CHECKED_PLAN_FULL]),
        "policy alone not read": (clear_evidence(own_policy_statements=None), [R.NOT_CHECKED_PLAN_FULL]),
        "usage not read either": (BEFORE_LAST_STAGE.with_(usage=None), [R.CHECK_INCOMPLETE]),
        "an earlier check failed": (BEFORE_LAST_STAGE.failed("ListAliases: throttled"), [R.CHECK_INCOMPLETE]),
        "an alias keeps it": (
            BEFORE_LAST_STAGE.with_(aliases=("alias live (primary)",)),
            [R.ALIAS_PROTECTED],
        ),
        "invoked": (BEFORE_LAST_STAGE.with_(usage=Usage(direct=1)), [R.HAS_RECENT_INVOCATIONS]),
        "checked and pending": (clear_evidence(state="Pending"), [R.CHECK_INCOMPLETE]),
        "checked and a candidate": (clear_evidence(), [R.NO_ACTIVITY_AND_STALE]),
    }
    for name, (evidence, expected) in cases.items():
        decision = not_checked(decide(api, version, evidence, settings(), NOW), evidence, 500)
        assert decision.reasons == expected, name
        assert not decision.delete or expected == [R.NO_ACTIVITY_AND_STALE], name


def test_the_scan_ranks_versions_as_the_cap_ranks_their_entries() -> None:
    plan = sample_plan()
    inventory, _ = sample_inventory()
    functions = {(v.region, v.function_name, v.version): v for fn in inventory for v in fn.versions}
    for entry in [*plan.delete, *plan.keep]:
        assert version_rank(functions[entry.key], plan.pricing, NOW) == entry_rank(entry), entry.label


# --- never a deletion -----------------------------------------------------------------------------------


def _doc(plan: Plan) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(plan_json_text(plan))
    return document


def test_a_plan_cannot_delete_an_unchecked_version() -> None:
    doc = _doc(_plan((5, 6)))
    moved = next(e for e in doc["keep"] if e["reasons"] == ["not_checked_plan_full"])
    doc["keep"].remove(moved)
    doc["delete"].append(moved)
    with pytest.raises(ValidationError, match="exactly the reason no_activity_and_stale"):
        Plan.model_validate(doc)


def test_a_review_cannot_move_an_unchecked_version_into_delete_even_disguised() -> None:
    original = _plan((5, 6))
    doc = _doc(original)
    moved = next(e for e in doc["keep"] if e["reasons"] == ["not_checked_plan_full"])
    doc["keep"].remove(moved)
    doc["delete"].append({**moved, "reasons": ["no_activity_and_stale"], "details": []})
    edited = Plan.model_validate(doc).with_derived_summary()

    report = check_removals_only(edited, original)

    assert not report.ok
    assert {f.path[0] for f in report.findings} == {"keep", "delete"}


# --- plans written before the field -------------------------------------------------------------------


def written_before(plan: Plan) -> str:
    """plan.json as snapstart-cleaner wrote it before `summary.not_checked_count` (byte for byte the
    previous commit's output for `sample_plan()` when this test was written)."""
    text = plan_json_text(plan)
    field = ',\n    "not_checked_count": 0\n'
    assert text.count(field) == 1
    return text.replace(field, "\n")


def test_a_plan_written_before_loads_and_renders_byte_for_byte_as_before() -> None:
    old = parse_plan(written_before(sample_plan()), "plan.json")

    assert old.summary.not_checked_count == 0
    assert old == sample_plan()
    assert render_plan_markdown(old) == GOLDEN.read_text(encoding="utf-8")


def test_a_plan_written_before_still_validates_and_accepts_removals_only() -> None:
    old = parse_plan(written_before(sample_plan()), "plan.json")
    assert check_derived(old, render_plan_markdown(old)) == []
    edited = old.model_copy(update={"delete": old.delete[1:]}).with_derived_summary()
    assert check_removals_only(edited, old).ok
    assert check_derived(edited, render_plan_markdown(edited, old), old) == []
    added = old.model_copy(update={"delete": old.delete[1:] + old.delete[:1]}).with_derived_summary()
    assert not check_removals_only(added, old).ok  # reordered: still refused
