"""Markdown renderings of plans and apply results from Jinja2 templates shipped in the package.

The plan page is built for GitHub's 65,536-character limit on a pull request body: its head (summary,
"On merge", the per-function table and its savings chart, how to keep a version, the kept reasons,
what review dropped) and its tail (settings) are always there; each function's rows and the kept
versions are `<details>` blocks, the only parts a body that would be too long leaves out, largest
savings kept, with a note at the top and a link to the full plan.md. plan.md itself is the same page
with every block."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from jinja2 import Environment, PackageLoader, StrictUndefined

from cleaner.apply_result import ApplyResult, EntryResult, Outcome
from cleaner.cost import cache_is_billed, total_usd
from cleaner.plan import PLAN_MD, Plan, PlanEntry, RegionPrice
from cleaner.prices import AWS_PRICE_SOURCE, PriceSource
from cleaner.reasons import REASON_DESCRIPTIONS, ROUTINE_REASONS, Reason

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# What a value could start or end Markdown inline syntax with (code, emphasis, strikethrough, links and
# images, table cells, GitHub math, HTML and entities), and the escape itself. `_` between two letters or
# digits can neither open nor close emphasis (CommonMark's flanking rules): left as is, so snake_case
# names stay readable in the raw file.
_INLINE_SYNTAX = re.compile(r"[\\`*~\[\]|$&<>]|(?<![^\W_])_|_(?![^\W_])")
# Markers that open a block when they start a line (headings, quotes, list items, setext underlines).
_BLOCK_START = re.compile(r"[#>+=-]|([0-9]{1,9})([.)])")
# In a code span the closing backtick, the cell's pipe and an escape before it would still act; HTML is
# literal there for CommonMark, but kept out too, so no renderer that reads HTML first can see a tag.
_NOT_IN_CODE = frozenset("`|\\<>&")


def _one_line(text: str) -> str:
    """Line breaks (CR, LF, U+2028, NEL ...) and other control characters become spaces, invisible
    format characters (bidi overrides) a visible U+FFFD; runs of spaces collapse, ends are trimmed."""
    if not text.isprintable():
        text = "".join(
            " "
            if (category := unicodedata.category(char)) in ("Cc", "Zl", "Zp")
            else "\N{REPLACEMENT CHARACTER}"
            if category in ("Cf", "Cs", "Co")
            else char
            for char in text
        )
    return " ".join(text.split())


def _escape_syntax(match: re.Match[str]) -> str:
    char = match[0]
    return _HTML.get(char) or "\\" + char


def _is_code_safe(text: str) -> bool:
    """Whether `text` between single backticks is a code span that nothing in it can end early."""
    return (
        bool(text)
        and text == text.strip(" ")
        and all(char == " " or char.isprintable() for char in text)
        and not _NOT_IN_CODE.intersection(text)
    )


# A code span in a message (our own messages name things that way: "artifact `plan-p1`").
_CODE_SPAN = re.compile(r"`([^`]+)`")


def markdown_text(value: object) -> str:
    """Any value as literal text on one line of Markdown (the `cell` filter; for any Markdown the
    program writes, e.g. PR comments), in a table cell or a list item: it cannot end
    the cell, open HTML (or a comment), emphasis, a link or a block. A `code span` in it stays one
    when its content is safe there (see `markdown_code`); any other backtick is escaped."""
    text = _one_line("—" if value is None else str(value))
    pieces, done = [], 0
    for span in _CODE_SPAN.finditer(text):
        if _is_code_safe(span[1]):
            pieces += [_INLINE_SYNTAX.sub(_escape_syntax, text[done : span.start()]), span[0]]
            done = span.end()
    escaped = "".join(pieces) + _INLINE_SYNTAX.sub(_escape_syntax, text[done:])
    block = _BLOCK_START.match(escaped)
    if block is None:
        return escaped
    if block[1] is not None:  # "1." or "1)": escape the punctuation after the number
        return f"{block[1]}\\{block[2]}{escaped[block.end() :]}"
    return "\\" + escaped


def markdown_code(value: object) -> str:
    """A value as a code span: as is between backticks when that is safe (the AWS names validated at
    the plan boundary always are), otherwise as escaped text, so no value can end the span early."""
    text = "—" if value is None else str(value)
    return f"`{text}`" if _is_code_safe(text) else markdown_text(text)


# Markdown's inline syntax as character references: literal in HTML, inert to a renderer that would
# read Markdown inside an HTML element after all.
_MARKDOWN_IN_HTML = re.compile(r"[\\`*_~\[\]|$!#]")


def html_text(value: object) -> str:
    """A value as literal text inside HTML (a `<summary>`, where GitHub renders no Markdown), on one
    line: HTML escaped, and Markdown's inline syntax as character references."""
    text = html.escape(_one_line("—" if value is None else str(value)), quote=True)
    return _MARKDOWN_IN_HTML.sub(lambda match: f"&#{ord(match[0])};", text)


# --- numbers -----------------------------------------------------------------------------------------


def count(value: int) -> str:
    return f"{value:,}"


def plural(value: int, word: str, words: str | None = None) -> str:
    return f"{value:,} {word if value == 1 else (words or word + 's')}"


def days(value: int) -> str:
    return plural(value, "day")


def usd(value: float) -> str:
    return f"${value:,.2f}"


def seconds(value: float) -> str:
    """A duration as a person reads it: 0.4 s, 12.3 s, 4 min 05 s, 1 h 02 min."""
    if value < 60:
        return f"{value:.1f} s"
    whole = round(value)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _when(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _last_invoked(entry: PlanEntry) -> str:
    if entry.invocations_in_window is None:
        return "not checked"
    return "none in window" if entry.last_invoked is None else _when(entry.last_invoked)


def _memory(value: int) -> str:
    return f"{value:,} MB"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("cleaner", "templates"),
        undefined=StrictUndefined,
        # Markdown, not HTML: every interpolated value goes through `cell` (text) or `code` (a code span),
        # or `html` inside an HTML element.
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["cell"] = markdown_text
    environment.filters["code"] = markdown_code
    environment.filters["html"] = html_text
    environment.filters["usd"] = usd
    environment.filters["count"] = count
    environment.filters["days"] = days
    environment.filters["seconds"] = seconds
    environment.filters["when"] = _when
    environment.filters["last_invoked"] = _last_invoked
    environment.filters["why"] = _why
    environment.globals["plural"] = plural
    return environment


# --- the plan page: what it shows ----------------------------------------------------------------------

# The per-function table of a pull request body lists this many functions, the rest in one row.
BODY_TABLE_ROWS = 100


def body_margin(limit: int) -> int:
    """The room a text for a body or comment of at most `limit` characters leaves unused, for GitHub
    counting some characters differently from Python: 1,024 at the real limit, proportionally less for
    smaller limits."""
    return min(1_024, limit // 64)


@dataclass(frozen=True)
class _Column:
    header: str
    right: bool
    value: Callable[[PlanEntry], str]


# Columns a deletion row may show beyond version and age; one whose value is the same on every row of
# a function is said once above its table instead.
_VARYING = (
    _Column("runtime", False, lambda e: markdown_text(e.runtime)),
    _Column("memory", True, lambda e: _memory(e.memory_mb)),
    _Column("state", False, lambda e: markdown_text(e.state)),
    _Column("last invoked", False, _last_invoked),
    _Column("$/month", True, lambda e: usd(e.estimated_monthly_cost_usd)),
)
_SHARED_LABEL: dict[str, Callable[[str], str]] = {
    "runtime": lambda v: v,
    "memory": lambda v: v,
    "state": lambda v: f"state {v}",
    "last invoked": lambda v: f"last invoked: {v}",
    "$/month": lambda v: "no cache charge" if v == usd(0) else f"{v} / month each",
}


@dataclass(frozen=True)
class FunctionRows:
    """One function's deletions (or dropped versions): its line in the summary and its own table."""

    region: str
    function_name: str
    entries: list[PlanEntry]

    @property
    def savings(self) -> float:
        return total_usd([e.estimated_monthly_cost_usd for e in self.entries])

    @property
    def oldest_days(self) -> int:
        return max(e.age_days for e in self.entries)

    @property
    def billed(self) -> bool:
        return any(cache_is_billed(e.runtime) for e in self.entries)

    @property
    def runtimes(self) -> str:
        return ", ".join(sorted({e.runtime or "container image" for e in self.entries}))

    @property
    def versions(self) -> str:
        return ", ".join(e.version for e in self.entries)

    def _split(self) -> tuple[list[str], list[_Column]]:
        shared, varying = [], []
        for column in _VARYING:
            values = {column.value(e) for e in self.entries}
            if len(values) == 1:
                shared.append(_SHARED_LABEL[column.header](values.pop()))
            else:
                varying.append(column)
        return shared, varying

    @property
    def shared(self) -> str:
        return " · ".join(self._split()[0])

    @property
    def header(self) -> list[str]:
        return ["version", "age", *(c.header for c in self._split()[1])]

    @property
    def alignment(self) -> list[str]:
        return ["---:", "---:", *("---:" if c.right else "---" for c in self._split()[1])]

    @property
    def rows(self) -> list[list[str]]:
        varying = self._split()[1]
        return [
            [markdown_text(e.version), days(e.age_days), *(c.value(e) for c in varying)] for e in self.entries
        ]


@dataclass(frozen=True)
class RoutineKept:
    """One function's versions kept for routine reasons, on one line: versions grouped by reasons."""

    region: str
    function_name: str
    groups: list[tuple[str, list[str]]]  # (reasons, versions)

    @property
    def count(self) -> int:
        return sum(len(versions) for _, versions in self.groups)

    @property
    def markdown(self) -> str:
        said = "; ".join(
            f"{markdown_text(', '.join(versions))} ({markdown_text(reasons)})"
            for reasons, versions in self.groups
        )
        return f"- {markdown_code(self.function_name)} ({markdown_text(self.region)}): {said}"


@dataclass(frozen=True)
class PageParts:
    """The plan page in the pieces a body limit chooses among."""

    head: str
    function_blocks: list[str]  # one `<details>` per function, largest savings first
    kept_blocks: list[str]  # notable kept versions, then routine ones one line per function
    tail: str


def _group(entries: Iterable[PlanEntry]) -> list[FunctionRows]:
    ordered = sorted(entries, key=lambda e: e.key)
    return [
        FunctionRows(region, name, list(group))
        for (region, name), group in groupby(ordered, key=lambda e: (e.region, e.function_name))
    ]


def _by_savings(groups: list[FunctionRows]) -> list[FunctionRows]:
    return sorted(groups, key=lambda g: (-g.savings, -len(g.entries), g.function_name, g.region))


# The savings chart: a ```mermaid block, which GitHub renders as a diagram in a pull request body and in
# plan.md. A pie, the chart type GitHub's Mermaid has rendered longest (xychart is still "beta" there).
CHART_SLICES = 10
# What a slice label keeps: function names and regions are validated to letters, digits, `-` and `_` at
# the plan boundary, the rest is our own wording; anything else (a plan built around that validation)
# becomes `?`. So no `"` (ends the label), `#`/`;` (Mermaid's entity syntax), `%` (its comments),
# backtick (ends the fence) or line break can get in.
_NOT_IN_CHART_LABEL = re.compile(r"[^A-Za-z0-9_.,$() -]")


@dataclass(frozen=True)
class ChartSlice:
    label: str
    value: str  # a plain decimal number, as Mermaid's pie reads it


def chart_label(text: str) -> str:
    return _NOT_IN_CHART_LABEL.sub("?", text)


def savings_chart(billed: list[FunctionRows], total: float) -> list[ChartSlice]:
    """The monthly savings of the top CHART_SLICES functions (`billed`: largest savings first) and one
    slice for all the others, so the slices add up to `total` (the summary's, rounded once over every
    entry); none unless at least two functions save money (one slice says nothing the table does not)."""
    saving = [g for g in billed if g.savings > 0]
    if len(saving) < 2:
        return []
    top, rest = saving[:CHART_SLICES], saving[CHART_SLICES:]
    slices = [
        ChartSlice(chart_label(f"{g.function_name} ({g.region}) {usd(g.savings)}"), f"{g.savings:.2f}")
        for g in top
    ]
    if rest:
        others = max(round(total - sum(g.savings for g in top), 2), 0.0)
        label = f"{plural(len(rest), 'other function')} {usd(others)}"
        slices.append(ChartSlice(chart_label(label), f"{others:.2f}"))
    return slices


def _routine(entry: PlanEntry) -> bool:
    return set(entry.reasons) <= ROUTINE_REASONS


def _routine_kept(keep: list[PlanEntry]) -> list[RoutineKept]:
    lines = []
    for group in _group(e for e in keep if _routine(e)):
        by_reasons: dict[str, list[str]] = {}
        for e in group.entries:
            by_reasons.setdefault(", ".join(r.value for r in e.reasons), []).append(e.version)
        lines.append(RoutineKept(group.region, group.function_name, list(by_reasons.items())))
    return lines


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
    table_rows: int
    link: str
    # Only the block of versions kept for a reason to look at (the routine ones are linked).
    notable_kept_shown: bool = False


def _render(name: str, **context: object) -> str:
    return _paragraph(_ENVIRONMENT.get_template(name).render(**context))


def _head(
    plan: Plan,
    dropped: list[PlanEntry],
    shortened: Shortened | None,
    table_rows: int | None,
    md_path: str,
) -> str:
    billed = _by_savings([g for g in _group(plan.delete) if g.billed])
    unbilled = sorted(
        (g for g in _group(plan.delete) if not g.billed),
        key=lambda g: (-len(g.entries), g.function_name, g.region),
    )
    shown = billed if table_rows is None else billed[:table_rows]
    rest = billed[len(shown) :]
    reasons = _reason_rows(plan)
    limits = plan.apply_limits
    return _render(
        "plan-head.md.j2",
        plan=plan,
        s=plan.summary,
        lookback_days=plan.settings.effective_lookback_days,
        shortened=shortened,
        md_path=md_path,
        billed=shown,
        chart=savings_chart(billed, plan.summary.estimated_monthly_savings_usd),
        rest_functions=len(rest),
        rest_versions=sum(len(g.entries) for g in rest),
        rest_savings=total_usd([g.savings for g in rest]),
        unbilled=unbilled,
        reasons=reasons,
        reason_descriptions=REASON_DESCRIPTIONS,
        reason_total=sum(n for _, n in reasons),
        routine=ROUTINE_REASONS,
        over_cap=sum(Reason.OVER_DELETION_CAP in e.reasons for e in plan.keep),
        limits=limits,
        expires=None if limits is None else plan.created_at + timedelta(days=limits.plan_max_age_days),
        dropped=_group(dropped),
        dropped_count=len(dropped),
        dropped_savings=total_usd([e.estimated_monthly_cost_usd for e in dropped]),
    )


def _function_blocks(plan: Plan) -> Iterator[str]:
    groups = _group(plan.delete)
    ordered = _by_savings([g for g in groups if g.billed]) + [g for g in groups if not g.billed]
    template = _ENVIRONMENT.get_template("plan-function.md.j2")
    for group in ordered:
        yield _paragraph(template.render(g=group))


def _kept_blocks(plan: Plan) -> list[str]:
    notable = [e for e in plan.keep if not _routine(e)]
    notable.sort(key=lambda e: (list(Reason).index(e.reasons[-1]), e.key))
    return [
        _render("plan-kept.md.j2", notable=notable, routine=None) if notable else "",
        _render("plan-kept.md.j2", notable=None, routine=_routine_kept(plan.keep))
        if any(_routine(e) for e in plan.keep)
        else "",
    ]


def _tail(plan: Plan) -> str:
    return _render(
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
    table_rows: int | None = None,
) -> PageParts:
    md_path = f"plans/{plan.plan_id}/{PLAN_MD}"
    dropped = _dropped(plan, original)
    return PageParts(
        head=_head(plan, dropped, shortened, table_rows, md_path),
        function_blocks=list(_function_blocks(plan)),
        kept_blocks=[b for b in _kept_blocks(plan) if b],
        tail=_tail(plan),
    )


# --- the plan page: cache prices ---------------------------------------------------------------------


@dataclass(frozen=True)
class PriceRow:
    """Regions sharing one cache price from one source: a row of "Settings used"."""

    regions: list[str]
    text: str  # Markdown, its values escaped


def _price_text(price: RegionPrice, per_month: float, regions: int) -> str:
    monthly = f"{usd(per_month)} per GB-month"
    if price.source is PriceSource.SETTING:
        return f"{monthly}, set in `[tool.cleaner.cache_prices]`"
    if price.source is PriceSource.PUBLISHED:
        where = price.published_at or ""
        # An autolink only of an address the plan's pattern allows (no space, `>` or `|` can be in it).
        shown = f"<{where}>" if AWS_PRICE_SOURCE.fullmatch(where) else markdown_text(where)
        read = "—" if price.published_on is None else price.published_on.isoformat()
        return f"{monthly}, AWS's published rate (read {read} at {shown})"
    which = "this region" if regions == 1 else "these regions"
    # Words that do not depend on the code's table: a plan re-rendered by a later release, whose table
    # may hold another us-east-1 rate, must still render the same page (validate compares them).
    return (
        f"{monthly}, the default `cache_price_per_gb_second` (us-east-1's rate unless the repository sets"
        f" it; no published rate for {which} in snapstart-cleaner's table: set `[tool.cleaner.cache_prices]`)"
    )


def price_rows(plan: Plan) -> list[PriceRow]:
    """Each region's cache price per GB-month and where it came from, regions with the same price and
    source on one row, in the plan's order of regions. Empty for a plan from before per-region prices,
    whose one price the page states as it always did."""
    grouped: dict[RegionPrice, list[str]] = {}
    for region in plan.regions:
        price = plan.pricing.regions.get(region)
        if price is not None:
            grouped.setdefault(price, []).append(region)
    month = plan.pricing.seconds_per_month
    return [
        PriceRow(regions, _price_text(price, price.cache_price_per_gb_second * month, len(regions)))
        for price, regions in grouped.items()
    ]


_ROWS_HEADING = "## Rows by function\n\n"
_KEPT_HEADING = "## Kept versions\n\n"


def _assemble(
    head: str, function_blocks: Sequence[str], kept_blocks: Sequence[str], tail: str, note: str
) -> str:
    return "".join(_assemble_chunks(head, function_blocks, kept_blocks, tail, note))


def _paragraph(text: str) -> str:
    """A piece of the page ending in exactly one blank line, whatever its template ended with."""
    return text.rstrip("\n") + "\n\n"


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


def render_plan_markdown(plan: Plan, original: Plan | None = None) -> str:
    """plan.md: the whole page. With `original` (the plan as the scan proposed it), the versions review
    removed from `delete` are listed under "Dropped in review"."""
    return "".join(render_plan_markdown_chunks(plan, original))


def render_plan_markdown_chunks(plan: Plan, original: Plan | None = None) -> Iterator[str]:
    """plan.md in pieces, for writing a large plan without holding its page as one string."""
    md_path = f"plans/{plan.plan_id}/{PLAN_MD}"
    head = _head(plan, _dropped(plan, original), None, None, md_path)
    kept = [b for b in _kept_blocks(plan) if b]
    tail = _tail(plan)
    return _assemble_chunks(head, _function_blocks(plan), kept, tail, "")


def render_plan_body(
    plan: Plan, full_link: str, limit: int, original: Plan | None = None, *, fill_kept: bool = True
) -> str | None:
    """The plan page as a pull request body of at most `limit` characters: the whole page when it fits,
    otherwise every always-present part and as many function blocks as fit, largest savings first (the
    kept blocks too when they take at most a quarter of the room, or, with `fill_kept`, when every
    function block fits and they fit in what is left), with a note at the top and above the rows linking
    `full_link`. None when even the always-present parts do not fit."""
    whole = render_plan_markdown(plan, original)
    if len(whole) <= limit:
        return whole
    functions = len({(e.region, e.function_name) for e in plan.delete})
    # The notes' longest wording, so the blocks chosen with it still fit with the real one.
    widest = Shortened(functions, functions, False, BODY_TABLE_ROWS, full_link)
    parts = plan_page_parts(plan, original, shortened=widest, table_rows=BODY_TABLE_ROWS)
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
    has_notable = any(not _routine(e) for e in plan.keep)
    shortened = Shortened(
        len(chosen),
        functions,
        len(kept) == len(parts.kept_blocks),
        BODY_TABLE_ROWS,
        full_link,
        notable_kept_shown=has_notable and bool(kept),
    )
    head = _head(
        plan, _dropped(plan, original), shortened, BODY_TABLE_ROWS, f"plans/{plan.plan_id}/{PLAN_MD}"
    )
    return _assemble(head, chosen, kept, parts.tail, _rows_note(shortened) if len(chosen) < functions else "")


def _rows_note(shortened: Shortened) -> str:
    return (
        f"> [!NOTE]\n> Rows of {shortened.functions_shown:,} of {shortened.functions:,} functions shown here,"
        f" largest savings first; every row is in [`plan.md`]({shortened.link}).\n\n"
    )


# --- apply-result.md -----------------------------------------------------------------------------------

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.DELETED: "deleted",
    Outcome.WOULD_DELETE: "would be deleted",
    Outcome.ALREADY_DELETED: "already gone",
    Outcome.SKIPPED: "skipped (changed since the scan)",
    Outcome.FAILED: "failed",
    Outcome.NOT_ATTEMPTED: "not attempted",
}


@dataclass(frozen=True)
class OutcomeGroup:
    """One function's entries of one outcome, collapsed to a line."""

    region: str
    function_name: str
    outcome: Outcome
    versions: list[str]


def _collapsed(entries: list[EntryResult], outcomes: Sequence[Outcome]) -> list[OutcomeGroup]:
    chosen = [e for e in entries if e.outcome in outcomes]
    chosen.sort(key=lambda e: (e.outcome.value, e.region, e.function_name, int(e.version)))
    return [
        OutcomeGroup(region, name, outcome, [e.version for e in group])
        for (outcome, region, name), group in groupby(
            chosen, key=lambda e: (e.outcome, e.region, e.function_name)
        )
    ]


def _why(entry: EntryResult) -> str:
    """Reasons and AWS's message in one cell, the message cut so the name columns keep their room."""
    message = entry.message if len(entry.message) <= 300 else entry.message[:299] + "…"
    said = ": ".join(part for part in (", ".join(entry.reasons), message) if part)
    return markdown_text(said) if said else "—"


def render_apply_markdown(result: ApplyResult, plan: Plan | None = None) -> str:
    """apply-result.md: failures first, then what was skipped and why, then the deletions collapsed
    per function; with the plan, the monthly savings achieved (or, for a dry run, that would be)."""
    costs = (
        {}
        if plan is None
        else {(e.region, e.function_name, e.version): e.estimated_monthly_cost_usd for e in plan.delete}
    )
    gone = (Outcome.DELETED, Outcome.WOULD_DELETE, Outcome.ALREADY_DELETED)
    saved = total_usd(
        [costs.get((e.region, e.function_name, e.version), 0.0) for e in result.entries if e.outcome in gone]
    )
    template = _ENVIRONMENT.get_template("apply-result.md.j2")
    return template.render(
        result=result,
        Outcome=Outcome,
        labels=OUTCOME_LABELS,
        failed=[e for e in result.entries if e.outcome is Outcome.FAILED],
        skipped=[e for e in result.entries if e.outcome is Outcome.SKIPPED],
        not_attempted=_collapsed(result.entries, [Outcome.NOT_ATTEMPTED]),
        done=_collapsed(result.entries, gone),
        done_count=sum(e.outcome in gone for e in result.entries),
        saved=saved if plan is not None else None,
    )


_ENVIRONMENT = _environment()
