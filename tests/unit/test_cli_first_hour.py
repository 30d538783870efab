"""What a new user meets in the first hour with the CLI (issue 12): flags named as typed, per-command
help, `--version`, usage errors said with the right usage, and options that are refused rather than
silently ignored."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from fakes.cli import run_in_process
from fakes.plans import make_plan, write_plan

from cleaner.cli import build_parser
from cleaner.exit_codes import ExitCode
from cleaner.help import COMMANDS

REPO = Path(__file__).resolve().parents[2]


def _subcommands() -> list[str]:
    parser = build_parser()
    names: list[str] = []

    def walk(p: object, prefix: str) -> None:
        for action in p._actions:  # type: ignore[attr-defined]
            if action.__class__.__name__ == "_SubParsersAction":
                for name, sub in action.choices.items():
                    names.append(f"{prefix}{name}")
                    walk(sub, f"{prefix}{name} ")

    walk(parser, "")
    return names


def test_version_is_the_installed_distributions(tmp_path: Path) -> None:
    run = run_in_process(["--version"], tmp_path, {})
    assert run.code == ExitCode.OK
    assert run.stdout.strip() == f"snapstart-cleaner {metadata.version('snapstart-cleaner')}"


def test_every_command_is_documented_in_the_help_table() -> None:
    assert set(_subcommands()) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_commands_help_says_what_it_does_its_exit_codes_and_environment(
    command: str, tmp_path: Path
) -> None:
    run = run_in_process([*command.split(), "--help"], tmp_path, {})
    assert run.code == ExitCode.OK
    description = COMMANDS[command][0].splitlines()[0]
    assert description in run.stdout
    assert "exit codes:\n  0  " in run.stdout
    assert "\nenvironment:\n  " in run.stdout


def test_apply_and_open_pr_help_name_every_github_variable_the_client_reads(tmp_path: Path) -> None:
    source = (REPO / "cleaner" / "github" / "client.py").read_text()
    variables = {"GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL", "SNAPSTART_CLEANER_GITHUB_FAST"}
    assert all(variable in source for variable in variables)
    for command in ("apply", "open-pr", "keep"):
        text = run_in_process([command, "--help"], tmp_path, {}).stdout
        assert {v for v in variables if v not in text} == set(), command
    assert "GITHUB_SHA" in run_in_process(["apply", "--help"], tmp_path, {}).stdout


def test_every_argument_of_every_command_has_help() -> None:
    parser = build_parser()
    missing = []
    stack = [("", parser)]
    while stack:
        prefix, current = stack.pop()
        for action in current._actions:
            if action.__class__.__name__ == "_SubParsersAction":
                stack += [(f"{prefix}{name} ", sub) for name, sub in action.choices.items()]
            elif not action.help:
                missing.append(f"{prefix}{action.dest}")
    assert missing == []


def test_a_bad_flag_on_a_subcommand_is_answered_with_that_subcommands_usage(tmp_path: Path) -> None:
    run = run_in_process(["validate", "plan.json", "--bogus"], tmp_path, {})
    assert run.code == ExitCode.BAD_INPUT
    assert run.stderr.startswith("usage: snapstart-cleaner validate ")
    assert "unrecognized arguments: --bogus" in run.stderr
    nested = run_in_process(["sandbox", "invoke", "fn:1", "--bogus"], tmp_path, {})
    assert nested.stderr.startswith("usage: snapstart-cleaner sandbox invoke ")


def test_demo_refuses_a_config_it_would_not_read(tmp_path: Path) -> None:
    run = run_in_process(["demo", "--config", "/nonexistent.toml"], tmp_path, {})
    assert run.code == ExitCode.BAD_INPUT
    assert "unrecognized arguments: --config" in run.stderr
    assert "--config" not in run_in_process(["demo", "--help"], tmp_path, {}).stdout
    assert not (tmp_path / "demo-output").exists()


def test_a_bad_region_is_blamed_on_the_flag_the_user_typed(tmp_path: Path) -> None:
    run = run_in_process(["scan", "--region", "not a region"], tmp_path, {})
    assert run.code == ExitCode.BAD_INPUT
    assert "--region 'not a region': 'not a region' is not an AWS region name" in run.stderr
    assert "--regions" not in run.stderr


def test_a_bad_deletion_cap_is_blamed_on_max_deletions(tmp_path: Path) -> None:
    run = run_in_process(["apply", "plan.json", "--max-deletions", "0"], tmp_path, {})
    assert run.code == ExitCode.BAD_INPUT
    assert "--max-deletions 0: Input should be greater than or equal to 1" in run.stderr
    assert "max-deletions-per-apply" not in run.stderr


def test_an_empty_plan_id_is_refused_not_replaced_by_a_timestamp(tmp_path: Path) -> None:
    run = run_in_process(["scan", "--plan-id", "", "--region", "us-east-1"], tmp_path, {})
    assert run.code == ExitCode.BAD_INPUT
    assert "--plan-id '': empty" in run.stderr
    assert not (tmp_path / "plans").exists()


def test_python_dash_m_cleaner_version_matches_the_package_metadata() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cleaner", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.split() == ["snapstart-cleaner", metadata.version("snapstart-cleaner")]


def test_validate_help_says_it_checks_plan_md_and_never_writes_it(tmp_path: Path) -> None:
    run = run_in_process(["validate", "--help"], tmp_path, {})
    text = " ".join(run.stdout.split())
    assert "plan.md beside it is checked, never written" in text and "read and written" not in text


def test_the_sandbox_usage_shows_its_drift_subcommands_as_optional(tmp_path: Path) -> None:
    run = run_in_process(["sandbox", "--help"], tmp_path, {})
    assert "[invoke | alias] ..." in run.stdout
    assert "drift in a sandbox already running (optional)" in run.stdout


def test_open_pr_without_a_token_names_the_apps_token_not_the_workflows(tmp_path: Path) -> None:
    write_plan(tmp_path, make_plan("p1", delete=1))
    run = run_in_process(["open-pr", "plans/p1"], tmp_path, {"GITHUB_REPOSITORY": "acme/infra"})
    assert run.code == ExitCode.BAD_INPUT
    assert "open-pr and keep take the GitHub App's installation token" in " ".join(run.stderr.split())
