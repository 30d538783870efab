"""Issue 8, attack 9 (Markdown injection), second line of defence: every value a template interpolates
is escaped (`cell` for text, `code` for a code span), so even text that reached the renderer without
validation cannot end a table cell, add a line, or open an HTML comment, a code span, a link or emphasis.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.apply_result import ApplyResult, EntryResult, Outcome, count_outcomes
from cleaner.plan import Plan, parse_plan, plan_json_text
from cleaner.render import markdown_code, markdown_text, render_apply_markdown, render_plan_markdown

from .factories import NOW, sample_plan

HIDE_THE_REST = "x\n\n<!--"  # an HTML comment opened on a line of its own hides everything after it


# --- one value at a time ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("a*b* ~~c~~", "a\\*b\\* \\~\\~c\\~\\~"),
        ("snake_case_name", "snake_case_name"),  # `_` inside a word cannot start emphasis
        ("_lead and trail_", "\\_lead and trail\\_"),
        ("[link](http://x) ![img](y)", "\\[link\\](http://x) !\\[img\\](y)"),
        ("artifact `plan-p1` of run 7", "artifact `plan-p1` of run 7"),  # our messages name things so
        ("`a|b` `<!--` `x\\`", "\\`a\\|b\\` \\`&lt;!--\\` \\`x\\\\\\`"),
        ("``x`` `y", "\\``x`\\` \\`y"),
        ("a & b <!-- c -->", "a &amp; b &lt;!-- c --&gt;"),
        ("$x^2$", "\\$x^2\\$"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("12. item", "12\\. item"),
        ("x\r\n\r\n<!--", "x &lt;!--"),
        ("x\u2028\u2029\x85y", "x y"),
        ("a\u202eb", "a\ufffdb"),
        ("  padded  ", "padded"),
    ],
    ids=[
        "emphasis-and-strikethrough",
        "snake-case",
        "underscore-at-word-edges",
        "link-and-image",
        "safe-code-span",
        "unsafe-code-spans",
        "stray-backticks",
        "html-comment",
        "math",
        "heading",
        "list-item",
        "ordered-list",
        "crlf",
        "unicode-line-breaks",
        "bidi-override",
        "padding",
    ],
)
def test_cell_text_is_escaped_into_plain_text_on_one_line(value: str, text: str) -> None:
    assert markdown_text(value) == text


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("snapstart-cleaner:keep", "`snapstart-cleaner:keep`"),
        ("edge*", "`edge*`"),
        ("a<!--b & c", "a&lt;!--b &amp; c"),  # literal in a code span, yet kept out of one
        ("a|b", "a\\|b"),  # a pipe would end the table cell even inside a code span
        ("a`b", "a\\`b"),
        ("x\n\n<!--", "x &lt;!--"),
        ("a\\", "a\\\\"),
        ("", ""),
    ],
    ids=["tag", "glob", "html", "pipe", "backtick", "newline", "backslash", "empty"],
)
def test_a_code_value_is_a_code_span_only_when_nothing_in_it_can_end_the_span(
    value: str, rendered: str
) -> None:
    assert markdown_code(value) == rendered


def _cells(line: str) -> int:
    """How many cell separators GitHub's table parser sees: pipes not taken by a backslash escape."""
    count, index = 0, 0
    while index < len(line):
        if line[index] == "\\":
            index += 2
            continue
        count += line[index] == "|"
        index += 1
    return count


def _live_syntax(markdown: str) -> list[str]:
    """Characters that still mean something to Markdown: outside code spans and backslash escapes."""
    live, index, in_code = [], 0, False
    while index < len(markdown):
        char = markdown[index]
        if char == "\\" and not in_code:
            index += 2
            continue
        if char == "`":
            in_code = not in_code
        elif not in_code and char in "*~[]<>$":
            live.append(char)
        index += 1
    return live


def _with(field: str, value: str) -> Plan:
    """The sample plan with `value` in `field` (of every entry, for entry fields), bypassing validation,
    as if the value had reached the renderer some other way."""
    plan = sample_plan()
    entry_fields = {"runtime", "state", "region", "function_name", "details"}
    if field in entry_fields:
        new = [value] if field == "details" else value
        return plan.model_copy(
            update={
                section: [e.model_copy(update={field: new}) for e in getattr(plan, section)]
                for section in ("delete", "keep")
            }
        )
    if field in ("protect_tag", "include", "exclude", "regions_setting"):
        name = "regions" if field == "regions_setting" else field
        new_value: object = value if field == "protect_tag" else [value, "b"]
        return plan.model_copy(update={"settings": plan.settings.model_copy(update={name: new_value})})
    if field == "override":
        override = plan.settings.overrides[0].model_copy(update={"functions": value})
        return plan.model_copy(
            update={"settings": plan.settings.model_copy(update={"overrides": [override]})}
        )
    if field == "billed_runtimes":
        return plan.model_copy(
            update={"pricing": plan.pricing.model_copy(update={"billed_runtimes": [value]})}
        )
    if field in ("regions", "warnings"):
        return plan.model_copy(update={field: [value, "eu-west-1"]})
    return plan.model_copy(update={field: value})


ESCAPED_FIELDS = [
    *("regions", "regions_setting", "protect_tag", "include", "exclude", "override", "billed_runtimes"),
    *("plan_id", "account_id", "warnings", "runtime", "state", "region", "function_name", "details"),
]
MARKDOWN_PIECES = ["<!--", "-->", "](", "- ", "1. ", *"<>|\\`*_~[!&#$\n\r\u2028\x85\u202e xé"]
hostile_text = st.one_of(
    st.text(max_size=20), st.lists(st.sampled_from(MARKDOWN_PIECES), max_size=12).map("".join)
)


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(ESCAPED_FIELDS), value=hostile_text)
def test_no_value_in_any_field_can_change_the_shape_of_the_page(field: str, value: str) -> None:
    page = render_plan_markdown(_with(field, value))
    plain = render_plan_markdown(_with(field, "x"))

    assert "<!--" not in page
    # Every value stays on its line: the page has exactly the lines it has with a plain value ...
    assert len(page.splitlines()) == len(plain.splitlines())
    # ... every table row keeps its header's column count ...
    header = 0
    for line in page.splitlines():
        if not line.startswith("|"):
            header = 0
            continue
        header = header or _cells(line)
        assert _cells(line) == header, line
    # ... and the value adds no live Markdown or HTML (link, image, emphasis, strikethrough, math, tag).
    # The page's own `<br>`s, which break a long cell into lines (a longer value makes more of them),
    # are left out of the count: a value cannot write one, its `<` is always escaped.
    assert sorted(_live_syntax(page.replace("<br>", ""))) == sorted(_live_syntax(plain.replace("<br>", "")))


def test_a_rendered_attack_stays_inside_its_cell() -> None:
    page = render_plan_markdown(_with("runtime", HIDE_THE_REST))
    assert "x &lt;!-- · 128 MB · state Active · last invoked: none in window · $0.49 / month each" in (
        page.splitlines()
    )


def test_a_plan_scanned_with_unusual_but_valid_settings_reads_back_and_renders_them_as_code() -> None:
    plan = sample_plan(
        protect_tag="équipe: garder",
        include=["[a-z]*", "edge?"],
        exclude=["*-sandbox"],
    )
    assert parse_plan(plan_json_text(plan), "plan.json") == plan
    markdown = render_plan_markdown(plan)
    assert "| protect_tag | `équipe: garder` |" in markdown
    assert "| include | `[a-z]*`, `edge?` |" in markdown
    assert "| exclude | `*-sandbox` |" in markdown


def test_the_apply_result_page_keeps_an_attack_in_its_cell() -> None:
    # Its entries come from the plan, its messages from AWS, its plan path from the command line.
    entry = EntryResult(
        region="us-east-1",
        function_name="api",
        version="2",
        outcome=Outcome.FAILED,
        reasons=["check_incomplete"],
        message=f"AccessDenied {HIDE_THE_REST} | `x`",
    )
    result = ApplyResult(
        plan_id="p1",
        plan_path=f"plans/p1{HIDE_THE_REST}/plan.json",
        account_id="123456789012",
        dry_run=False,
        started_at=NOW,
        finished_at=NOW,
        entries=[entry],
        counts=count_outcomes([entry]),
    )
    page = render_apply_markdown(result)
    assert "<!--" not in page
    assert "· plan plans/p1x &lt;!--/plan.json ·" in page
    assert "**1 version:** check_incomplete: AccessDenied x &lt;!-- \\| `x`" in page.splitlines()
    assert "- `api` (us-east-1): 2" in page.splitlines()
