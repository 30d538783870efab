"""What a reviewer may change in a plan (only remove `delete` entries) and what must follow (summary,
plan.md): cleaner/validate.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from cleaner.plan import Plan, PlanEntry, plan_json_text
from cleaner.render import render_plan_markdown
from cleaner.validate import check_derived, check_removals_only

from .factories import NOW, arn, sample_plan, sha

ORIGINAL = sample_plan()
KEY_FIELDS = {"region", "function_name", "version"}


def edited(change: Callable[[dict[str, Any]], None]) -> Plan:
    """The original plan, edited as JSON the way a reviewer would, and read back with validation."""
    doc = json.loads(plan_json_text(ORIGINAL))
    change(doc)
    return Plan.model_validate(doc).with_derived_summary()


# --- removals pass ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dropped",
    [[0], [3], [0, 7], list(range(len(ORIGINAL.delete)))],
    ids=["first", "middle", "first-and-last", "all"],
)
def test_dropping_delete_entries_passes_and_reports_them(dropped: list[int]) -> None:
    plan = edited(lambda doc: doc.update(delete=[e for i, e in enumerate(doc["delete"]) if i not in dropped]))
    report = check_removals_only(plan, ORIGINAL)
    assert report.ok, report.findings
    assert report.dropped == [ORIGINAL.delete[i] for i in dropped]


def test_an_unchanged_plan_passes_with_nothing_dropped() -> None:
    report = check_removals_only(ORIGINAL, ORIGINAL)
    assert report.ok
    assert report.dropped == []


def test_removals_only_ignores_the_derived_summary() -> None:
    # The summary follows the entries; whether it was re-derived is check_derived's business.
    stale = ORIGINAL.model_copy(update={"delete": ORIGINAL.delete[1:]})
    assert check_removals_only(stale, ORIGINAL).ok


# --- anything else fails, pointing at a path ----------------------------------------------------------


def test_an_added_entry_fails_at_its_index() -> None:
    def add(doc: dict[str, Any]) -> None:
        new = dict(doc["delete"][-1])
        new.update(version="99", function_arn=arn(new["function_name"], 99, new["region"]))
        doc["delete"].append(new)

    report = check_removals_only(edited(add), ORIGINAL)
    assert [f.path for f in report.findings] == [("delete", len(ORIGINAL.delete))]
    assert "was not proposed by the scan" in report.findings[0].message


def test_moving_a_kept_version_into_delete_fails() -> None:
    def move(doc: dict[str, Any]) -> None:
        moved = doc["keep"].pop(0)
        moved["reasons"], moved["details"] = ["no_activity_and_stale"], []
        doc["delete"].insert(0, moved)

    paths = {f.path for f in check_removals_only(edited(move), ORIGINAL).findings}
    assert paths == {("keep",), ("delete", 0)}


def test_replacing_an_entry_by_another_version_fails() -> None:
    def swap(doc: dict[str, Any]) -> None:
        e = doc["delete"][0]
        e.update(version="42", function_arn=arn(e["function_name"], 42, e["region"]))

    report = check_removals_only(edited(swap), ORIGINAL)
    assert [f.path for f in report.findings] == [("delete", 0)]
    assert report.dropped == [ORIGINAL.delete[0]]


# Every field of an entry that is not its identity, with a different value that is still schema-valid.
FIELD_CHANGES: dict[str, object] = {
    # Another account is a schema error (the plan's account_id): another partition is schema-valid.
    "function_arn": "arn:aws-cn:lambda:{region}:123456789012:function:{function_name}:{version}",
    "runtime": "java21",
    "memory_mb": 10240,
    "last_modified": (NOW - timedelta(days=400)).isoformat(),
    "age_days": 400,
    "state": "Inactive",
    "code_sha256": sha("other", 1),
    "last_invoked": (NOW - timedelta(days=1)).isoformat(),
    "invocations_in_window": 12.0,
    "estimated_monthly_cost_usd": 0.0,
    "details": ["approved by me"],
    "code_size_bytes": 1,
    "reasons": None,  # a delete entry has exactly one valid value: unchangeable by construction
}


def test_the_field_table_covers_every_entry_field() -> None:
    assert set(FIELD_CHANGES) | KEY_FIELDS == set(PlanEntry.model_fields)


@pytest.mark.parametrize(
    ("name", "value"), [(k, v) for k, v in FIELD_CHANGES.items() if v is not None], ids=str
)
def test_changing_any_field_of_an_entry_fails_at_that_field(name: str, value: object) -> None:
    index = 2

    def change(doc: dict[str, Any]) -> None:
        entry = doc["delete"][index]
        entry[name] = value.format(**entry) if isinstance(value, str) else value

    report = check_removals_only(edited(change), ORIGINAL)
    assert [f.path for f in report.findings] == [("delete", index, name)]
    assert f"changed {name}" in report.findings[0].message


def test_changing_several_fields_names_them_all() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["delete"][0].update(memory_mb=256, state="Failed")

    (finding,) = check_removals_only(edited(change), ORIGINAL).findings
    assert "changed memory_mb, state" in finding.message
    assert finding.path == ("delete", 0, "memory_mb")


def test_reordering_entries_fails() -> None:
    def reorder(doc: dict[str, Any]) -> None:
        doc["delete"][1], doc["delete"][2] = doc["delete"][2], doc["delete"][1]

    report = check_removals_only(edited(reorder), ORIGINAL)
    assert [f.path for f in report.findings] == [("delete", 2)]
    assert "reordered" in report.findings[0].message


def _set(path: tuple[str, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _edit_keep(doc: dict[str, Any]) -> None:
    doc["keep"][0]["details"] = ["nothing to see"]


def _drop_keep(doc: dict[str, Any]) -> None:
    doc["keep"].pop()


TOP_LEVEL: dict[str, tuple[Callable[[dict[str, Any]], None], tuple[str, ...]]] = {
    "settings-min-age": (_set(("settings", "min_age_days"), 1), ("settings",)),
    "settings-protect-tag": (_set(("settings", "protect_tag"), "other"), ("settings",)),
    "plan-id": (_set(("plan_id",), "other"), ("plan_id",)),
    "created-at": (_set(("created_at",), "2026-12-01T00:00:00Z"), ("created_at",)),
    "regions": (_set(("regions",), ["eu-west-1", "us-east-1"]), ("regions",)),
    "pricing": (_set(("pricing", "cache_price_per_gb_second"), 0.1), ("pricing",)),
    "warnings-cleared": (_set(("warnings",), []), ("warnings",)),
    "keep-entry-edited": (_edit_keep, ("keep",)),
    "keep-entry-removed": (_drop_keep, ("keep",)),
}


@pytest.mark.parametrize(("change", "path"), TOP_LEVEL.values(), ids=TOP_LEVEL.keys())
def test_changing_anything_but_delete_fails_at_its_path(
    change: Callable[[dict[str, Any]], None], path: tuple[str, ...]
) -> None:
    report = check_removals_only(edited(change), ORIGINAL)
    assert [f.path for f in report.findings] == [path]
    assert not report.ok


def test_moving_the_plan_to_another_account_fails_at_account_id() -> None:
    # Every entry's ARN names the plan's account (a schema rule), so the move must rewrite them too.
    def move(doc: dict[str, Any]) -> None:
        doc["account_id"] = "210987654321"
        for entry in doc["delete"] + doc["keep"]:
            entry["function_arn"] = entry["function_arn"].replace(":123456789012:", ":210987654321:")

    report = check_removals_only(edited(move), ORIGINAL)
    assert ("account_id",) in [f.path for f in report.findings]
    assert not report.ok


# --- derived parts: summary and plan.md ---------------------------------------------------------------


def test_a_fresh_plan_and_its_rendering_are_in_sync() -> None:
    assert check_derived(ORIGINAL, render_plan_markdown(ORIGINAL)) == []


def test_a_stale_summary_is_reported_at_summary() -> None:
    stale = ORIGINAL.model_copy(update={"delete": ORIGINAL.delete[1:]})
    findings = check_derived(stale, render_plan_markdown(stale.with_derived_summary()))
    assert [(f.path, f.file) for f in findings] == [(("summary",), "plan.json")]


def test_a_missing_plan_md_is_reported() -> None:
    findings = check_derived(ORIGINAL, None)
    assert [f.file for f in findings] == ["plan.md"]
    assert "missing" in findings[0].message


def test_plan_md_of_the_plan_before_the_edit_is_stale() -> None:
    after = ORIGINAL.model_copy(update={"delete": ORIGINAL.delete[1:]}).with_derived_summary()
    findings = check_derived(after, render_plan_markdown(ORIGINAL))
    assert [f.file for f in findings] == ["plan.md"]
    assert "not the rendering" in findings[0].message


def test_a_hand_edited_plan_md_is_stale() -> None:
    markdown = render_plan_markdown(ORIGINAL).replace("## Kept", "## Kept (reviewed)")
    assert [f.file for f in check_derived(ORIGINAL, markdown)] == ["plan.md"]


def test_stale_summary_and_stale_markdown_are_both_reported() -> None:
    after = ORIGINAL.model_copy(update={"delete": ORIGINAL.delete[1:]})
    findings = check_derived(after, render_plan_markdown(ORIGINAL))
    assert sorted(f.file for f in findings) == ["plan.json", "plan.md"]
