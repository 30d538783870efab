"""The review page at any size (issue 10): a pull request body under GitHub's 65,536 characters that
always holds the parts a reviewer decides from, "Dropped in review", and the deletion cap.

The golden file tests/golden/plan-body-5000.md is the body of `large_plan(5_000, 340)`; regenerate it
after an intended change with UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cleaner.github.body import BODY_LIMIT
from cleaner.github.plan_set import PlanFiles, PlanSet
from cleaner.plan import Plan
from cleaner.planner import cap_deletions
from cleaner.reasons import Reason
from cleaner.render import render_plan_body, render_plan_markdown
from cleaner.settings import ApplyLimits
from cleaner.validate import check_derived, check_removals_only

from .factories import entry, sample_plan
from .gfm import render

GOLDEN_BODY = Path(__file__).parent.parent / "golden" / "plan-body-5000.md"
LINK = "https://github.com/acme/infra/blob/snapstart-cleaner/plan/plans/20261101T120000Z/plan.md"
# The parts every body holds, in this order.
ALWAYS = [
    "**",
    "## On merge",
    "## How to keep a version",
    "## To delete",
    "## Kept",
    "## Settings used",
]


def large_plan(deletions: int, functions: int, kept: int = 600) -> Plan:
    """`deletions` candidates over `functions` functions of different sizes (some Java), `kept` kept
    versions: most keep_last_n, one in ten for a reason to look at."""
    memories = [128, 256, 512, 1024, 2048, 3008]
    delete = []
    for index in range(deletions):
        f = index % functions
        java = f % 17 == 0
        memory = memories[f % len(memories)]
        delete.append(
            entry(
                f"service-{f:03d}",
                index // functions + 1,
                runtime="java21" if java else "python3.12",
                memory_mb=memory,
                age_days=400 - index // functions,
                estimated_monthly_cost_usd=0.0 if java else round(memory / 1024 * 3.8999, 4),
            )
        )
    keep = []
    for index in range(kept):
        f = index % functions
        notable = index % 10 == 0
        keep.append(
            entry(
                f"service-{f:03d}",
                100_000 + index,
                reasons=[Reason.ALIAS_PROTECTED if notable else Reason.PROTECTED_KEPT_LAST_N],
                details=["alias live"] if notable else ["among the newest 3 published versions"],
            )
        )
    plan = sample_plan().model_copy(update={"delete": delete, "keep": keep, "warnings": []})
    limits = ApplyLimits(max_deletions_per_apply=10_000)
    return cap_deletions(plan.with_derived_summary(), limits)


def cell_problems(markdown: str) -> list[str]:
    """What the rendered page cannot show (gfm.py checks the rest, with GitHub's renderer): cmark-gfm
    pads a table row with fewer cells than its header and silently drops the cells of one with more, so
    a cell split by a stray `|` loses its text without a trace in the HTML; and a code span left open on
    a line shows its backtick as text."""
    problems = []
    cells = 0
    fence = False
    for number, line in enumerate(markdown.splitlines(), start=1):
        if line.startswith("```"):
            fence = not fence
            continue
        if fence:
            continue
        unescaped = re.sub(r"\\.", "", line)
        if line.startswith("|"):
            count = unescaped.count("|")
            if cells == 0:
                cells = count
            elif count != cells:
                problems.append(f"line {number}: {count - 1} cells, the header has {cells - 1}")
        else:
            cells = 0
        if unescaped.count("`") % 2:
            problems.append(f"line {number}: an unclosed code span")
    return problems


def _positions(text: str) -> list[int]:
    return [text.index(part) for part in ALWAYS]


def test_the_body_of_a_5000_deletion_plan_fits_and_holds_every_always_present_part_in_order() -> None:
    plan = large_plan(5_000, 340)
    body = render_plan_body(plan, LINK, BODY_LIMIT, dry_run=True)

    assert body is not None
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN_BODY.write_text(body, encoding="utf-8")
    assert body == GOLDEN_BODY.read_text(encoding="utf-8"), "regenerate with UPDATE_GOLDEN=1 if intended"
    assert len(body) < BODY_LIMIT
    assert _positions(body) == sorted(_positions(body))
    assert body.splitlines()[2].startswith("**5,000 SnapStart versions to delete** in 340 functions")
    # The note is at the top, before "On merge", and links the full page.
    top = body.split("## On merge")[0]
    assert "Shortened to fit GitHub's limit" in top and f"]({LINK})" in top
    # Only function rows are cut: the functions shown are the first by savings, each whole.
    shown = re.findall(r"^<summary><code>(service-\d+)</code>", body, re.MULTILINE)
    full = re.findall(r"^<summary><code>(service-\d+)</code>", render_plan_markdown(plan), re.MULTILINE)
    assert 0 < len(shown) < len(full) and shown == full[: len(shown)]
    assert cell_problems(body) == []
    assert render(body, comment=True).problems == []


def test_a_body_that_fits_is_the_whole_page() -> None:
    plan = sample_plan()
    for mode in (True, False):
        body = render_plan_body(plan, LINK, BODY_LIMIT, dry_run=mode)
        assert body == render_plan_markdown(plan, dry_run=mode, link=LINK)


def test_the_small_and_the_full_large_page_parse_as_intended() -> None:
    for page in (render_plan_markdown(sample_plan()), render_plan_markdown(large_plan(1_400, 85))):
        assert cell_problems(page) == []
        assert render(page, comment=False).problems == []


def test_the_cell_check_finds_a_row_split_by_a_pipe_and_an_open_code_span() -> None:
    broken = "| a | b |\n|---|---|\n| 1 | x | y |\n| 2 \\| 3 | `z |\n\n```mermaid\npie `\n```\n"
    assert cell_problems(broken) == ["line 3: 3 cells, the header has 2", "line 4: an unclosed code span"]
    # What GitHub shows for row 3: its first two cells, "y" gone without a trace.
    [table] = render(broken, comment=False).tables()
    assert table.rows[0] == ["1", "x"]


def test_no_template_paragraph_is_hard_wrapped() -> None:
    # GitHub turns every newline of a PR body into a line break: a paragraph must be one line.
    paragraphs = render_plan_markdown(sample_plan()).split("\n\n")
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if lines and not lines[0].startswith(("|", ">", "-", "<", "#", "```")):
            assert len(lines) == 1, paragraph


def _dropped(plan: Plan, *labels: str) -> Plan:
    kept = [e for e in plan.delete if f"{e.function_name}:{e.version}" not in labels]
    return plan.model_copy(update={"delete": kept}).with_derived_summary()


def test_a_version_dropped_in_review_is_listed_in_dropped_in_review() -> None:
    original = sample_plan()
    edited = _dropped(original, "api:2", "api:3")

    page = render_plan_markdown(edited, original)

    section = page.split("## Dropped in review\n")[1].split("\n## ")[0]
    assert "2 versions ($15.60 / month) removed from `delete` by review" in section
    assert "- `api` (us-east-1): 2, 3" in section.splitlines()
    assert check_removals_only(edited, original).ok
    assert check_derived(edited, page, original) == []
    # Without the original, the section cannot be derived, so it is left out of the comparison.
    assert check_derived(edited, page) == []


def test_a_pull_request_body_shortened_to_fit_still_lists_what_review_dropped() -> None:
    original = large_plan(400, 40)
    dropped = original.delete[0]
    edited = original.model_copy(update={"delete": original.delete[1:]}).with_derived_summary()
    page = render_plan_markdown(edited, original)
    files = PlanFiles(edited, "{}", page, f"plans/{edited.plan_id}", original=original)
    limit = len(page) // 2  # the body must be shortened

    body = PlanSet([files]).body({edited.plan_id: LINK}, limit)

    assert len(body) <= limit and "## Dropped in review" in body
    section = body.split("## Dropped in review\n")[1].split("\n## ")[0]
    assert f"`{dropped.function_name}`" in section


def test_a_dropped_in_review_section_that_lists_the_wrong_versions_is_not_in_sync() -> None:
    original = sample_plan()
    page = render_plan_markdown(_dropped(original, "api:2"), original)
    other = _dropped(original, "api:3")
    assert [f.file for f in check_derived(other, page, original)] == ["plan.md"]


def test_a_plan_over_the_cap_keeps_the_smallest_savings_for_the_next_plan() -> None:
    plan = sample_plan()  # 8 deletions: api 4 x $7.80, worker $1.95, edge 2 x $0.49, java $0
    capped = cap_deletions(plan, ApplyLimits(max_deletions_per_apply=5))

    assert [e.label for e in capped.delete] == [
        "api:1 (us-east-1)",
        "api:2 (us-east-1)",
        "api:3 (us-east-1)",
        "api:6 (us-east-1)",
        "worker:3 (us-east-1)",
    ]
    deferred = [e for e in capped.keep if e.reasons == [Reason.OVER_DELETION_CAP]]
    assert sorted(e.label for e in deferred) == [
        "edge:2 (eu-west-1)",
        "edge:3 (eu-west-1)",
        "java-svc:2 (us-east-1)",
    ]
    assert capped.summary == capped.with_derived_summary().summary
    assert any("3 more candidates" in w and "max_deletions_per_apply (5)" in w for w in capped.warnings)
    page = render_plan_markdown(capped)
    assert "· 18 kept · 3 more in the next plan" in page.splitlines()[2]
    assert "Apply refuses more than 5 deletions" in page


def test_a_plan_within_the_cap_is_unchanged_but_for_the_limits_it_shows() -> None:
    plan = sample_plan()
    capped = cap_deletions(plan, ApplyLimits())
    assert capped.delete == plan.delete and capped.keep == plan.keep
    page = render_plan_markdown(capped)
    assert (
        "Apply refuses more than 500 deletions, a plan older than 14 days (from 2026-11-15 12:00 UTC)" in page
    )


def test_a_plan_over_the_cap_it_was_scanned_with_says_apply_will_refuse_it() -> None:
    plan = sample_plan().model_copy(update={"apply_limits": ApplyLimits(max_deletions_per_apply=5)})
    assert "**this plan: it has 8 deletions, over the cap of 5; drop versions or raise the cap**" in (
        render_plan_markdown(plan)
    )


def test_room_left_after_every_functions_rows_shows_the_versions_kept_for_a_reason_to_look_at() -> None:
    # 1,300 deletions in 85 functions, 1,500 kept (150 behind an alias): every function's rows fit, all
    # the kept rows do not; the alias rows are what a reviewer must see, the newest-N lines can be linked.
    plan = large_plan(1_300, 85, kept=1_500)
    body = render_plan_body(plan, LINK, BODY_LIMIT)

    assert body is not None and len(body) < BODY_LIMIT
    assert len(re.findall(r"^<summary><code>service-", body, re.MULTILINE)) == 85
    assert "<summary>150 versions kept for a reason to look at, by function</summary>" in body
    assert "kept for their age, their place among the newest" not in body
    assert "the other kept versions are only in [" in body.split("## On merge")[0]
    assert render(body, comment=True).problems == []


def test_in_a_body_of_several_accounts_a_pages_spare_room_is_left_to_the_next_account() -> None:
    plan = large_plan(1_300, 85, kept=1_500)
    alone = render_plan_body(plan, LINK, BODY_LIMIT)
    in_a_set = render_plan_body(plan, LINK, BODY_LIMIT, fill_kept=False)

    assert alone is not None and in_a_set is not None
    assert "kept for a reason to look at" in alone and "kept for a reason to look at" not in in_a_set
    assert len(in_a_set) < len(alone)


def test_every_function_is_findable_on_the_5000_deletion_body_and_how_to_keep_comes_early() -> None:
    plan = large_plan(5_000, 340)
    body = render_plan_body(plan, LINK, BODY_LIMIT, dry_run=False)
    assert body is not None and len(body) < BODY_LIMIT
    page = render(body, comment=True)

    # The index: every function with deletions, by name, whatever rows were cut.
    [index] = [t for t in page.tables() if t.section == "To delete"]
    names = {e.function_name for e in plan.delete if e.estimated_monthly_cost_usd > 0}
    assert {row[0] for row in index.rows} == names
    listed = {
        row[0] for t in page.tables() if t.section in ("To delete", "No cache charge") for row in t.rows
    }
    assert listed == {e.function_name for e in plan.delete}
    # "How to keep" before the index, after a head of a few lines: within the first two screens.
    assert page.headings(2)[:3] == ["On merge", "How to keep a version", "To delete"]
    head = body.split("## How to keep a version")[0]
    assert len(head.splitlines()) < 25 and len(head) < 2_500
    how = page.section("How to keep a version")[0].text()
    assert "/keep service-005:1" in how and "/keep us-east-1:service-005:1" in how
    # The links to the files are links.
    note = body.split("## On merge")[0]
    assert f"]({LINK})" in note
    assert (
        "](https://github.com/acme/infra/edit/snapstart-cleaner/plan/plans/20261101T120000Z/plan.json)"
        in body
    )
