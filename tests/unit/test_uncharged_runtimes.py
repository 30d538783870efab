"""`include_uncharged_runtimes = false` (cleaner/settings.py, cleaner/policy.py): versions of runtimes
without a SnapStart cache charge (Java) are kept as excluded_by_filter, by the scan and by apply's
re-verification; the plan carries the setting, and plans written before it existed still load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaner.apply_result import Outcome
from cleaner.exit_codes import BadInputError
from cleaner.plan import parse_plan, plan_json_text
from cleaner.reasons import Reason
from cleaner.render import render_plan_markdown
from cleaner.reverify import reverify
from cleaner.settings import load_settings
from cleaner.validate import check_removals_only

from .factories import NOW, clear_evidence, sample_inventory, sample_plan

SOURCE = "plans/p1/plan.json"


def test_the_default_proposes_java_versions_as_the_contract_says() -> None:
    plan = sample_plan()
    assert plan.settings.include_uncharged_runtimes is True
    assert any(e.function_name == "java-svc" for e in plan.delete)


def test_false_keeps_every_java_version_with_the_reason_and_leaves_billed_ones_proposed() -> None:
    default, left_out = sample_plan(), sample_plan(include_uncharged_runtimes=False)
    java_deleted = {e.key for e in default.delete if e.function_name == "java-svc"}
    assert java_deleted
    assert {e.key for e in left_out.delete} == {e.key for e in default.delete} - java_deleted
    kept = {e.key: e for e in left_out.keep}
    for key in java_deleted:
        assert kept[key].reasons == [Reason.EXCLUDED_BY_FILTER]
        assert kept[key].details == ["runtime without a cache charge"]
    assert left_out.summary.estimated_monthly_savings_usd == default.summary.estimated_monthly_savings_usd


def test_the_plan_carries_the_setting_and_reads_it_back() -> None:
    plan = sample_plan(include_uncharged_runtimes=False)
    assert json.loads(plan_json_text(plan))["settings"]["include_uncharged_runtimes"] is False
    assert parse_plan(plan_json_text(plan), SOURCE) == plan


def test_a_plan_written_before_the_setting_loads_with_the_default() -> None:
    document = json.loads(plan_json_text(sample_plan()))
    del document["settings"]["include_uncharged_runtimes"]
    assert parse_plan(json.dumps(document), SOURCE).settings.include_uncharged_runtimes is True


def test_a_plan_with_a_non_boolean_value_is_refused_naming_the_field() -> None:
    document = json.loads(plan_json_text(sample_plan()))
    document["settings"]["include_uncharged_runtimes"] = "no"
    with pytest.raises(BadInputError) as raised:
        parse_plan(json.dumps(document, indent=2), SOURCE)
    assert "include_uncharged_runtimes" in raised.value.message


def test_review_cannot_turn_the_setting_in_the_plan() -> None:
    original = sample_plan()
    edited = original.model_copy(
        update={"settings": original.settings.model_copy(update={"include_uncharged_runtimes": False})}
    )
    assert any("settings" in f.message for f in check_removals_only(edited, original).findings)


def test_apply_skips_a_java_deletion_when_the_repository_now_leaves_them_out() -> None:
    plan = sample_plan()
    functions, _ = sample_inventory()
    java = next(f for f in functions if f.name == "java-svc")
    entry = next(e for e in plan.delete if e.function_name == "java-svc")
    repository = plan.settings.model_copy(update={"include_uncharged_runtimes": False})

    assert reverify(entry, java, clear_evidence(), [plan.settings], NOW).outcome is None
    verdict = reverify(entry, java, clear_evidence(), [plan.settings, repository], NOW)
    assert (verdict.outcome, verdict.reasons) == (Outcome.SKIPPED, ("excluded_by_filter",))
    assert verdict.message == "runtime without a cache charge"


def test_the_key_is_read_from_tool_cleaner_and_must_be_a_boolean(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.cleaner]\ninclude_uncharged_runtimes = false\n", encoding="utf-8")
    assert load_settings(path).scan.include_uncharged_runtimes is False
    path.write_text('[tool.cleaner]\ninclude_uncharged_runtimes = "false"\n', encoding="utf-8")
    with pytest.raises(BadInputError) as raised:
        load_settings(path)
    assert "include_uncharged_runtimes" in raised.value.message


def test_the_page_shows_the_setting_and_no_uncharged_group_when_they_are_left_out() -> None:
    default = render_plan_markdown(sample_plan())
    assert "| include_uncharged_runtimes | true |" in default
    assert "### No cache charge" in default
    page = render_plan_markdown(sample_plan(include_uncharged_runtimes=False))
    assert "| include_uncharged_runtimes | false (runtimes without a cache charge are kept" in page
    assert "### No cache charge" not in page
