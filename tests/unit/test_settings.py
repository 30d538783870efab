"""Settings from `[tool.cleaner]` and CLI-style overrides (cleaner/settings.py): right section for each
key, and every bad value refused with its key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleaner.exit_codes import BadInputError
from cleaner.settings import (
    MAX_LOOKBACK_DAYS,
    FunctionOverride,
    ScanSettings,
    Settings,
    load_settings,
)


def pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n' + body, encoding="utf-8")
    return path


def bad_file(tmp_path: Path, body: str) -> str:
    with pytest.raises(BadInputError) as raised:
        load_settings(pyproject(tmp_path, body))
    return raised.value.message


FULL = """
[tool.cleaner]
regions = ["us-east-1", "eu-west-1", "us-east-1"]
min_age_days = 21
keep_last_n = 5
lookback_days = 30
include = ["api-*"]
exclude = ["sandbox-*"]
protect_tag = "team:keep"
cache_price_per_gb_second = 0.000002
plan_max_age_days = 7
max_deletions_per_apply = 50
required_approvals = 2
pr_branch = "cleaner/plan"
reviewers = ["alice"]
control_plane_rps = 5
max_workers = 4
plans_dir = "ops/plans"

[[tool.cleaner.overrides]]
functions = "payments-*"
keep_last_n = 10
min_age_days = 30

[[tool.cleaner.overrides]]
functions = "pay*"
keep_last_n = 1
"""


def test_flat_keys_land_in_their_sections(tmp_path: Path) -> None:
    s = load_settings(pyproject(tmp_path, FULL))
    assert s.scan.regions == ["us-east-1", "eu-west-1"]  # deduplicated, order kept
    assert (s.scan.min_age_days, s.scan.keep_last_n, s.scan.lookback_days) == (21, 5, 30)
    assert (s.scan.include, s.scan.exclude, s.scan.protect_tag) == (["api-*"], ["sandbox-*"], "team:keep")
    assert s.scan.cache_price_per_gb_second == 0.000002
    assert (s.apply.plan_max_age_days, s.apply.max_deletions_per_apply, s.apply.required_approvals) == (
        7,
        50,
        2,
    )
    assert (s.github.pr_branch, s.github.reviewers) == ("cleaner/plan", ["alice"])
    assert (s.performance.control_plane_rps, s.performance.max_workers) == (5.0, 4)
    assert s.plans_dir == "ops/plans"


def test_the_overrides_table_is_read_in_order(tmp_path: Path) -> None:
    s = load_settings(pyproject(tmp_path, FULL))
    assert s.scan.overrides == [
        FunctionOverride(functions="payments-*", keep_last_n=10, min_age_days=30),
        FunctionOverride(functions="pay*", keep_last_n=1),
    ]
    assert s.scan.thresholds_for("payments-charge") == (10, 30)  # first match wins
    assert s.scan.thresholds_for("payroll") == (1, 21)  # unset min_age_days: the default
    assert s.scan.thresholds_for("api") == (5, 21)


def test_apply_limits_never_enter_the_scan_settings(tmp_path: Path) -> None:
    # ScanSettings are copied into plans, which reviewers can edit: the limits must not be there.
    s = load_settings(pyproject(tmp_path, FULL))
    assert not set(ScanSettings.model_fields) & {
        "plan_max_age_days",
        "max_deletions_per_apply",
        "required_approvals",
    }
    assert "max_deletions_per_apply" not in s.scan.model_dump()


def test_a_missing_file_or_table_means_the_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.toml") == Settings()
    assert load_settings(None) == Settings()
    assert load_settings(pyproject(tmp_path, "[tool.other]\nx = 1\n")) == Settings()


def test_the_defaults_are_the_documented_ones() -> None:
    s = Settings()
    assert (s.scan.min_age_days, s.scan.keep_last_n, s.scan.protect_tag) == (14, 3, "snapstart-cleaner:keep")
    assert (s.apply.plan_max_age_days, s.apply.max_deletions_per_apply, s.apply.required_approvals) == (
        14,
        500,
        1,
    )
    assert s.plans_dir == "plans"


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("min_age_days = -1", "min_age_days"),
        ("keep_last_n = -3", "keep_last_n"),
        ("lookback_days = 0", "lookback_days"),
        ("lookback_days = 456", "lookback_days"),
        ("min_age_day = 14", "min_age_day"),
        ('regions = ["US-EAST-1"]', "regions"),
        ('regions = "us-east-1"', "regions"),
        ('keep_last_n = "three"', "keep_last_n"),
        ("keep_last_n = 2.5", "keep_last_n"),
        ("keep_last_n = true", "keep_last_n"),
        ('min_age_days = "14"', "min_age_days"),
        ('include = "api-*"', "include"),
        ('protect_tag = ""', "protect_tag"),
        ("max_deletions_per_apply = 0", "max_deletions_per_apply"),
        ("required_approvals = 0", "required_approvals"),
        ("control_plane_rps = 20", "control_plane_rps"),
        ("cache_price_per_gb_second = -0.1", "cache_price_per_gb_second"),
    ],
    ids=[
        "negative-min-age",
        "negative-keep-last-n",
        "zero-lookback",
        "lookback-beyond-cloudwatch-retention",
        "unknown-key",
        "bad-region",
        "regions-not-a-list",
        "int-as-word",
        "int-as-float",
        "int-as-bool",
        "int-as-string",
        "globs-not-a-list",
        "empty-protect-tag",
        "zero-deletions-cap",
        "zero-approvals",
        "rps-above-the-shared-quota",
        "negative-price",
    ],
)
def test_a_bad_value_is_refused_naming_file_and_key(tmp_path: Path, body: str, key: str) -> None:
    message = bad_file(tmp_path, f"[tool.cleaner]\n{body}\n")
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}: [tool.cleaner] {key}")


def test_a_bad_override_names_its_position(tmp_path: Path) -> None:
    message = bad_file(tmp_path, '[[tool.cleaner.overrides]]\nfunctions = "a*"\nkeep_last_n = -1\n')
    assert "overrides[0].keep_last_n" in message
    message = bad_file(tmp_path, "[[tool.cleaner.overrides]]\nkeep_last_n = 1\n")
    assert "overrides[0].functions" in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    message = bad_file(tmp_path, "[tool.cleaner]\nmin_age_days = = 3\n")
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}: invalid TOML")
    assert "line 5" in message


def test_a_cleaner_key_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    message = bad_file(tmp_path, "[tool]\ncleaner = 3\n")
    assert "[tool.cleaner] must be a table" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    message = bad_file(tmp_path, "[tool.cleaner]\nmin_age_days = -1\nkeep_last_n = -1\n")
    assert "min_age_days" in message
    assert "keep_last_n" in message


# --- CLI-style overrides ------------------------------------------------------------------------------


def test_with_overrides_puts_each_flag_in_its_section() -> None:
    s = Settings().with_overrides(
        regions=["eu-west-1"],
        min_age_days=30,
        keep_last_n=None,  # flag not given: the file's value stays
        max_deletions_per_apply=10,
        plans_dir="elsewhere",
    )
    assert s.scan.regions == ["eu-west-1"]
    assert (s.scan.min_age_days, s.scan.keep_last_n) == (30, 3)
    assert s.apply.max_deletions_per_apply == 10
    assert s.plans_dir == "elsewhere"


def test_with_overrides_keeps_file_values_and_returns_a_copy(tmp_path: Path) -> None:
    s = load_settings(pyproject(tmp_path, FULL))
    changed = s.with_overrides(keep_last_n=0)
    assert changed.scan.keep_last_n == 0
    assert changed.scan.overrides == s.scan.overrides
    assert s.scan.keep_last_n == 5


@pytest.mark.parametrize(
    ("overrides", "flag"),
    [
        ({"min_age_days": -1}, "--min-age-days"),
        ({"lookback_days": 0}, "--lookback-days"),
        ({"regions": ["nowhere"]}, "--regions"),
        ({"bogus_flag": 1}, "--bogus-flag"),
    ],
    ids=["negative-min-age", "zero-lookback", "bad-region", "unknown"],
)
def test_a_bad_override_names_the_flag(overrides: dict[str, object], flag: str) -> None:
    with pytest.raises(BadInputError) as raised:
        Settings().with_overrides(**overrides)
    assert raised.value.message.startswith(f"invalid option: {flag}")


# --- derived values -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "lookback"),
    [
        ({}, 14),
        ({"min_age_days": 30}, 30),
        ({"min_age_days": 0}, 1),
        ({"min_age_days": 30, "lookback_days": 7}, 7),
        ({"min_age_days": 1000}, MAX_LOOKBACK_DAYS),
    ],
    ids=["default", "follows-min-age", "at-least-one-day", "explicit", "capped-at-retention"],
)
def test_effective_lookback_days(values: dict[str, int], lookback: int) -> None:
    assert ScanSettings.model_validate(values).effective_lookback_days == lookback


@pytest.mark.parametrize(
    ("include", "exclude", "name", "excluded"),
    [
        ([], [], "api", False),
        (["api*"], [], "api-v2", False),
        (["api*"], [], "worker", True),
        ([], ["sandbox-*"], "sandbox-1", True),
        (["*"], ["sandbox-*"], "sandbox-1", True),
        ([], ["Api"], "api", False),
    ],
    ids=["no-filters", "included", "not-included", "excluded", "exclude-beats-include", "case-sensitive"],
)
def test_is_excluded(include: list[str], exclude: list[str], name: str, excluded: bool) -> None:
    assert ScanSettings(include=include, exclude=exclude).is_excluded(name) is excluded


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            "min_age_day = 14",
            "min_age_day: not a setting of snapstart-cleaner (did you mean `min_age_days`?)",
        ),
        ("excludes = ['tmp-*']", "excludes: not a setting of snapstart-cleaner (did you mean `exclude`?)"),
        ("zzz = 1", "zzz: not a setting of snapstart-cleaner"),
        (
            "[[tool.cleaner.overrides]]\nfunctions = 'api-*'\nkeep_last = 5",
            "overrides[0].keep_last: not a setting of snapstart-cleaner (did you mean `keep_last_n`?)",
        ),
    ],
)
def test_an_unknown_key_is_named_with_the_setting_it_most_likely_meant(
    tmp_path: Path, body: str, says: str
) -> None:
    message = bad_file(tmp_path, f"[tool.cleaner]\n{body}\n")
    assert says in message and "Extra inputs" not in message, message


@pytest.mark.parametrize("table", ["cleanr", "cleaners", "Cleaner", "snapstart-cleaner", "snapstart_cleaner"])
def test_a_misspelt_table_is_refused_rather_than_ignored(tmp_path: Path, table: str) -> None:
    # Ignored, it would leave the defaults in force: an `exclude` list would stop excluding.
    message = bad_file(tmp_path, f'[tool.{table}]\nexclude = ["payments-*"]\n')
    assert f"[tool.{table}] is not read by snapstart-cleaner" in message and "[tool.cleaner]" in message


def test_other_tools_tables_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ruff]\nline-length = 100\n[tool.mypy]\nstrict = true\n[tool.cleaner]\nkeep_last_n = 4\n"
    )
    assert load_settings(tmp_path / "pyproject.toml").scan.keep_last_n == 4
