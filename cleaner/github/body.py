"""Fitting Markdown into a pull request body or comment (GitHub refuses more than 65,536 characters)."""

from __future__ import annotations

import re

from cleaner.render import body_margin

BODY_LIMIT = 65_536


def fit_body(text: str, full_text_at: str, limit: int = BODY_LIMIT) -> str:
    """`text` when it fits; otherwise its first lines, with open code fences and <details> blocks closed,
    and a note saying where the full text is (`full_text_at`, Markdown)."""
    if len(text) <= limit:
        return text
    note = (
        f"\n\n---\n\n> [!NOTE]\n> This text is cut here: it has {len(text):,} characters and GitHub allows"
        f" {limit:,}. The full text is {full_text_at}.\n"
    )
    budget = max(limit - len(note) - body_margin(limit), 0)
    cut = text[:budget]
    while True:
        cut = _without_empty_block(cut[: cut.rfind("\n") + 1])  # whole lines only: never half a table row
        closing = _closing(cut)
        if len(cut) + len(closing) <= budget:
            return cut + closing + note
        cut = cut[:-1]


# A line that opens a block whose content follows: a heading, an alert's marker, a <details> and its
# <summary>, a code fence.
_OPENS = re.compile(r"#{1,6} .*|> \[!\w+\]|<details>|<summary>.*</summary>|```.*")


def _without_empty_block(markdown: str) -> str:
    """`markdown` without the lines at its end that open a block and leave it empty, as a cut can: a
    <details> with no summary renders as an empty "Details", a table header without its delimiter row
    or rows as a paragraph of pipes, a heading or an alert with nothing under it, an empty code block
    (an empty Mermaid chart is an error box)."""
    lines = markdown.splitlines(keepends=True)
    while True:
        while lines and not lines[-1].strip():
            lines.pop()
        table = 0
        while table < len(lines) and lines[-1 - table].startswith("|"):
            table += 1
        if 0 < table < 3:  # a header, maybe its delimiter row, and no row yet
            del lines[-table:]
        elif lines and _OPENS.fullmatch(lines[-1].rstrip("\n")):
            fences = sum(line.startswith("```") for line in lines)
            if lines[-1].startswith("```") and fences % 2 == 0:
                break  # a fence that closes a block
            lines.pop()
        else:
            break
    return "".join(lines)


def _closing(markdown: str) -> str:
    """What closes the code fence and <details> blocks `markdown` leaves open."""
    closing = ""
    if sum(line.lstrip().startswith("```") for line in markdown.splitlines()) % 2:
        closing += "```\n"
    open_details = markdown.count("<details>") - markdown.count("</details>")
    return closing + "\n</details>\n" * max(open_details, 0)
