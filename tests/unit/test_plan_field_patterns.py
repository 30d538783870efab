"""Issue 8, attack 9 (Markdown injection), first line of defence: every plan field with an AWS pattern
is validated where plan.json is read. `render` and `validate` refuse a value outside the pattern with
exit 2 and one line naming file, line and field; `[tool.cleaner]` takes the same patterns, so a scan
never writes a plan its own loader refuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from fakes.plans import make_plan
from pydantic import TypeAdapter, ValidationError

from cleaner.aws_names import FunctionState, Region, Runtime, TagKey, shown
from cleaner.cli import Environment, program
from cleaner.exit_codes import ExitCode
from cleaner.plan import PlanEntry, write_plan_files
from cleaner.render import render_plan_markdown
from cleaner.settings import ScanSettings

from .factories import NOW, sample_plan

PLAN = "plans/p1/plan.json"
HIDE_THE_REST = "x\n\n<!--"  # an HTML comment opened on a line of its own hides everything after it
SPLIT_THE_ROW = "a|b"
FULLWIDTH_ACCOUNT = "".join(chr(0xFF10 + int(digit)) for digit in "123456789012")


class Cli:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(self, *argv: str) -> tuple[ExitCode, str]:
        out, err = StringIO(), StringIO()
        env = Environment(stdout=out, stderr=err, cwd=self.cwd, environ={}, clock=lambda: NOW)
        return program(list(argv), env), err.getvalue()


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    plan = sample_plan()
    write_plan_files(tmp_path / "plans" / "p1", plan, render_plan_markdown(plan))
    write_plan_files(tmp_path / "original", plan, render_plan_markdown(plan))
    return Cli(tmp_path)


def _put(path: tuple[str | int, ...], value: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        node: Any = doc
        for part in path[:-1]:
            node = node[part]
        if isinstance(path[-1], int) and len(node) <= path[-1]:
            node.append(value)
        else:
            node[path[-1]] = value

    return edit


# Every plan field with an AWS pattern that reaches Markdown (or, for function_arn and code_sha256,
# identifies what apply deletes), and how the error names it.
VALIDATED: dict[str, tuple[tuple[str | int, ...], str]] = {
    # An extra region no entry uses: on its own, nothing else in the plan objects to it.
    "regions": (("regions", 2), r"regions\[2\]"),
    "settings-regions": (("settings", "regions", 2), r"settings\.regions\[2\]"),
    "protect-tag": (("settings", "protect_tag"), r"settings\.protect_tag"),
    "include-glob": (("settings", "include", 0), r"settings\.include\[0\]"),
    "exclude-glob": (("settings", "exclude", 0), r"settings\.exclude\[0\]"),
    "override-glob": (("settings", "overrides", 0, "functions"), r"settings\.overrides\[0\]\.functions"),
    "billed-runtimes": (("pricing", "billed_runtimes", 1), r"pricing\.billed_runtimes\[1\]"),
    "account-id": (("account_id",), r"account_id"),
    "plan-id": (("plan_id",), r"plan_id"),
    "runtime": (("delete", 0, "runtime"), r"delete\[0\] \(edge:2\)\.runtime"),
    "state": (("delete", 0, "state"), r"delete\[0\] \(edge:2\)\.state"),
    "region": (("delete", 0, "region"), r"delete\[0\] \(edge:2\)\.region"),
    "kept-runtime": (("keep", 3, "runtime"), r"keep\[3\] \(api:5\)\.runtime"),
    "function-name": (("delete", 0, "function_name"), r"delete\[0\] \(.*:2\)\.function_name"),
    "version": (("delete", 0, "version"), r"delete\[0\] \(edge:.*\)\.version"),
    "function-arn": (("delete", 0, "function_arn"), r"delete\[0\] \(edge:2\)\.function_arn"),
    "code-sha256": (("delete", 0, "code_sha256"), r"delete\[0\] \(edge:2\)\.code_sha256"),
}
ATTACKS = [
    pytest.param(path, field, payload, id=f"{name}-{label}")
    for name, (path, field) in VALIDATED.items()
    for label, payload in (("comment", HIDE_THE_REST), ("pipe", SPLIT_THE_ROW))
]


def _edit(cli: Cli, path: tuple[str | int, ...], payload: str) -> int:
    """Put `payload` at `path` of plans/p1/plan.json; the line it landed on."""
    plan_json = cli.cwd / PLAN
    doc = json.loads(plan_json.read_text(encoding="utf-8"))
    _put(path, payload)(doc)
    text = json.dumps(doc, indent=2) + "\n"
    plan_json.write_text(text, encoding="utf-8")
    quoted = json.dumps(payload)
    (line,) = [number for number, content in enumerate(text.splitlines(), 1) if quoted in content]
    return line


@pytest.mark.parametrize(("path", "field", "payload"), ATTACKS)
def test_render_refuses_markdown_in_a_validated_field_and_writes_nothing(
    cli: Cli, path: tuple[str | int, ...], field: str, payload: str
) -> None:
    line = _edit(cli, path, payload)
    before = {p.name: p.read_bytes() for p in (cli.cwd / "plans/p1").iterdir()}

    code, err = cli("render", PLAN)

    assert code == ExitCode.BAD_INPUT
    # One line per error, whatever the value holds: the payload's newline is shown escaped.
    (message,) = err.splitlines()
    assert re.match(rf"error: {re.escape(str(cli.cwd / PLAN))}:{line}: {field}: ", message), message
    assert {p.name: p.read_bytes() for p in (cli.cwd / "plans/p1").iterdir()} == before


@pytest.mark.parametrize(("path", "field", "payload"), ATTACKS)
def test_validate_refuses_markdown_in_a_validated_field(
    cli: Cli, path: tuple[str | int, ...], field: str, payload: str
) -> None:
    line = _edit(cli, path, payload)

    for argv in (("validate", PLAN), ("validate", PLAN, "--against", "original/plan.json")):
        code, err = cli(*argv)
        assert code == ExitCode.BAD_INPUT
        (message,) = err.splitlines()
        assert re.match(rf"error: {re.escape(str(cli.cwd / PLAN))}:{line}: {field}: ", message), message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("regions", 0), "us-east-1\n"),  # Python's `$` matches before a final newline
        (("settings", "regions", 0), "us-east-1\n"),
        (("account_id",), FULLWIDTH_ACCOUNT),  # Unicode digits match `\d`
        (("delete", 0, "version"), "\u0662"),  # ARABIC-INDIC DIGIT TWO: int() reads it as 2
        (("delete", 0, "state"), "Active\n"),
        (("settings", "protect_tag"), "keep\u2028<!--"),  # a line separator is not a tag key character
        (("settings", "protect_tag"), "k" * 129),
        (("delete", 0, "function_arn"), "arn:aws:lambda:eu-west-1:123456789012:function:edge:2\n"),
        (("delete", 0, "function_arn"), "arn:aws:lambda:eu-west-1:210987654321:function:edge:2"),
        (("delete", 0, "code_sha256"), "not base64 of a digest"),
    ],
    ids=[
        "region-newline",
        "settings-region-newline",
        "unicode-digits-account",
        "unicode-digit-version",
        "state-newline",
        "tag-line-separator",
        "tag-too-long",
        "arn-newline",
        "arn-of-another-account",
        "sha-not-base64",
    ],
)
def test_near_misses_of_an_aws_pattern_are_refused(cli: Cli, path: tuple[str | int, ...], value: str) -> None:
    _edit_anywhere(cli, path, value)
    code, err = cli("render", PLAN)
    assert code == ExitCode.BAD_INPUT
    assert len(err.splitlines()) == 1, err


def _edit_anywhere(cli: Cli, path: tuple[str | int, ...], value: str) -> None:
    plan_json = cli.cwd / PLAN
    doc = json.loads(plan_json.read_text(encoding="utf-8"))
    _put(path, value)(doc)
    plan_json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


# --- what is accepted: AWS's own values, so a scan never writes a plan its loader refuses -------------


def _lambda_enum(shape: str) -> list[str]:
    model = botocore.session.get_session().get_service_model("lambda")
    return list(model.shape_for(shape).enum)


@pytest.mark.parametrize("runtime", _lambda_enum("Runtime"))
def test_every_lambda_runtime_botocore_knows_is_accepted(runtime: str) -> None:
    assert TypeAdapter(Runtime).validate_python(runtime) == runtime


@pytest.mark.parametrize("state", [*_lambda_enum("State"), "Unknown"])
def test_every_lambda_state_botocore_knows_is_accepted(state: str) -> None:
    assert TypeAdapter(FunctionState).validate_python(state) == state


@pytest.mark.parametrize(
    "region",
    [
        "us-east-1",
        "ap-southeast-5",
        "us-gov-west-1",
        "cn-northwest-1",
        "us-iso-east-1",
        "us-isob-east-1",
        "eu-isoe-west-1",
        "us-isof-south-1",
        "eusc-de-east-1",
        "mx-central-1",
    ],
)
def test_every_kind_of_region_name_is_accepted(region: str) -> None:
    assert TypeAdapter(Region).validate_python(region) == region


@pytest.mark.parametrize(
    "key",
    [
        "snapstart-cleaner:keep",
        "aws:cloudformation:stack-name",
        "Keep Me",
        "équipe/garder",
        "保持",
        "a=b+c@d_e.f",
        "k" * 128,
    ],
)
def test_tag_keys_follow_the_aws_tag_key_pattern(key: str) -> None:
    assert TypeAdapter(TagKey).validate_python(key) == key


@pytest.mark.parametrize("key", ["", "a|b", "a`b", "a<b", "a\nb", "a*b", "a[b]", "a\\b", "a\u202eb"])
def test_tag_keys_outside_the_pattern_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="is not an AWS tag key"):
        TypeAdapter(TagKey).validate_python(key)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("protect_tag", HIDE_THE_REST),
        ("regions", ["us-east-1\n"]),
        ("include", [SPLIT_THE_ROW]),
        ("exclude", ["api\n"]),
        ("overrides", [{"functions": "edge`*", "keep_last_n": 1}]),
    ],
    ids=["protect-tag", "region-newline", "include-pipe", "exclude-newline", "override-backtick"],
)
def test_settings_refuse_what_a_plan_would_refuse(key: str, value: object) -> None:
    with pytest.raises(ValidationError):
        ScanSettings.model_validate({key: value})


def test_a_bad_protect_tag_in_pyproject_stops_a_scan_before_it_starts(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cleaner]\nprotect_tag = "x\\n\\n<!--"\n', encoding="utf-8"
    )
    code, err = Cli(tmp_path)("scan", "--region", "us-east-1")
    assert code == ExitCode.BAD_INPUT
    assert "[tool.cleaner] protect_tag" in err
    assert not (tmp_path / "plans").exists()


def test_a_long_value_in_an_error_keeps_its_start_and_its_end() -> None:
    value = "arn:aws:lambda:us-east-1:123456789012:function:" + "a" * 80 + ":LATEST"
    said = shown(value)
    assert len(said) == 60 and said.startswith("'arn:aws:lambda:") and said.endswith("a:LATEST'")
    assert shown("short") == "'short'"


def test_a_wrong_arn_is_shown_whole_in_the_plans_error() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-api-with-a-long-name:$LATEST"
    with pytest.raises(ValueError, match=re.escape(repr(arn))):
        PlanEntry.model_validate({**make_plan("p1", delete=1).delete[0].model_dump(), "function_arn": arn})
