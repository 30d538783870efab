"""plan.json: reading (errors name file, line, entry and field), consistency rules, and a stable
round trip from build_plan through JSON and back."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cleaner.exit_codes import BadInputError
from cleaner.inventory import Evidence, Function, VersionKey
from cleaner.plan import (
    PLAN_JSON,
    PLAN_MD,
    Plan,
    default_plan_id,
    load_plan,
    parse_plan,
    plan_json_text,
    validate_plan_id,
    write_plan_files,
)
from cleaner.planner import build_plan
from cleaner.reasons import Reason

from .factories import ACCOUNT_ID, NOW, REGION, arn, sample_inventory, sample_plan, settings

SOURCE = "plans/p1/plan.json"


def document() -> dict[str, Any]:
    return json.loads(plan_json_text(sample_plan()))  # type: ignore[no-any-return]


def parse_error(doc: dict[str, Any] | str) -> str:
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    with pytest.raises(BadInputError) as raised:
        parse_plan(text, SOURCE)
    return raised.value.message


def line_of(text: str, needle: str, occurrence: int = 0) -> int:
    """1-based line of the `occurrence`-th line containing `needle`."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence]


# --- syntax and version -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{\n  "schema_version": 1\n  "plan_id": "x"\n}', 3, 3),  # missing comma
        ('{\n  "schema_version": 1,\n}', 3, 1),  # trailing comma
        ("", 1, 1),
        ('{\n  "delete": [\n    {"a": tru}\n  ]\n}', 3, 11),
    ],
    ids=["missing-comma", "trailing-comma", "empty-file", "bad-literal"],
)
def test_a_json_syntax_error_names_file_line_and_column(text: str, line: int, column: int) -> None:
    message = parse_error(text)
    assert message.startswith(f"{SOURCE}:{line}:{column}: not valid JSON")


@pytest.mark.parametrize("version", [2, 0, "1", None], ids=["two", "zero", "string", "null"])
def test_an_unknown_schema_version_is_refused_by_name(version: object) -> None:
    doc = document()
    doc["schema_version"] = version
    message = parse_error(doc)
    assert SOURCE in message
    assert "schema_version" in message


def test_a_missing_schema_version_is_a_schema_error() -> None:
    doc = document()
    del doc["schema_version"]
    assert parse_error(doc) == f"{SOURCE}:1: schema_version: Field required"


def test_a_document_that_is_not_an_object_is_refused() -> None:
    assert parse_error("[1, 2]").startswith(f"{SOURCE}:1: plan: ")


# --- schema errors name the entry, the field and the line ---------------------------------------------


def test_a_schema_error_names_entry_field_and_line() -> None:
    doc = document()
    doc["delete"][1]["memory_mb"] = 64
    text = json.dumps(doc, indent=2)
    name, number = doc["delete"][1]["function_name"], doc["delete"][1]["version"]
    message = parse_error(text)
    line = line_of(text, '"memory_mb": 64')
    assert message == (
        f"{SOURCE}:{line}: delete[1] ({name}:{number}).memory_mb:"
        " Input should be greater than or equal to 128"
    )


def test_a_missing_field_points_at_its_entry() -> None:
    doc = document()
    del doc["keep"][2]["runtime"]
    text = json.dumps(doc, indent=2)
    entry = doc["keep"][2]
    message = parse_error(text)
    # A missing field is reported at the line where its entry opens.
    arn_line = line_of(text, '"function_arn": "' + entry["function_arn"] + '"')
    opening_line = arn_line - 4  # `{`, region, function_name, version, function_arn
    assert message == (
        f"{SOURCE}:{opening_line}: keep[2] ({entry['function_name']}:{entry['version']}).runtime:"
        " Field required"
    )


def test_every_schema_error_is_reported_one_per_line() -> None:
    doc = document()
    doc["delete"][0]["age_days"] = -1
    doc["keep"][0]["reasons"] = ["bogus"]
    doc["plan_id"] = "../escape"
    lines = parse_error(doc).splitlines()
    assert len(lines) == 3
    assert any(".age_days:" in line and line.startswith(f"{SOURCE}:") for line in lines)
    assert any(".reasons[0]:" in line for line in lines)
    assert any(": plan_id:" in line for line in lines)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", "latest"),
        ("function_arn", "arn:aws:lambda:us-east-1:123456789012:function:api"),  # unqualified
        ("last_modified", "2026-09-01T00:00:00"),  # no time zone
        ("estimated_monthly_cost_usd", -1),
        ("reasons", []),
        ("surprise", 1),
    ],
    ids=[
        "version-not-a-number",
        "unqualified-arn",
        "naive-timestamp",
        "negative-cost",
        "no-reasons",
        "extra",
    ],
)
def test_entry_fields_are_validated(field: str, value: object) -> None:
    doc = document()
    doc["delete"][0][field] = value
    message = parse_error(doc)
    assert message.startswith(f"{SOURCE}:")
    assert "delete[0] (" in message


def test_reasons_must_be_in_documented_order() -> None:
    doc = document()
    kept = next(e for e in doc["keep"] if len(e["reasons"]) == 2)
    kept["reasons"].reverse()
    assert "reasons must be listed once each, in the documented order" in parse_error(doc)


# --- consistency across entries -----------------------------------------------------------------------

Edit = Callable[[dict[str, Any]], None]


def _duplicate(doc: dict[str, Any]) -> None:
    doc["delete"].insert(1, dict(doc["delete"][3]))


def _arn_of_another_version(doc: dict[str, Any]) -> None:
    doc["delete"][1]["function_arn"] = doc["delete"][2]["function_arn"]


def _keep_reason_in_delete(doc: dict[str, Any]) -> None:
    doc["delete"][1]["reasons"] = ["alias_protected"]


def _stale_reason_in_keep(doc: dict[str, Any]) -> None:
    doc["keep"][1]["reasons"] = ["protected_kept_last_n", "no_activity_and_stale"]


def _region_not_in_plan(doc: dict[str, Any]) -> None:
    doc["regions"] = ["us-east-1"]
    doc["settings"]["regions"] = ["us-east-1"]


CONSISTENCY: dict[str, tuple[Edit, tuple[str, int], str]] = {
    "duplicate-entry": (_duplicate, ("delete", 4), "listed more than once"),
    "arn-not-matching": (
        _arn_of_another_version,
        ("delete", 1),
        "function_arn does not match region, function_name and version",
    ),
    "delete-with-a-keep-reason": (
        _keep_reason_in_delete,
        ("delete", 1),
        "a deletion must have exactly the reason no_activity_and_stale",
    ),
    "keep-with-the-delete-reason": (
        _stale_reason_in_keep,
        ("keep", 1),
        "a kept version cannot carry no_activity_and_stale",
    ),
    "region-not-in-plan": (
        _region_not_in_plan,
        ("delete", 0),
        "region eu-west-1 is not among the plan's regions",
    ),
}


@pytest.mark.parametrize(("edit", "where", "problem"), CONSISTENCY.values(), ids=CONSISTENCY.keys())
def test_consistency_errors_name_the_entry_and_its_line(
    edit: Edit, where: tuple[str, int], problem: str
) -> None:
    doc = document()
    edit(doc)
    text = json.dumps(doc, indent=2)
    section, index = where
    entry = doc[section][index]
    message = parse_error(text)
    # The entry starts at the `{` line just above its first key, "region".
    region_lines = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip().startswith('"region":')
    ]
    entry_line = region_lines[(0 if section == "delete" else len(doc["delete"])) + index] - 1
    label = f"{section}[{index}] ({entry['function_name']}:{entry['version']})"
    assert message.startswith(f"{SOURCE}:{entry_line}: {label}")
    assert problem in message


# --- files --------------------------------------------------------------------------------------------


def test_load_plan_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match=r"plan\.json: no such plan file"):
        load_plan(tmp_path / "plan.json")


def test_load_plan_names_an_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(b'{"schema_version": 1, "plan_id": "\xff"}')
    with pytest.raises(BadInputError, match=rf"{path}: cannot read"):
        load_plan(path)


def test_load_plan_reports_its_path_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{\n  "schema_version": 1,,\n}', encoding="utf-8")
    with pytest.raises(BadInputError) as raised:
        load_plan(path)
    assert raised.value.message.startswith(f"{path}:2:")


def test_write_plan_files_writes_both_and_reads_back(tmp_path: Path) -> None:
    plan = sample_plan()
    json_path, md_path = write_plan_files(tmp_path / "p1", plan, "# md\n")
    assert (json_path.name, md_path.name) == (PLAN_JSON, PLAN_MD)
    assert load_plan(json_path) == plan
    assert md_path.read_text(encoding="utf-8") == "# md\n"
    assert sorted(p.name for p in (tmp_path / "p1").iterdir()) == [PLAN_JSON, PLAN_MD]  # no temp files


# --- round trip and stable output ---------------------------------------------------------------------


def test_build_then_json_then_parse_gives_an_equal_plan() -> None:
    plan = sample_plan()
    text = plan_json_text(plan)
    again = parse_plan(text, SOURCE)
    assert again == plan
    assert plan_json_text(again) == text


def test_json_is_sorted_and_entries_in_region_function_version_order() -> None:
    plan = sample_plan()
    for entries in (plan.delete, plan.keep):
        keys = [(e.region, e.function_name, int(e.version)) for e in entries]
        assert keys == sorted(keys)
    assert plan.created_at.tzinfo is not None
    assert '"created_at": "2026-11-01T12:00:00Z"' in plan_json_text(plan)


def _build(functions: list[Function], evidence: dict[VersionKey, Evidence], warnings: list[str]) -> Plan:
    return build_plan(
        plan_id="p1",
        account_id=ACCOUNT_ID,
        regions=[REGION, "eu-west-1"],
        functions=functions,
        evidence=evidence,
        settings=settings(regions=[REGION, "eu-west-1"]),
        now=NOW,
        warnings=warnings,
    )


@pytest.mark.parametrize("seed", range(5))
def test_output_is_identical_whatever_the_input_order(seed: int) -> None:
    functions, evidence = sample_inventory()
    warnings = ["b: throttled", "a: denied", "b: throttled"]
    reference = plan_json_text(_build(functions, evidence, warnings))

    shuffle = random.Random(seed).shuffle
    shuffled_functions = []
    for fn in functions:
        versions = list(fn.versions)
        shuffle(versions)
        shuffled_functions.append(Function(fn.region, fn.name, fn.arn, tuple(versions)))
    shuffle(shuffled_functions)
    items = list(evidence.items())
    shuffle(items)
    shuffle(warnings)
    assert plan_json_text(_build(shuffled_functions, dict(items), warnings)) == reference


def test_warnings_are_deduplicated_and_sorted() -> None:
    functions, evidence = sample_inventory()
    plan = _build(functions, evidence, ["b", "a", "b"])
    assert plan.warnings == ["a", "b"]


def test_only_snapstart_versions_are_in_the_plan() -> None:
    plan = sample_plan()
    listed = {(e.function_name, e.version) for e in plan.delete + plan.keep}
    assert ("worker", "6") not in listed  # SnapStart off on that version
    assert ("worker", "5") in listed


def test_summary_counts_entries_and_totals_costs() -> None:
    plan = sample_plan()
    s = plan.summary
    assert (s.delete_count, s.keep_count) == (len(plan.delete), len(plan.keep))
    assert s.functions_with_deletions == len({(e.region, e.function_name) for e in plan.delete})
    assert s.estimated_monthly_savings_usd == round(sum(e.estimated_monthly_cost_usd for e in plan.delete), 2)
    assert s.keep_reasons[Reason.PROTECTED_KEPT_LAST_N] == sum(
        Reason.PROTECTED_KEPT_LAST_N in e.reasons for e in plan.keep
    )
    assert Reason.NO_ACTIVITY_AND_STALE not in s.keep_reasons


def test_effective_settings_are_recorded_in_the_plan() -> None:
    plan = sample_plan(min_age_days=21)
    assert plan.settings.lookback_days == 21  # default lookback: min_age_days, written out
    assert plan.settings.regions == [REGION, "eu-west-1"]


def test_a_plan_with_a_long_min_age_reads_back() -> None:
    # CloudWatch keeps 455 days: the lookback written into the plan must stay a valid setting.
    plan = sample_plan(min_age_days=600)
    assert plan.settings.lookback_days == 455
    assert parse_plan(plan_json_text(plan), SOURCE) == plan


def test_last_invoked_and_usage_are_copied_from_evidence() -> None:
    plan = sample_plan()
    invoked = next(e for e in plan.keep if Reason.HAS_RECENT_INVOCATIONS in e.reasons)
    assert invoked.last_invoked == NOW - timedelta(days=2)
    assert invoked.invocations_in_window == 6
    stale = plan.delete[0]
    assert (stale.last_invoked, stale.invocations_in_window) == (None, 0)


def test_plan_ids_are_one_safe_path_segment() -> None:
    assert default_plan_id(NOW) == "20261101T120000Z"
    assert validate_plan_id("weekly-2026.11_01") == "weekly-2026.11_01"
    for bad in ("../x", "a/b", "", ".hidden", "x" * 101):
        with pytest.raises(BadInputError, match="--plan-id"):
            validate_plan_id(bad)


def test_arn_helper_matches_plan_arns() -> None:
    plan = sample_plan()
    first = plan.delete[0]
    assert first.function_arn == arn(first.function_name, first.version, first.region)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["delete"][0].update(memory_mb="1024"),
            "delete[0] (edge:2).memory_mb: Input should be a valid integer",
        ),
        (
            lambda d: d["delete"][0].update(age_days=True),
            "delete[0] (edge:2).age_days: Input should be a valid integer",
        ),
        (lambda d: d["delete"][0].update(estimated_monthly_cost_usd=float("nan")), "finite number"),
        (
            lambda d: d["summary"].update(estimated_monthly_savings_usd=float("inf")),
            "summary.estimated_monthly_savings_usd",
        ),
    ],
    ids=["string-for-int", "bool-for-int", "nan-cost", "infinite-savings"],
)
def test_values_of_the_wrong_kind_are_refused_not_coerced(
    edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    doc = document()
    edit(doc)
    assert message in parse_error(doc)


def test_a_schema_version_written_as_a_string_says_it_must_be_the_number() -> None:
    doc = document()
    doc["schema_version"] = "1"
    text = json.dumps(doc, indent=2)
    message = parse_error(text)
    assert message == (
        f'{SOURCE}:{line_of(text, "schema_version")}: schema_version must be the number 1, not the string "1"'
    )


def test_a_plan_folder_given_for_a_plan_file_names_the_file_to_give(tmp_path: Path) -> None:
    folder = tmp_path / "plans" / "p1"
    folder.mkdir(parents=True)
    with pytest.raises(BadInputError) as raised:
        load_plan(folder)
    assert (
        raised.value.message
        == f"{folder}: a folder, not a plan file: give its plan.json ({folder / 'plan.json'})"
    )
    assert "Errno" not in raised.value.message
