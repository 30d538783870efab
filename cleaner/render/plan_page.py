"""The plan page: plan.md, and the same page as a pull request body within GitHub's 65,536 characters.

Its head (summary, "On merge", how to keep a version, what review dropped and by whom, the index of
every function with deletions and its savings chart, the kept reasons) and its tail (settings) are
always there; each function's rows and the kept versions are `<details>` blocks, the only parts a body
that would be too long leaves out, largest savings kept, with a note at the top linking the full
plan.md. plan.md itself is the same page with every block, and without the mode of the next apply (a
file does not know the repository's variables; the description, rendered by jobs that do, says it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from cleaner.cost import total_usd
from cleaner.plan import PLAN_JSON, PLAN_MD, Plan, PlanEntry
from cleaner.reasons import REASON_DESCRIPTIONS, ROUTINE_REASONS, Reason
from cleaner.render.chart import savings_chart
from cleaner.render.filters import body_margin, paragraph, render_paragraph, template
from cleaner.render.markdown import markdown_text
from cleaner.render.price_rows import price_rows
from cleaner.render.rows import (
    FunctionRows,
    by_savings,
    group_by_function,
    is_routine,
    notable_kept_rows,
    routine_kept,
)
from cleaner.render.savings import savings_section

# Who dropped each version in review (an entry's key -> a GitHub login), as the pull request's commits
# say (`cleaner.github.description`).
DroppedBy = Mapping[tuple[str, str, int], str]


@dataclass(frozen=True)
class PageParts:
    """The plan page in the pieces a body limit chooses among."""

    head: str
    function_blocks: list[str]  # one `<details>` per function, largest savings first
    kept_blocks: list[str]  # notable kept versions, then routine ones one line per function
    tail: str


def _reason_rows(plan: Plan) -> list[tuple[Reason, int]]:
    """The kept reasons, those a reviewer should look at first, then the most frequent."""
    items = plan.summary.keep_reasons.items()
    return sorted(items, key=lambda item: (item[0] in ROUTINE_REASONS, -item[1], list(Reason).index(item[0])))


def _dropped(plan: Plan, original: Plan | None) -> list[PlanEntry]:
    if original is None:
        return []
    remaining = {e.key for e in plan.delete}
    return [e for e in original.delete if e.key not in remaining]


@dataclass(frozen=True)
class Shortened:
    """What a pull request body leaves out, for its notes."""

    functions_shown: int
    functions: int
    kept_shown: bool  # every kept block
    link: str
    # Only the block of versions kept for a reason to look at (the routine ones are linked).
    notable_kept_shown: bool = False


def _dropped_lines(dropped: list[PlanEntry], dropped_by: DroppedBy) -> list[tuple[FunctionRows, str]]:
    """A line per function and person who dropped its versions, with " — by LOGIN" when known."""
    lines = []
    for group in group_by_function(dropped):
        by_login: dict[str, list[PlanEntry]] = {}
        for entry in group.entries:
            by_login.setdefault(dropped_by.get(entry.key, ""), []).append(entry)
        for login, entries in by_login.items():
            by = f" — by {markdown_text(login)}" if login else ""
            lines.append((FunctionRows(group.region, group.function_name, entries), by))
    return lines


def _edit_link(link: str | None, json_path: str) -> str:
    """Where a browser edits plan.json: GitHub's editor beside `link` (plan.md on the branch), or, in
    plan.md itself, the file next to it."""
    if link and "/blob/" in link:
        return link.replace("/blob/", "/edit/", 1).rsplit("/", 1)[0] + "/" + json_path.rsplit("/", 1)[1]
    return json_path.rsplit("/", 1)[1]


def _head(
    plan: Plan,
    dropped: list[PlanEntry],
    shortened: Shortened | None,
    md_path: str,
    *,
    dropped_by: DroppedBy | None = None,
    dry_run: bool | None = None,
    link: str | None = None,
    boilerplate: bool = True,
) -> str:
    groups = group_by_function(plan.delete)
    billed = by_savings([g for g in groups if g.billed])
    unbilled = sorted(
        (g for g in groups if not g.billed), key=lambda g: (-len(g.entries), g.function_name, g.region)
    )
    reasons = _reason_rows(plan)
    limits = plan.apply_limits
    regional = len(plan.regions) > 1
    example = example_region = ""
    if billed or unbilled:
        example_group = (billed or unbilled)[0]
        first = example_group.entries[0]
        example = f"{first.function_name}:{first.version}"
        example_region = f"{first.region}:{example}"
    json_path = f"plans/{plan.plan_id}/{PLAN_JSON}"
    head = render_paragraph(
        "plan-head.md.j2",
        plan=plan,
        s=plan.summary,
        lookback_days=plan.settings.effective_lookback_days,
        shortened=shortened,
        md_path=md_path,
        json_path=json_path,
        edit_link=_edit_link(link, json_path),
        boilerplate=boilerplate,
        dry_run=dry_run,
        regional=regional,
        example=example,
        example_region=example_region,
        index_regions=len({e.region for e in plan.delete}) > 1,
        billed=billed,
        chart=savings_chart(billed, plan.summary.estimated_monthly_savings_usd, regional),
        unbilled=unbilled,
        reasons=reasons,
        reason_descriptions=REASON_DESCRIPTIONS,
        reason_total=sum(n for _, n in reasons),
        routine=ROUTINE_REASONS,
        over_cap=sum(Reason.OVER_DELETION_CAP in e.reasons for e in plan.keep),
        limits=limits,
        expires=None if limits is None else plan.created_at + timedelta(days=limits.plan_max_age_days),
        dropped=_dropped_lines(dropped, dropped_by or {}),
        dropped_count=len(dropped),
        dropped_savings=total_usd([e.estimated_monthly_cost_usd for e in dropped]),
    )
    return head + savings_section(plan)  # cleaner.render.savings: "" for plans without its records


def _function_blocks(plan: Plan) -> Iterator[str]:
    groups = group_by_function(plan.delete)
    ordered = by_savings([g for g in groups if g.billed]) + [g for g in groups if not g.billed]
    function_template = template("plan-function.md.j2")
    for group in ordered:
        yield paragraph(function_template.render(g=group))


def _kept_blocks(plan: Plan) -> list[str]:
    notable = notable_kept_rows(plan.keep, len(plan.regions) > 1)
    count = sum(not is_routine(e) for e in plan.keep)
    return [
        render_paragraph("plan-kept.md.j2", notable=notable, notable_count=count, routine=None)
        if notable
        else "",
        render_paragraph("plan-kept.md.j2", notable=None, routine=routine_kept(plan.keep))
        if any(is_routine(e) for e in plan.keep)
        else "",
    ]


@dataclass(frozen=True)
class _View:
    """How a page is shown, the same for each of its renderings: who dropped what, what merging does,
    where plan.md lives, and whether the boilerplate is included."""

    dropped_by: DroppedBy | None = None
    dry_run: bool | None = None
    link: str | None = None
    boilerplate: bool = True


def _page_head(plan: Plan, original: Plan | None, shortened: Shortened | None, view: _View) -> str:
    return _head(
        plan,
        _dropped(plan, original),
        shortened,
        f"plans/{plan.plan_id}/{PLAN_MD}",
        dropped_by=view.dropped_by,
        dry_run=view.dry_run,
        link=view.link,
        boilerplate=view.boilerplate,
    )


def _tail(plan: Plan) -> str:
    return render_paragraph(
        "plan-tail.md.j2",
        plan=plan,
        lookback_days=plan.settings.effective_lookback_days,
        price_rows=price_rows(plan),
    )


def plan_page_parts(
    plan: Plan,
    original: Plan | None = None,
    *,
    shortened: Shortened | None = None,
    dropped_by: DroppedBy | None = None,
    dry_run: bool | None = None,
    link: str | None = None,
    boilerplate: bool = True,
) -> PageParts:
    view = _View(dropped_by, dry_run, link, boilerplate)
    return PageParts(
        head=_page_head(plan, original, shortened, view),
        function_blocks=list(_function_blocks(plan)),
        kept_blocks=[b for b in _kept_blocks(plan) if b],
        tail=_tail(plan),
    )


_ROWS_HEADING = "## Rows by function\n\n"
_KEPT_HEADING = "## Kept versions\n\n"


def _assemble(
    head: str, function_blocks: Sequence[str], kept_blocks: Sequence[str], tail: str, note: str
) -> str:
    return "".join(_assemble_chunks(head, function_blocks, kept_blocks, tail, note))


def _assemble_chunks(
    head: str, function_blocks: Iterable[str], kept_blocks: Iterable[str], tail: str, note: str
) -> Iterator[str]:
    yield head
    first = True
    for block in function_blocks:
        if first:
            yield _ROWS_HEADING + note
            first = False
        yield block
    first = True
    for block in kept_blocks:
        if first:
            yield _KEPT_HEADING
            first = False
        yield block
    yield tail.rstrip("\n") + "\n"


def render_plan_markdown(
    plan: Plan,
    original: Plan | None = None,
    *,
    dropped_by: DroppedBy | None = None,
    dry_run: bool | None = None,
    link: str | None = None,
    boilerplate: bool = True,
) -> str:
    """plan.md: the whole page. With `original` (the plan as the scan proposed it), the versions review
    removed from `delete` are listed under "Dropped in review", each with who dropped it when
    `dropped_by` says. A description passes `dry_run` (what merging will do: the page then says it) and
    `link` (plan.md's URL on the branch, for the links to the files); `boilerplate=False` leaves out "On
    merge" and "How to keep a version" (an organisation's body says them once)."""
    chunks = render_plan_markdown_chunks(
        plan, original, dropped_by=dropped_by, dry_run=dry_run, link=link, boilerplate=boilerplate
    )
    return "".join(chunks)


def render_plan_markdown_chunks(
    plan: Plan,
    original: Plan | None = None,
    *,
    dropped_by: DroppedBy | None = None,
    dry_run: bool | None = None,
    link: str | None = None,
    boilerplate: bool = True,
) -> Iterator[str]:
    """plan.md in pieces, for writing a large plan without holding its page as one string."""
    head = _page_head(plan, original, None, _View(dropped_by, dry_run, link, boilerplate))
    kept = [b for b in _kept_blocks(plan) if b]
    return _assemble_chunks(head, _function_blocks(plan), kept, _tail(plan), "")


def render_plan_body(
    plan: Plan,
    full_link: str,
    limit: int,
    original: Plan | None = None,
    *,
    fill_kept: bool = True,
    dropped_by: DroppedBy | None = None,
    dry_run: bool | None = None,
    boilerplate: bool = True,
) -> str | None:
    """The plan page as a pull request body of at most `limit` characters: the whole page when it fits,
    otherwise every always-present part (the index of every function among them) and as many function
    blocks as fit, largest savings first (the kept blocks too when they take at most a quarter of the
    room, or, with `fill_kept`, when every function block fits and they fit in what is left), with a
    note at the top and above the rows linking `full_link`. None when even the always-present parts do
    not fit."""
    view = _View(dropped_by, dry_run, full_link, boilerplate)
    whole = render_plan_markdown(plan, original, **vars(view))
    # The same margin as a shortened body keeps: GitHub counts some characters (·, —) differently.
    if len(whole) <= limit - body_margin(limit):
        return whole
    functions = len({(e.region, e.function_name) for e in plan.delete})
    # The notes' longest wording, so the blocks chosen with it still fit with the real one.
    widest = Shortened(functions, functions, False, full_link)
    parts = plan_page_parts(plan, original, shortened=widest, **vars(view))
    note = _rows_note(widest)
    budget = limit - body_margin(limit) - len(parts.head) - len(parts.tail) - len(note)
    budget -= len(_ROWS_HEADING) + len(_KEPT_HEADING) + 4
    if budget < 0:
        return None
    kept_size = sum(len(b) for b in parts.kept_blocks)
    kept = list(parts.kept_blocks) if kept_size <= budget // 4 else []
    budget -= sum(len(b) for b in kept)
    chosen: list[str] = []
    for block in parts.function_blocks:
        if len(block) > budget:
            break
        chosen.append(block)
        budget -= len(block)
    if fill_kept and not kept and len(chosen) == functions:
        # Every function's rows fit: the room left goes to the kept blocks, the versions kept for a
        # reason to look at (aliases, mappings, checks that could not complete) first.
        for block in parts.kept_blocks:
            if len(block) > budget:
                break
            kept.append(block)
            budget -= len(block)
    # The notable block, when the plan has one, comes first: shown if any kept block is.
    has_notable = any(not is_routine(e) for e in plan.keep)
    shortened = Shortened(
        len(chosen),
        functions,
        len(kept) == len(parts.kept_blocks),
        full_link,
        notable_kept_shown=has_notable and bool(kept),
    )
    head = _page_head(plan, original, shortened, view)
    return _assemble(head, chosen, kept, parts.tail, _rows_note(shortened) if len(chosen) < functions else "")


def render_plan_body_minimum(
    plan: Plan,
    full_link: str,
    original: Plan | None = None,
    *,
    dropped_by: DroppedBy | None = None,
    dry_run: bool | None = None,
    boilerplate: bool = True,
) -> str:
    """The shortest body `render_plan_body` can make of the plan: its always-present parts (the index
    of every function among them) and no function or kept block. A body of several plans reserves this
    much for each page, so a small plan's page is never the one left out."""
    functions = len({(e.region, e.function_name) for e in plan.delete})
    shortened = Shortened(0, functions, False, full_link)
    head = _page_head(plan, original, shortened, _View(dropped_by, dry_run, full_link, boilerplate))
    return _assemble(head, [], [], _tail(plan), "")


def _rows_note(shortened: Shortened) -> str:
    return (
        f"> [!NOTE]\n> Rows of {shortened.functions_shown:,} of {shortened.functions:,} functions shown here,"
        f" largest savings first (every function is in the index above); every row is in"
        f" [`plan.md`]({shortened.link}).\n\n"
    )
