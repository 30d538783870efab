"""plan.md, the review page (cleaner/render.py + templates/plan.md.j2).

The golden file tests/golden/plan.md is the rendering of `factories.sample_plan()`. After an intended
change to the template or the sample plan, regenerate it and review the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/unit/test_render.py
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cleaner.plan import Plan
from cleaner.reasons import Reason
from cleaner.render import markdown_text, render_plan_markdown

from .factories import entry, sample_plan

GOLDEN = Path(__file__).parent.parent / "golden" / "plan.md"


def test_plan_md_matches_the_golden_file() -> None:
    rendered = render_plan_markdown(sample_plan())
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert GOLDEN.exists(), f"{GOLDEN} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert rendered == GOLDEN.read_text(encoding="utf-8"), (
        "plan.md rendering changed: if intended, regenerate with UPDATE_GOLDEN=1 and review the diff"
    )


def test_render_is_deterministic() -> None:
    assert render_plan_markdown(sample_plan()) == render_plan_markdown(sample_plan())


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("a|b", "a\\|b"),
        ("a\\|b", "a\\\\\\|b"),  # a literal backslash cannot un-escape the pipe
        ("line\nbreak", "line break"),
        ("<script>", "&lt;script&gt;"),
        (None, "—"),
        (42, "42"),
    ],
    ids=["pipe", "backslash-before-pipe", "newline", "html", "none", "number"],
)
def test_markdown_cells_are_escaped(value: object, cell: str) -> None:
    assert markdown_text(value) == cell


def _unescaped_pipes(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row))


def _plan_with(*, details: list[str], warnings: list[str]) -> Plan:
    base = sample_plan()
    kept = entry("api", 4, reasons=[Reason.ALIAS_PROTECTED], details=details)
    return base.model_copy(update={"keep": [kept], "warnings": warnings}).with_derived_summary()


def test_a_pipe_in_a_cell_does_not_split_the_table_row() -> None:
    markdown = render_plan_markdown(_plan_with(details=["alias a|b (primary)", "x | y"], warnings=[]))
    (row,) = [line for line in markdown.splitlines() if "alias a" in line]
    # Escaped in the cell, whichever of its lines (`<br>`) the pipe lands on.
    assert "alias a\\|b (primary); x \\| y" in row.replace("<br>", " ")
    header = next(
        line
        for line in markdown.splitlines()
        if line.startswith("| function | version | age | last invoked | why |")
    )
    assert _unescaped_pipes(row) == _unescaped_pipes(header)


def test_every_table_row_has_as_many_cells_as_its_header() -> None:
    lines = render_plan_markdown(sample_plan()).splitlines()
    header_cells = 0
    for line in lines:
        if not line.startswith("|"):
            header_cells = 0
            continue
        if header_cells == 0:
            header_cells = _unescaped_pipes(line)
        assert _unescaped_pipes(line) == header_cells, line


def test_warnings_are_escaped_and_kept_on_one_line() -> None:
    markdown = render_plan_markdown(_plan_with(details=[], warnings=["a|b\n# not a heading"]))
    assert "> - a\\|b # not a heading" in markdown.splitlines()


def test_the_headline_counts_and_totals_the_deletions() -> None:
    plan = sample_plan()
    headline = render_plan_markdown(plan).splitlines()[2]
    s = plan.summary
    assert headline.startswith(
        f"**{s.delete_count} SnapStart versions to delete** in {s.functions_with_deletions} functions"
    )
    assert f"**${s.estimated_monthly_savings_usd:,.2f} / month**" in headline


def test_singular_wording_for_one_version() -> None:
    plan = sample_plan()
    one = plan.model_copy(update={"delete": plan.delete[:1]}).with_derived_summary()
    assert "**1 SnapStart version to delete** in 1 function ·" in render_plan_markdown(one)


def test_a_plan_with_nothing_to_delete_says_so() -> None:
    plan = sample_plan()
    empty = plan.model_copy(update={"delete": []}).with_derived_summary()
    markdown = render_plan_markdown(empty)
    assert "Nothing to delete: every SnapStart version is kept" in markdown
    assert "### `" not in markdown


def test_each_deletion_appears_in_its_functions_rows_and_each_kept_version_once() -> None:
    plan = sample_plan()
    markdown = render_plan_markdown(plan)
    for e in plan.delete:
        block = markdown[markdown.index(f"<summary><code>{e.function_name}</code>") :]
        block = block[: block.index("</details>")]
        assert re.search(rf"^\| {e.version} \| {e.age_days} days \|", block, re.MULTILINE), e.label
    kept = markdown[markdown.index("## Kept versions") :]
    # The notable table names a function on its first row only (its region on a line under it: the plan
    # spans two).
    function = ""
    rows = []
    for line in kept.splitlines():
        if match := re.match(r"^\| (?:`([\w-]+)`<br>\(([\w-]+)\))? *\| (\d+) \| (\d+) days \|", line):
            function = f"{match[1]} ({match[2]})" if match[1] else function
            rows.append((function, match[3], match[4]))
    for e in plan.keep:
        line = rf"^- `{e.function_name}` \({e.region}\): (.*; )?([0-9, ]*, )?{e.version}(, [0-9, ]*)? \("
        found = re.findall(line, kept, re.MULTILINE)
        found += [r for r in rows if r == (f"{e.function_name} ({e.region})", e.version, str(e.age_days))]
        assert len(found) == 1, e.label


def test_usage_that_was_not_looked_up_says_not_checked() -> None:
    plan = sample_plan()
    kept = entry("api", 4, reasons=[Reason.ALIAS_PROTECTED], invocations_in_window=None)
    markdown = render_plan_markdown(plan.model_copy(update={"keep": [kept]}).with_derived_summary())
    assert "| `api`<br>(us-east-1) | 4 | 60 days | not checked | alias_protected |" in markdown


def test_a_value_the_same_on_every_row_of_a_function_is_said_once_above_its_table() -> None:
    markdown = render_plan_markdown(sample_plan())
    assert "python3.12 · 2,048 MB · state Active · last invoked: none in window · $7.80 / month each" in (
        markdown.splitlines()
    )
    assert "| 1 | 150 days |" in markdown.splitlines()
