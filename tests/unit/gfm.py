"""Markdown rendered as GitHub renders it, read back as a tree, for tests that check a page renders as
intended without a screenshot (issue 10).

The renderer is cmark-gfm, the C library GitHub's own Markdown pipeline is built on, through its Python
binding cmarkgfm, with GitHub's extensions (table, strikethrough, autolink, tagfilter, tasklist) and raw
HTML passed through as GitHub passes `<details>`, `<summary>` and `<code>`. A pull request body or a
comment also turns every newline into a line break (`comment=True`); a file such as plan.md does not.
The HTML is then parsed with html.parser into `Element`s, and `problems` lists what would make the page
read other than intended.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

# Elements that have no end tag.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# Text in these is literal: a line starting with `|` or ``` there is content, not a lost table or fence.
_LITERAL = frozenset({"pre", "code", "table"})


def to_html(markdown: str, *, comment: bool) -> str:
    """`markdown` as GitHub renders a pull request body or comment (`comment`), or a Markdown file."""
    options = Options.CMARK_OPT_UNSAFE | (Options.CMARK_OPT_HARDBREAKS if comment else 0)
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options))


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    line: int  # where it opens in the HTML
    children: list[Element | str] = field(default_factory=list)

    @property
    def elements(self) -> list[Element]:
        return [child for child in self.children if isinstance(child, Element)]

    def text(self) -> str:
        """The text content, a <br> as a newline."""
        return "".join(
            child if isinstance(child, str) else "\n" if child.tag == "br" else child.text()
            for child in self.children
        )

    def own_text(self) -> str:
        """The text directly inside this element, not inside any child element."""
        return "".join(child for child in self.children if isinstance(child, str))

    def walk(self) -> Iterator[Element]:
        """This element and every element inside it, in document order."""
        yield self
        for child in self.elements:
            yield from child.walk()

    def find_all(self, tag: str) -> list[Element]:
        return [element for element in self.walk() if element.tag == tag and element is not self]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, 0)
        self.stack = [self.root]
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, self.getpos()[0])
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(
            Element(tag, {name: value or "" for name, value in attrs}, self.getpos()[0])
        )

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        line = self.getpos()[0]
        if self.stack[-1].tag == tag:
            self.stack.pop()
            return
        opened = [element.tag for element in self.stack[1:]]
        if tag not in opened:
            self.problems.append(f"HTML line {line}: </{tag}> without an open <{tag}>")
            return
        while self.stack[-1].tag != tag:
            inner = self.stack.pop()
            self.problems.append(
                f"HTML line {line}: </{tag}> closes <{tag}> while <{inner.tag}> (HTML line {inner.line})"
                " inside it is still open"
            )
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def close(self) -> None:
        super().close()
        for element in self.stack[:0:-1]:
            self.problems.append(f"HTML line {element.line}: <{element.tag}> is never closed")


def parse(html: str) -> tuple[Element, list[str]]:
    """The document tree of `html` and its nesting problems (an end tag that closes another element,
    one without a start tag, an element never closed)."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root, builder.problems


def content_problems(root: Element) -> list[str]:
    """What renders as text that was meant as structure: a table row, or a code fence, outside any table
    or code block (a table without a blank line before it, or one whose delimiter row is broken, renders
    as a paragraph of pipes); Markdown left as raw text directly inside <details> (GitHub renders the
    Markdown of a <details> only after a blank line); a <details> whose first element is not its
    <summary>, or with more than one."""
    problems: list[str] = []

    def visit(element: Element) -> None:
        if element.tag in _LITERAL:
            return
        text = element.text() if element.tag == "p" else element.own_text()
        for line in (line.strip() for line in text.split("\n")):
            if line.startswith("|"):
                problems.append(f"a table row outside a table (in <{element.tag}>): {line[:80]!r}")
            elif line.startswith("```"):
                problems.append(f"a code fence rendered as text (in <{element.tag}>): {line[:80]!r}")
        if element.tag == "details":
            first = element.elements[0].tag if element.elements else None
            if first != "summary" or sum(child.tag == "summary" for child in element.elements) != 1:
                problems.append(f"HTML line {element.line}: <details> does not start with its one <summary>")
            raw = element.own_text().strip()
            if raw:
                problems.append(
                    f"HTML line {element.line}: Markdown left unrendered inside <details>: {raw[:80]!r}"
                )
        for child in element.elements:
            visit(child)

    visit(root)
    return problems


@dataclass(frozen=True)
class Table:
    section: str  # the text of the last <h1>-<h3> before it
    details: str | None  # the text of the <summary> of the innermost <details> it is in
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Details:
    section: str
    summary: Element
    tables: int  # tables inside it, at any depth
    items: int  # list items inside it


@dataclass(frozen=True)
class Rendered:
    """A page as GitHub shows it: its HTML, its tree, what is wrong with it, and its outline."""

    markdown: str
    html: str
    root: Element
    problems: list[str]

    def headings(self, *levels: int) -> list[str]:
        wanted = {f"h{level}" for level in levels or range(1, 7)}
        return [element.text().strip() for element in self.root.walk() if element.tag in wanted]

    def section(self, heading: str) -> list[Element]:
        """The top-level elements after the <h2> `heading`, up to the next <h1> or <h2>."""
        found: list[Element] = []
        inside = False
        for element in self.root.elements:
            if element.tag in ("h1", "h2"):
                inside = element.text().strip() == heading
            elif inside:
                found.append(element)
        return found

    def tables(self) -> list[Table]:
        return [item for item in self._outline() if isinstance(item, Table)]

    def details(self) -> list[Details]:
        return [item for item in self._outline() if isinstance(item, Details)]

    def code_blocks(self) -> list[tuple[str, str]]:
        """(language, text) of each fenced code block: GitHub's <pre lang="..."><code>."""
        return [(element.attrs.get("lang", ""), element.text()) for element in self.root.find_all("pre")]

    def _outline(self) -> list[Table | Details]:
        """The tables and <details> in document order, each with the section (heading) it is in."""
        found: list[Table | Details] = []
        section = ""

        def visit(element: Element, summary: str | None) -> None:
            nonlocal section
            for child in element.elements:
                if child.tag in ("h1", "h2", "h3"):
                    section = child.text().strip()
                elif child.tag == "table":
                    found.append(_table(child, section, summary))
                elif child.tag == "details":
                    first = child.elements[0] if child.elements else Element("summary", {}, child.line)
                    tables, items = len(child.find_all("table")), len(child.find_all("li"))
                    found.append(Details(section, first, tables, items))
                    visit(child, first.text().strip())
                else:
                    visit(child, summary)

        visit(self.root, None)
        return found


def _cells(row: Element) -> list[str]:
    return [cell.text().strip() for cell in row.elements if cell.tag in ("th", "td")]


def _table(element: Element, section: str, summary: str | None) -> Table:
    header = [_cells(row) for head in element.find_all("thead") for row in head.find_all("tr")]
    body = [_cells(row) for rows in element.find_all("tbody") for row in rows.find_all("tr")]
    return Table(section, summary, header[0] if header else [], body)


def render(markdown: str, *, comment: bool) -> Rendered:
    """`markdown` rendered as GitHub does, with every nesting and content problem found in it."""
    html = to_html(markdown, comment=comment)
    root, problems = parse(html)
    return Rendered(markdown, html, root, problems + content_problems(root))


def split_pages(rendered: Rendered) -> list[Rendered]:
    """A body of several pages (the organisation summary, then one review page per account), cut at
    each <h1>: one `Rendered` per page, sharing the problems of the whole body with the first."""
    pages: list[Rendered] = []
    current: Element | None = None
    for child in rendered.root.children:
        if isinstance(child, Element) and child.tag == "h1":
            current = Element("#document", {}, child.line)
            pages.append(Rendered(rendered.markdown, rendered.html, current, []))
        if current is not None:
            current.children.append(child)
    return pages
