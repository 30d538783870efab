"""`render` and `validate` through the whole CLI, in process: exit codes, messages and annotations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from cleaner.cli import Environment, program
from cleaner.exit_codes import ExitCode
from cleaner.plan import load_plan, plan_json_text, write_plan_files
from cleaner.render import render_plan_markdown

from .factories import NOW, arn, sample_plan

PLAN = "plans/p1/plan.json"
ORIGINAL = "original/plan.json"


@dataclass
class Run:
    code: ExitCode
    out: str
    err: str


class Cli:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(self, *argv: str) -> Run:
        out, err = StringIO(), StringIO()
        env = Environment(stdout=out, stderr=err, cwd=self.cwd, environ={}, clock=lambda: NOW)
        code = program(list(argv), env)
        return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A checkout with a freshly scanned plan in plans/p1 and a copy of it as the original."""
    plan = sample_plan()
    write_plan_files(tmp_path / "plans" / "p1", plan, render_plan_markdown(plan))
    write_plan_files(tmp_path / "original", plan, render_plan_markdown(plan))
    return Cli(tmp_path)


def edit_json(path: Path, change: Any) -> str:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    text = json.dumps(doc, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    return text


def drop_first_deletion(doc: dict[str, Any]) -> None:
    doc["delete"].pop(0)


def add_deletion(doc: dict[str, Any]) -> None:
    new = dict(doc["delete"][-1])
    new.update(version="99", function_arn=arn(new["function_name"], 99, new["region"]))
    doc["delete"].append(new)


# --- validate: 0 and 1 --------------------------------------------------------------------------------


def test_a_fresh_plan_is_valid(cli: Cli) -> None:
    run = cli("validate", PLAN)
    assert run.code == ExitCode.OK
    assert "valid (8 versions to delete)" in run.out
    assert run.err == ""


def test_a_reviewed_and_rerendered_plan_is_valid_against_the_original(cli: Cli) -> None:
    edit_json(cli.cwd / PLAN, drop_first_deletion)
    assert cli("render", PLAN).code == ExitCode.OK
    run = cli("validate", PLAN, "--against", ORIGINAL)
    assert run.code == ExitCode.OK, run.out
    assert "valid (7 versions to delete, 1 dropped by review)" in run.out


def test_an_edit_without_render_fails_with_stale_summary_and_markdown(cli: Cli) -> None:
    edit_json(cli.cwd / PLAN, drop_first_deletion)
    run = cli("validate", PLAN)
    assert run.code == ExitCode.FAILURES
    assert "summary does not match the entries" in run.out
    assert f"{cli.cwd / 'plans/p1/plan.md'}:1: plan.md is not the rendering of plan.json" in run.out


def test_a_removals_only_edit_without_render_is_valid_against_the_original_with_a_note(cli: Cli) -> None:
    # What GitHub's web editor commits: one entry deleted, the summary and plan.md as they were.
    edit_json(cli.cwd / PLAN, drop_first_deletion)
    run = cli("validate", PLAN, "--against", ORIGINAL)
    assert run.code == ExitCode.OK, run.out
    assert "note: plan.md and the summary not re-rendered after review removed 1 entries" in run.out
    assert "valid (7 versions to delete, 1 dropped by review)" in run.out


def test_a_stale_summary_does_not_excuse_an_added_entry(cli: Cli) -> None:
    edit_json(cli.cwd / PLAN, add_deletion)
    run = cli("validate", PLAN, "--against", ORIGINAL)
    assert run.code == ExitCode.FAILURES
    assert "was not proposed by the scan" in run.out and "summary does not match the entries" in run.out


def test_a_missing_plan_md_fails(cli: Cli) -> None:
    (cli.cwd / "plans/p1/plan.md").unlink()
    run = cli("validate", PLAN)
    assert run.code == ExitCode.FAILURES
    assert "plan.md is missing" in run.out


def test_an_added_entry_fails_against_the_original_even_after_render(cli: Cli) -> None:
    edit_json(cli.cwd / PLAN, add_deletion)
    assert cli("render", PLAN).code == ExitCode.OK
    run = cli("validate", PLAN, "--against", ORIGINAL)
    assert run.code == ExitCode.FAILURES
    assert "was not proposed by the scan" in run.out


def test_github_format_annotates_the_changed_line(cli: Cli) -> None:
    text = edit_json(cli.cwd / PLAN, lambda doc: doc["delete"][2].update(memory_mb=3008))
    cli("render", PLAN)
    text = (cli.cwd / PLAN).read_text(encoding="utf-8")
    line = next(n for n, s in enumerate(text.splitlines(), start=1) if '"memory_mb": 3008' in s)
    run = cli("validate", PLAN, "--against", ORIGINAL, "--format", "github")
    assert run.code == ExitCode.FAILURES
    assert run.out.splitlines() == [
        f"::error file={cli.cwd / PLAN},line={line}::delete[2] api:1 (us-east-1): changed memory_mb;"
        " only removals are allowed"
    ]


def test_github_format_escapes_what_would_break_the_command(cli: Cli) -> None:
    # Plan text can no longer carry such characters (function names are validated), but the paths
    # and messages of workflow commands still must not be able to split an annotation.
    from cleaner.commands.plan_files import _data, _property

    assert _data("odd%name\nx\ry") == "odd%25name%0Ax%0Dy"
    assert _property("plans/a:b,c%d") == "plans/a%3Ab%2Cc%25d"


def test_a_function_name_aws_would_never_accept_is_a_schema_error(cli: Cli) -> None:
    def add_odd_name(doc: dict[str, Any]) -> None:
        new = dict(doc["delete"][-1])
        new.update(
            function_name="odd%name\nx", function_arn=arn("odd%name\nx", new["version"], new["region"])
        )
        doc["delete"].append(new)

    edit_json(cli.cwd / PLAN, add_odd_name)
    run = cli("validate", PLAN, "--against", ORIGINAL, "--format", "github")
    assert run.code == ExitCode.BAD_INPUT
    assert "function_name" in run.err
    annotations = run.out.splitlines()  # schema errors also land on their lines in the PR
    assert annotations and all(a.startswith(f"::error file={cli.cwd / PLAN},line=") for a in annotations)
    assert any("function_name" in a for a in annotations)


def test_malformed_json_is_annotated_at_its_line_and_column_in_github_format(cli: Cli) -> None:
    (cli.cwd / PLAN).write_text('{\n  "schema_version": 1,\n  "plan_id": oops\n}\n')
    run = cli("validate", PLAN, "--format", "github")
    assert run.code == ExitCode.BAD_INPUT
    assert run.out.startswith(f"::error file={cli.cwd / PLAN},line=3,col=14::not valid JSON")


def test_json_format_reports_findings_and_totals(cli: Cli) -> None:
    edit_json(cli.cwd / PLAN, drop_first_deletion)
    run = cli("validate", PLAN, "--format", "json")
    assert run.code == ExitCode.FAILURES
    report = json.loads(run.out)
    assert report["ok"] is False
    assert report["delete_count"] == 7
    assert {f["file"] for f in report["findings"]} == {str(cli.cwd / PLAN), str(cli.cwd / "plans/p1/plan.md")}
    # Against the original the same removal is valid; its stale parts are a note.
    report = json.loads(cli("validate", PLAN, "--against", ORIGINAL, "--format", "json").out)
    assert report["ok"] is True and report["dropped"] == ["edge:2 (eu-west-1)"]
    assert [note.split(" not re-rendered")[0] for note in report["notes"]] == ["plan.md and the summary"]


# --- validate and render: 2 ---------------------------------------------------------------------------


def test_malformed_json_exits_2_with_file_line_and_column(cli: Cli) -> None:
    path = cli.cwd / PLAN
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].rstrip(",")  # drop the comma after "created_at"
    path.write_text("\n".join(lines), encoding="utf-8")
    for command in ("validate", "render"):
        run = cli(command, PLAN)
        assert run.code == ExitCode.BAD_INPUT
        assert run.err.startswith(f"error: {path}:5:3: not valid JSON")


def test_an_unknown_schema_version_exits_2(cli: Cli) -> None:
    edit_json(cli.cwd / PLAN, lambda doc: doc.update(schema_version=2))
    run = cli("validate", PLAN)
    assert run.code == ExitCode.BAD_INPUT
    assert "unsupported schema_version 2" in run.err


def test_a_schema_error_exits_2_naming_entry_and_field(cli: Cli) -> None:
    edit_json(cli.cwd / PLAN, lambda doc: doc["delete"][1].update(memory_mb="big"))
    run = cli("validate", PLAN)
    assert run.code == ExitCode.BAD_INPUT
    assert "delete[1] (edge:3).memory_mb" in run.err


@pytest.mark.parametrize(
    "argv",
    [
        ("validate", "plans/none/plan.json"),
        ("render", "plans/none/plan.json"),
        ("validate", PLAN, "--against", "nowhere/plan.json"),
    ],
    ids=["validate", "render", "against"],
)
def test_a_missing_file_exits_2(cli: Cli, argv: tuple[str, ...]) -> None:
    run = cli(*argv)
    assert run.code == ExitCode.BAD_INPUT
    assert "no such plan file" in run.err


@pytest.mark.parametrize(
    "argv",
    [(), ("validate",), ("render",), ("validate", PLAN, "--format", "xml"), ("frobnicate",)],
    ids=["no-command", "validate-without-plan", "render-without-plan", "bad-format", "unknown-command"],
)
def test_usage_errors_exit_2_on_the_environment_stderr(
    cli: Cli, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    run = cli(*argv)
    assert run.code == ExitCode.BAD_INPUT
    assert "usage: snapstart-cleaner" in run.err
    assert capsys.readouterr() == ("", "")  # nothing leaks to the process's own streams


def test_help_exits_0(cli: Cli) -> None:
    run = cli("validate", "--help")
    assert run.code == ExitCode.OK
    assert "--against" in run.out


# --- render -------------------------------------------------------------------------------------------


def test_render_recomputes_summary_and_markdown(cli: Cli) -> None:
    edit_json(cli.cwd / PLAN, drop_first_deletion)
    run = cli("render", PLAN)
    assert run.code == ExitCode.OK
    assert "(7 versions to delete)" in run.out
    plan = load_plan(cli.cwd / PLAN)
    assert plan.summary.delete_count == 7
    assert (cli.cwd / "plans/p1/plan.md").read_text(encoding="utf-8") == render_plan_markdown(plan)
    assert (cli.cwd / PLAN).read_text(encoding="utf-8") == plan_json_text(plan)


def test_render_of_an_unchanged_plan_changes_nothing(cli: Cli) -> None:
    before = {p.name: p.read_bytes() for p in (cli.cwd / "plans/p1").iterdir()}
    assert cli("render", PLAN).code == ExitCode.OK
    after = {p.name: p.read_bytes() for p in (cli.cwd / "plans/p1").iterdir()}
    assert after == before


def test_relative_paths_resolve_against_the_environment_cwd(cli: Cli, tmp_path: Path) -> None:
    assert cli("validate", str(tmp_path / PLAN)).code == ExitCode.OK  # absolute works too
    elsewhere = Cli(tmp_path / "plans")
    assert elsewhere("validate", "p1/plan.json").code == ExitCode.OK
