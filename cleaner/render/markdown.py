"""Any value as literal Markdown: text on one line (`markdown_text`, the templates' `cell`) or on
lines of a bounded width in a table cell (`markdown_lines`), a code span
(`markdown_code`, `code`) or text inside an HTML element (`html_text`, `html`). Every value a page or
comment interpolates goes through one of them, so no value can change the shape of the page."""

from __future__ import annotations

import html
import re
import textwrap
import unicodedata

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


def markdown_lines(value: object, width: int) -> str:
    """A value as literal text in a table cell, on lines of at most `width` characters (or its longest
    word, kept whole) joined by `<br>`, broken at spaces, each line as `markdown_text`: the cell's
    width is bounded whatever the value's length."""
    text = _one_line("—" if value is None else str(value))
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    return "<br>".join(markdown_text(line) for line in lines)


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
