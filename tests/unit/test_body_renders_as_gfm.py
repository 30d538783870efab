"""The review pages render on GitHub as intended (issue 10), checked without a screenshot: each body is
rendered by cmark-gfm (GitHub's renderer, see gfm.py) and its HTML read back.

For every page: each element opened is closed, in order; no table row or code fence is left as text
outside its table or block; each <details> starts with its <summary> and has its Markdown rendered. And
the page has what its plan says it should: the headings of its always-present parts, one table per
section that has one, one <details> with a one-table per function the body keeps (with that function's
rows), the kept versions' blocks, and the savings chart as a Mermaid block. The expectations come from
the plan, never from the page.
"""

from __future__ import annotations

import html
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.cli import run_in_process

from cleaner.apply_result import RESULT_JSON, RESULT_MD, ApplyResult, EntryResult, Outcome, count_outcomes
from cleaner.commands.open_pr import read_plan_files
from cleaner.cost import cache_is_billed, total_usd
from cleaner.exit_codes import ExitCode
from cleaner.github.body import BODY_LIMIT, fit_body
from cleaner.github.plan_set import PlanFiles, PlanSet
from cleaner.github.trailers import FailedAccount
from cleaner.plan import PLAN_JSON, PLAN_MD, Plan, PlanEntry, load_plan
from cleaner.reasons import ROUTINE_REASONS, Reason
from cleaner.render import CHART_SLICES, render_apply_markdown, render_plan_markdown

from .factories import NOW, entry, sample_plan
from .gfm import Element, Rendered, render, split_pages
from .test_review_page import large_plan

GOLDEN = Path(__file__).parent.parent / "golden"
REPOSITORY = "https://github.com/acme/infra/blob/snapstart-cleaner/plan"


def link(files: PlanFiles) -> str:
    return f"{REPOSITORY}/{files.md_path}"


def files_of(plan: Plan, original: Plan | None = None) -> PlanFiles:
    """A plan as open-pr reads it from its folder: plan.md rendered by the product."""
    return PlanFiles(
        plan, plan.model_dump_json(), render_plan_markdown(plan, original), f"plans/{plan.plan_id}"
    )


# --- what a plan page should show, from its plan ----------------------------------------------------


@dataclass(frozen=True)
class Function:
    region: str
    name: str
    entries: list[PlanEntry]

    @property
    def billed(self) -> bool:
        return any(cache_is_billed(e.runtime) for e in self.entries)

    @property
    def savings(self) -> float:
        return total_usd([e.estimated_monthly_cost_usd for e in self.entries])


def functions_of(plan: Plan) -> list[Function]:
    """The functions with deletions, as the page orders their blocks: billed by savings, then the rest."""
    grouped: dict[tuple[str, str], list[PlanEntry]] = {}
    for e in plan.delete:
        grouped.setdefault((e.region, e.function_name), []).append(e)
    functions = [Function(region, name, entries) for (region, name), entries in grouped.items()]
    billed = sorted(
        (f for f in functions if f.billed), key=lambda f: (-f.savings, -len(f.entries), f.name, f.region)
    )
    return billed + sorted((f for f in functions if not f.billed), key=lambda f: (f.name, f.region))


def is_routine(e: PlanEntry) -> bool:
    return set(e.reasons) <= ROUTINE_REASONS


def block_functions(markdown: str) -> list[tuple[str, str]]:
    """(name, region) of each function block a body's Markdown holds: the body's choice of what fits,
    which the rendering must then show in full."""
    return [
        (html.unescape(name), html.unescape(region))
        for name, region in re.findall(r"^<summary><code>([^<]+)</code> \(([^)]+)\)", markdown, re.MULTILINE)
    ]


def assert_renders_as_plan_page(
    page: Rendered,
    plan: Plan,
    markdown: str,
    *,
    original: Plan | None = None,
    shortened: bool = False,
    boilerplate: bool = True,
) -> None:
    """`page` (one plan page, maybe part of a longer body) shows what `plan` says it should.
    `markdown` is that page's Markdown; `shortened`: a body cut to fit (function rows left out; the index
    of every function with deletions stays whole)."""
    functions = functions_of(plan)
    billed = [f for f in functions if f.billed]
    unbilled = [f for f in functions if not f.billed]
    remaining = {e.key for e in plan.delete}
    dropped = [] if original is None else [e for e in original.delete if e.key not in remaining]
    notable = [e for e in plan.keep if not is_routine(e)]
    routine = {(e.region, e.function_name) for e in plan.keep if is_routine(e)}

    shown = [(f.name, f.region) for f in functions]
    kept_shown = bool(plan.keep)
    if shortened:
        # Only whole function blocks are left out, the smallest savings first; kept blocks may go too.
        shown = block_functions(markdown)
        assert shown == [(f.name, f.region) for f in functions][: len(shown)]
        kept_shown = "\n## Kept versions\n" in markdown

    assert page.headings(1) == [f"SnapStart Cleaner plan {plan.plan_id}"]
    assert page.headings(2) == [
        *(["On merge"] if boilerplate else []),
        *(["How to keep a version"] if plan.delete and boilerplate else []),
        *(["Dropped in review"] if dropped else []),
        "To delete",
        "Kept",
        *(["What this plan is worth"] if plan.savings else []),
        *(["Rows by function"] if shown else []),
        *(["Kept versions"] if kept_shown else []),
        "Settings used",
    ]
    assert page.headings(3) == (["No cache charge"] if unbilled else [])

    tables = page.tables()
    expected = Counter(
        {
            "To delete": int(bool(billed)),
            "No cache charge": int(bool(unbilled)),
            "Kept": int(bool(plan.summary.keep_reasons)),
            "Rows by function": len(shown),
            "Kept versions": int(kept_shown and bool(notable)),
            "Settings used": 1,
            # The bill's weekly table (cleaner.render.savings).
            "What this plan is worth": int(bool(plan.savings and plan.savings.bill)),
        }
    )
    assert Counter(t.section for t in tables) == +expected
    assert len(page.root.find_all("table")) == expected.total()
    [to_delete] = [t for t in tables if t.section == "To delete"] or [None]
    if to_delete is not None:
        # The index: every function with deletions, whatever was cut.
        assert [row[0] for row in to_delete.rows] == [f.name for f in billed]
    index = {row[0] for t in tables if t.section in ("To delete", "No cache charge") for row in t.rows}
    assert index == {f.name for f in functions}

    # Each function the body keeps: one <details>, its summary naming it, one table with its rows.
    rows = {(f.name, f.region): f.entries for f in functions}
    blocks = [d for d in page.details() if d.section == "Rows by function"]
    assert len(blocks) == len(shown)
    for block, (name, region) in zip(blocks, shown, strict=True):
        count = len(rows[(name, region)])
        assert [code.text() for code in block.summary.find_all("code")] == [name]
        assert block.summary.text().startswith(f"{name} ({region}) · {count} version{'s' * (count != 1)} · ")
        assert block.tables == 1
    for table in (t for t in tables if t.section == "Rows by function"):
        assert table.details is not None
        name, region = next((n, r) for n, r in shown if table.details.startswith(f"{n} ({r}) · "))
        assert [row[0] for row in table.rows] == [e.version for e in rows[(name, region)]]

    kept = [d for d in page.details() if d.section == "Kept versions"]
    assert [(d.tables, d.items) for d in kept] == (
        [*([(1, 0)] if notable else []), *([(0, len(routine))] if routine else [])] if kept_shown else []
    )
    for table in (t for t in tables if t.section == "Kept versions"):
        # Grouped by function, its name on its first row only (its region on a line under it); every
        # detail in one cell, whatever it holds (a `|` in a detail must not split its cell), on lines
        # that join back into the whole text.
        found, name = [], ""
        for row in table.rows:
            name = row[0].split("\n")[0] or name
            found.append((name, row[1], " ".join(row[-1].split("\n"))))
        assert sorted(found) == sorted((e.function_name, e.version, _why(e)) for e in notable)
        names = [row[0] for row in table.rows if row[0]]
        assert len(names) == len(set(names))

    saving = [f for f in billed if f.savings > 0]
    charts = [text for lang, text in page.code_blocks() if lang == "mermaid"]
    assert len(charts) <= 1
    if len(saving) < 2:
        assert charts == []
    for chart in charts:
        slices = min(len(saving), CHART_SLICES) + (len(saving) > CHART_SLICES)
        if chart.startswith("pie title "):
            assert len(chart.splitlines()) == 1 + slices
        else:
            assert chart.startswith("xychart-beta")

    if plan.delete and boilerplate:
        # The browser first: a `/keep` comment, then the web editor, then the command line.
        how = [element.text() for element in page.section("How to keep a version")]
        assert how and "/keep " in how[0], how
        steps = how[0]
        assert steps.index("/keep ") < steps.index("browser") < steps.index("snapstart-cleaner render")


def _why(entry: PlanEntry) -> str:
    reasons = ", ".join(r.value for r in entry.reasons)
    return f"{reasons}: {'; '.join(entry.details)}" if entry.details else reasons


def assert_well_formed(page: Rendered) -> None:
    assert page.problems == [], "\n".join(page.problems)


# --- the demo: the scan's plan, the reviewed plan, the outcome ---------------------------------------


@dataclass(frozen=True)
class Demo:
    scanned: PlanFiles  # plans/demo as the scan wrote it and open-pr reads it
    reviewed: Plan  # after the reviewer dropped a version
    reviewed_md: str  # plan.md of the reviewed plan, from `render --against` (what plan-check shows)
    apply_md: str
    apply_result: ApplyResult


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("demo")
    assert run_in_process(["demo", "--output", "out"], root, {}).code == ExitCode.OK
    # The scan's plan folder, as open-pr gets it: the original plan and its plan.md from `render`.
    scanned = root / "scan" / "demo"
    scanned.mkdir(parents=True)
    shutil.copy(root / "out" / "original-plan.json", scanned / PLAN_JSON)
    assert run_in_process(["render", f"scan/demo/{PLAN_JSON}"], root, {}).code == ExitCode.OK
    # The reviewed plan as plan-check renders it.
    argv = ["render", f"out/plans/demo/{PLAN_JSON}", "--against", "out/original-plan.json"]
    assert run_in_process(argv, root, {}).code == ExitCode.OK
    reviewed = root / "out" / "plans" / "demo"
    return Demo(
        scanned=read_plan_files(scanned, "plans"),
        reviewed=load_plan(reviewed / PLAN_JSON),
        reviewed_md=(reviewed / PLAN_MD).read_text(encoding="utf-8"),
        apply_md=(reviewed / RESULT_MD).read_text(encoding="utf-8"),
        apply_result=ApplyResult.model_validate_json((reviewed / RESULT_JSON).read_text(encoding="utf-8")),
    )


def test_the_demo_plans_pull_request_body_renders_as_intended(demo: Demo) -> None:
    files = demo.scanned
    for dry_run in (True, False):
        body = PlanSet([files], dry_run=dry_run).body({files.plan.plan_id: link(files)})
        page = render(body, comment=True)

        assert_well_formed(page)
        assert_renders_as_plan_page(page, files.plan, body)
        assert len(body) < BODY_LIMIT


def _merge_sentence(page: Rendered) -> str:
    [alert, *_] = page.section("On merge")
    return [line for line in alert.text().splitlines() if line.strip()][1]


def test_the_body_says_definitely_what_merging_does_in_either_mode(demo: Demo) -> None:
    files = demo.scanned
    count = files.plan.summary.delete_count

    def sentence(dry_run: bool) -> str:
        body = PlanSet([files], dry_run=dry_run).body({files.plan.plan_id: link(files)})
        return _merge_sentence(render(body, comment=True))

    assert sentence(False) == (
        f"Merging deletes {count} versions (SNAPSTART_DRY_RUN is false), each re-verified against live AWS"
        " first."
    )
    assert sentence(True) == (
        "Merging is a dry run: nothing is deleted. To delete, set SNAPSTART_DRY_RUN to false; the next scan's"
        " PR will delete."
    )
    # plan.md, a file, does not know the repository's variable: it says what merging depends on.
    assert "unless" not in files.plan_md and "the pull request's description says which" in files.plan_md


def test_the_plan_check_page_with_dropped_in_review_renders_as_intended(demo: Demo) -> None:
    original = demo.scanned.plan
    for comment in (False, True):  # plan.md in the pull request's files; the body after `keep`
        page = render(demo.reviewed_md, comment=comment)
        assert_well_formed(page)
        assert_renders_as_plan_page(page, demo.reviewed, demo.reviewed_md, original=original)
    remaining = {e.key for e in demo.reviewed.delete}
    [dropped] = [e for e in original.delete if e.key not in remaining]  # the demo's reviewer drops one
    [_, listed] = page.section("Dropped in review")
    assert [item.text() for item in listed.find_all("li")] == [
        f"{dropped.function_name} ({dropped.region}): {dropped.version}"
    ]


def test_the_demos_apply_result_renders_as_intended(demo: Demo) -> None:
    entries = demo.apply_result.entries
    skipped = [e for e in entries if e.outcome is Outcome.SKIPPED]
    gone = [e for e in entries if e.outcome in (Outcome.DELETED, Outcome.ALREADY_DELETED)]
    assert skipped and gone and len(skipped) + len(gone) == len(entries)  # what the demo shows
    page = render(demo.apply_md, comment=True)

    assert_well_formed(page)
    assert page.headings(2) == [f"Skipped ({len(skipped)})", "Deleted"]
    assert page.tables() == []
    # Grouped by what happened: each cause's text once, then one line per function it hit.
    section = page.section(f"Skipped ({len(skipped)})")
    causes = {": ".join(p for p in (", ".join(e.reasons), e.message) if p) for e in skipped}
    said = [p.text() for p in section if p.tag == "p" and p.find_all("strong")]
    assert len(said) == len(causes) and all(any(c in s for s in said) for c in causes)
    listed = [li.text() for element in section for li in element.find_all("li")]
    by_cause: dict[str, set[tuple[str, str]]] = {}
    for e in skipped:
        cause = ": ".join(p for p in (", ".join(e.reasons), e.message) if p)
        by_cause.setdefault(cause, set()).add((e.function_name, e.region))
    assert len(listed) == sum(len(functions) for functions in by_cause.values())
    versions = sorted(v.strip() for line in listed for v in line.split(": ", 1)[1].split(","))
    assert versions == sorted(e.version for e in skipped)
    [deleted] = page.details()
    functions = {(e.region, e.function_name, e.outcome) for e in gone}
    assert (deleted.tables, deleted.items) == (0, len(functions))


def test_an_apply_result_with_every_outcome_renders_as_intended() -> None:
    entries = [
        EntryResult(region="us-east-1", function_name="api", version="1", outcome=Outcome.DELETED),
        EntryResult(region="us-east-1", function_name="api", version="2", outcome=Outcome.ALREADY_DELETED),
        EntryResult(
            region="us-east-1",
            function_name="api",
            version="3",
            outcome=Outcome.FAILED,
            reasons=["version_changed"],
            message="AWS said | no\n# not a heading",
        ),
        EntryResult(
            region="eu-west-1",
            function_name="edge",
            version="4",
            outcome=Outcome.SKIPPED,
            reasons=["alias_protected"],
            message="alias hotfix",
        ),
        EntryResult(region="eu-west-1", function_name="edge", version="5", outcome=Outcome.NOT_ATTEMPTED),
    ]
    result = ApplyResult(
        plan_id="p1",
        plan_path="plans/p1/plan.json",
        account_id="123456789012",
        dry_run=False,
        started_at=NOW,
        finished_at=NOW,
        approval="PR #7 approved by bob",
        stopped="SIGTERM",
        entries=entries,
        counts=count_outcomes(entries),
    )
    page = render(render_apply_markdown(result, sample_plan()), comment=True)

    assert_well_formed(page)
    assert page.headings(2) == ["Failed (1)", "Not attempted", "Skipped (1)", "Deleted"]
    assert page.tables() == []
    failed = [e.text() for e in page.section("Failed (1)")]
    # The next step first, then the cause's full text once, then what it hit.
    assert "Next step:" in failed[0] and "Re-run failed jobs" in failed[0]
    assert failed[1] == "1 version: version_changed: AWS said | no # not a heading"
    assert "api (us-east-1): 3" in failed[2]
    # One line per function and outcome: api deleted, api already gone.
    assert [(d.tables, d.items) for d in page.details()] == [(0, 2)]


# --- the golden pages -------------------------------------------------------------------------------


def test_the_small_golden_page_renders_as_intended() -> None:
    markdown = (GOLDEN / "plan.md").read_text(encoding="utf-8")
    for comment in (False, True):
        page = render(markdown, comment=comment)
        assert_well_formed(page)
        assert_renders_as_plan_page(page, sample_plan(), markdown)


def test_the_golden_body_of_a_5000_deletion_plan_renders_as_intended() -> None:
    body = (GOLDEN / "plan-body-5000.md").read_text(encoding="utf-8")
    page = render(body, comment=True)

    assert_well_formed(page)
    plan = large_plan(5_000, 340)
    assert_renders_as_plan_page(page, plan, body, shortened=True)
    # What the notes say was left out is what the rendering leaves out.
    blocks = len([d for d in page.details() if d.section == "Rows by function"])
    assert f"Rows of {blocks} of {len(functions_of(plan))} functions shown here" in page.root.text()


# --- bodies of several plans, and bodies cut to fit ----------------------------------------------------


def test_a_body_of_several_accounts_renders_each_page_as_intended() -> None:
    small = sample_plan().model_copy(update={"plan_id": "20261101T120000Z-a", "account_id": "111111111111"})
    big = large_plan(1_400, 85).model_copy(
        update={"plan_id": "20261101T120000Z-b", "account_id": "222222222222"}
    )
    empty = sample_plan(min_age_days=1_000).model_copy(
        update={"plan_id": "20261101T120000Z-c", "account_id": "333333333333"}
    )
    plans = [files_of(small), files_of(big), files_of(empty)]
    failed = [FailedAccount("444444444444", "AccessDenied | on sts:AssumeRole")]
    names = {"111111111111": "prod | eu", "222222222222": "stage"}
    plan_set = PlanSet(plans, failed, names)
    body = plan_set.body({f.plan.plan_id: link(f) for f in plan_set.to_commit})
    rendered = render(body, comment=True)

    assert_well_formed(rendered)
    summary, *pages = split_pages(rendered)
    assert summary.headings(1) == ["SnapStart Cleaner: 4 accounts"]
    # "On merge" and "How to keep a version" once, for every page.
    assert summary.headings(2) == ["On merge", "How to keep a version"]
    assert "/keep " in summary.section("How to keep a version")[0].text()
    [accounts] = summary.tables()
    # Each account's id once: its name, or a dash (a failed account too).
    assert [row[1] for row in accounts.rows] == [
        "222222222222",
        "111111111111",
        "333333333333",
        "444444444444",
    ]
    assert [row[0] for row in accounts.rows] == ["stage", "prod | eu", "—", "—"]
    # The small account's warning is in the summary whatever room its page gets.
    assert "prod | eu (111111111111): cloudfront:ListDistributions: AccessDenied" in summary.root.text()
    # Each page in the body, largest savings first: the big one shortened to the room left.
    markdown = body.split("\n---\n\n")[1:]
    by_id = {f.plan.plan_id: f for f in plans}
    shown = [page.headings(1)[0].removeprefix("SnapStart Cleaner plan ") for page in pages]
    assert shown == [big.plan_id, small.plan_id]
    for page, text in zip(pages, markdown, strict=True):
        files = by_id[page.headings(1)[0].removeprefix("SnapStart Cleaner plan ")]
        assert_renders_as_plan_page(
            page, files.plan, text, shortened="Shortened to fit" in text, boilerplate=False
        )


def cut_points(markdown: str, step: int) -> Iterator[int]:
    """Limits that cut `markdown` at many places: every `step` characters, and just after each line
    that opens a block (a table header, a <details>, a fence), where a cut is most likely to break it."""
    yield from range(2_000, len(markdown), step)
    for match in re.finditer(r"^(\| \w|<details>|<summary>|```|> \[!).*\n", markdown, re.MULTILINE):
        if match.end() + 1_500 < len(markdown):
            yield match.end() + 1_500  # fit_body keeps about 1,100 characters for its note and margin


@pytest.mark.parametrize("plan", [sample_plan(), large_plan(300, 30)], ids=["small", "large"])
def test_a_page_cut_to_any_length_renders_with_every_block_closed(plan: Plan) -> None:
    markdown = render_plan_markdown(plan)
    full = render(markdown, comment=False)
    failures = []
    for limit in sorted(set(cut_points(markdown, 997))):
        body = fit_body(markdown, "in [`plan.md`](https://example.com/plan.md)", limit)
        page = render(body, comment=True)
        if page.problems:
            failures.append(f"limit {limit}: {page.problems}")
        # What is left is the page's beginning: its headings a prefix of the page's, then the note.
        assert page.headings(2) == full.headings(2)[: len(page.headings(2))], limit
        assert page.root.text().rstrip().endswith("The full text is in plan.md."), limit
    assert failures == []


@pytest.mark.parametrize(
    "opened",
    [
        "<details>\n",
        "<details>\n<summary>api</summary>\n\n",
        "| version | age |\n",
        "| version | age |\n|---:|---:|\n",
        "```mermaid\n",
        "## Rows by function\n\n",
        "> [!NOTE]\n",
        "## Kept versions\n\n<details>\n<summary>9 versions</summary>\n\n| a | b |\n",
    ],
)
def test_a_cut_right_after_a_block_opens_leaves_the_empty_block_out(opened: str) -> None:
    # One long line after the block: the cut (whole lines only) falls just after `opened`.
    text = "intro\n\n" + opened + "y" * 3_000 + "\n"
    body = fit_body(text, "in x", limit=600)
    assert body.split("\n---\n")[0].strip() == "intro", body
    assert render(body, comment=True).problems == []


def test_a_cut_inside_a_block_with_content_closes_it() -> None:
    text = "intro\n\n<details>\n<summary>s</summary>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n" + "y" * 3_000
    body = fit_body(text, "in x", limit=600)
    assert body.startswith("intro\n\n<details>\n<summary>s</summary>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    page = render(body, comment=True)
    assert page.problems == [] and [t.rows for t in page.tables()] == [[["1", "2"]]]


def test_a_body_whose_always_present_parts_do_not_fit_is_cut_and_still_renders() -> None:
    files = files_of(large_plan(400, 40))
    limit = 4_000  # less than the head of the review page: render_plan_body gives up, fit_body cuts
    body = PlanSet([files]).body({files.plan.plan_id: link(files)}, limit)
    page = render(body, comment=True)

    assert len(body) <= limit
    assert_well_formed(page)
    assert "This text is cut here" in page.root.text()


def test_a_page_shortened_to_a_smaller_limit_renders_as_intended() -> None:
    plan = large_plan(1_400, 85)
    files = files_of(plan)
    for limit in (20_000, 30_000, 45_000):
        body = PlanSet([files]).body({plan.plan_id: link(files)}, limit)
        page = render(body, comment=True)
        assert len(body) <= limit
        assert_well_formed(page)
        assert_renders_as_plan_page(page, plan, body, shortened=True)


# --- the checker finds what it is for ---------------------------------------------------------------


def _golden_small() -> str:
    return (GOLDEN / "plan.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        # A </details> dropped: the block swallows the rest of the page.
        (lambda md: md.replace("</details>", "", 1), "<details> is never closed"),
        # No blank line after <summary>: GitHub shows the function's table as raw text.
        (
            lambda md: md.replace("</summary>\n\n", "</summary>\n", 1),
            "Markdown left unrendered inside <details>",
        ),
        # A table's delimiter row broken: its rows become a paragraph of pipes.
        (lambda md: md.replace("|---|---|---:|---:|---:|", "|---|---|", 1), "a table row outside a table"),
        # A <code> left open in a summary: it runs into what follows.
        (lambda md: md.replace("<summary><code>api</code>", "<summary><code>api", 1), "</summary> closes"),
        # A <details> without its <summary>.
        (lambda md: md.replace("<summary><code>api</code>", "<code>api</code>", 1), "does not start with"),
    ],
    ids=["dropped-details-end", "no-blank-after-summary", "broken-delimiter", "open-code", "no-summary"],
)
def test_the_checker_reports_a_broken_page(breakage: Callable[[str], str], expected: str) -> None:
    markdown = _golden_small()
    broken = breakage(markdown)
    assert broken != markdown
    problems = render(broken, comment=True).problems
    assert any(expected in problem for problem in problems), problems


def test_the_page_checks_report_a_table_swallowed_by_an_unclosed_fence() -> None:
    # An unclosed fence is valid Markdown (it runs to the end), so it shows in the outline: the Mermaid
    # block swallows every later heading and table.
    markdown = _golden_small().replace("```\n\nEach of these", "\nEach of these", 1)
    page = render(markdown, comment=True)
    with pytest.raises(AssertionError):
        assert_renders_as_plan_page(page, sample_plan(), markdown)


def test_the_page_checks_report_a_function_block_that_is_missing() -> None:
    plan = sample_plan()
    markdown = _golden_small()
    start = markdown.index("<details>\n<summary><code>worker</code>")
    without_worker = markdown[:start] + markdown[markdown.index("</details>\n\n", start) + 12 :]
    page = render(without_worker, comment=True)
    assert page.problems == []  # well formed, but not the page the plan says
    with pytest.raises(AssertionError):
        assert_renders_as_plan_page(page, plan, without_worker)


# --- widths: every table at GitHub's 1,012 px ---------------------------------------------------------

# What GitHub's description column gives a table at a 1280 px window, and what text takes there in
# GitHub's Markdown CSS, as measured in Chromium by tests/benchmarks/measure_page.py (Noto Sans, the
# widest text font of GitHub's stack measured, and Liberation Mono): a code span's character 8.2 px, a
# text character 8.5 px at most on average, 27 px of padding and border per cell. A table whose natural
# width is over the column has every column that can wrap squeezed, names and dates first to break.
COLUMN_PX = 1_012
CODE_PX, TEXT_PX, CELL_PX = 8.2, 8.5, 27
# Tables whose last column is prose, meant to wrap.
PROSE_TABLES = {"Settings used"}


def line_widths(cell: Element) -> list[float]:
    """Each line of a cell (its `<br>`s break it), in px by the estimate above."""
    widths = [0.0]

    def visit(element: Element) -> None:
        for child in element.children:
            if isinstance(child, str):
                widths[-1] += len(" ".join(child.split())) * TEXT_PX
            elif child.tag == "br":
                widths.append(0.0)
            elif child.tag == "code":
                widths[-1] += len(child.text()) * CODE_PX
            else:
                visit(child)

    visit(cell)
    return widths


def natural_widths(table: Element) -> list[float]:
    """Each column's natural width: its widest line, plus the cell's padding."""
    columns: dict[int, float] = {}
    for row in table.find_all("tr"):
        for index, cell in enumerate(c for c in row.elements if c.tag in ("th", "td")):
            columns[index] = max(columns.get(index, 0.0), *line_widths(cell))
    return [columns[index] + CELL_PX for index in sorted(columns)]


def long_names_plan() -> Plan:
    """Function names of 40 characters over two regions, versions kept for every reason to look at with
    the longest details a scan writes (several aliases, an event source mapping's UUID, invocation
    counts), ages up to 999 days."""
    regions = ["us-east-1", "ap-southeast-2"]
    names = [f"payments-core-settlement-reconciler-{i:04d}" for i in range(6)]
    assert {len(name) for name in names} == {40}
    details = {
        Reason.ALIAS_PROTECTED: "live, canary, blue, green, rollback-2026-10",
        Reason.EVENT_SOURCE_MAPPING_PROTECTED: "event source mapping 3f1c9a2e-5b7d-4e1a-9c0f-2d8b6a4e7f13",
        Reason.HAS_RECENT_INVOCATIONS: "12045 direct + 8812 alias-routed invocations in the lookback window",
        Reason.FUNCTION_LEVEL_ACTIVITY_UNCERTAIN: "310 function-level invocations not attributable to a"
        " version or alias",
        Reason.RESOURCE_POLICY_PROTECTED: "resource policy statement AllowS3InvokeFromLegacyBucket",
        Reason.CHECK_INCOMPLETE: "state Pending: not settled; lambda:GetPolicy: AccessDenied",
        Reason.TAG_PROTECTED: "function tagged snapstart-cleaner:keep",
        Reason.CLOUDFRONT_PROTECTED: "CloudFront distribution E2QWRUHAPOMQZL, E1ABCDEF234567",
    }
    delete, keep = [], []
    for f, name in enumerate(names):
        region = regions[f % 2]
        delete.append(
            entry(name, 1, region=region, age_days=999, last_invoked=None, invocations_in_window=0.0)
        )
        for index, (reason, detail) in enumerate(details.items()):
            reasons = [Reason.ALIAS_PROTECTED, reason] if index == 2 else [reason]
            keep.append(
                entry(
                    name,
                    10_000 + index,
                    region=region,
                    reasons=sorted(set(reasons), key=list(Reason).index),
                    details=[detail],
                    age_days=999 - index,
                    last_invoked=(NOW - timedelta(days=index)).isoformat(),
                    invocations_in_window=12.0,
                )
            )
    plan = sample_plan().model_copy(
        update={"delete": delete, "keep": keep, "warnings": [], "regions": regions}
    )
    return plan.with_derived_summary()


def test_every_table_of_a_page_with_40_character_names_fits_githubs_column() -> None:
    markdown = render_plan_markdown(long_names_plan())
    page = render(markdown, comment=False)
    assert_well_formed(page)
    tables = page.root.find_all("table")
    sections = [t.section for t in page.tables()]
    assert "Kept versions" in sections and "To delete" in sections
    for table, section in zip(tables, sections, strict=True):
        if section in PROSE_TABLES:
            continue
        widths = natural_widths(table)
        assert sum(widths) <= COLUMN_PX, f"{section}: {sum(widths):.0f} px over {COLUMN_PX}: {widths}"
    # The kept table's names are whole on their first line, the region on the next.
    [kept] = [t for t in page.tables() if t.section == "Kept versions"]
    names = [row[0].split("\n") for row in kept.rows if row[0]]
    assert names and all(len(name) == 40 and region.startswith("(") for name, region in names)


def test_every_table_of_an_organisation_body_with_40_character_names_fits_githubs_column() -> None:
    # Account names of 40 characters, plan ids as the scan workflow makes them (`<run>-<account-id>`,
    # and `-<region>` for an account scanned per region), a failed account and one with nothing to delete.
    names = {
        "111111111111": "payments-core-settlement-production-eu-1",
        "222222222222": "customer-profile-sync-staging-ap-south-2",
        "333333333333": "orders-fulfilment-webhook-dispatcher-dev",
        "444444444444": "ledger-export-production-us-east-1-batch",
    }
    assert {len(name) for name in names.values()} == {40}

    def scanned(plan: Plan, account: str, region: str = "") -> PlanFiles:
        plan_id = f"20261101T120000Z-{account}{'-' + region if region else ''}"
        regions = {"regions": [region]} if region else {}
        return files_of(plan.model_copy(update={"plan_id": plan_id, "account_id": account, **regions}))

    plans = [
        scanned(long_names_plan(), "111111111111"),
        scanned(large_plan(1_400, 85), "222222222222", "ap-southeast-2"),
        scanned(sample_plan(), "222222222222", "us-east-1"),
        scanned(sample_plan(min_age_days=1_000), "333333333333"),  # nothing to delete
    ]
    failed = [FailedAccount("444444444444", "exit 3: could not assume arn:aws:iam::444444444444:role/s")]
    plan_set = PlanSet(plans, failed, names, dry_run=True)
    body = plan_set.body({f.plan.plan_id: link(f) for f in plan_set.to_commit})
    page = render(body, comment=True)
    assert_well_formed(page)

    tables = page.root.find_all("table")
    sections = [t.section for t in page.tables()]
    assert sections[0].startswith("SnapStart Cleaner: ")
    for table, section in zip(tables, sections, strict=True):
        if section in PROSE_TABLES:
            continue
        widths = natural_widths(table)
        assert sum(widths) <= COLUMN_PX, f"{section}: {sum(widths):.0f} px over {COLUMN_PX}: {widths}"

    summary, *_ = split_pages(page)
    [accounts] = summary.tables()
    # Each plan's page linked as plan.md; the account scanned per region has a row per plan, each
    # saying its region under the account's name; nothing to delete, a dash; the failed account last.
    assert [row[0] for row in accounts.rows if row[1] == "222222222222"] == [
        f"{names['222222222222']}\nap-southeast-2",
        f"{names['222222222222']}\nus-east-1",
    ]
    assert [row[-1] for row in accounts.rows] == ["plan.md", "plan.md", "plan.md", "—", "not scanned"]
