"""Fitting Markdown into a pull request body or comment (GitHub refuses more than 65,536 characters)."""

from __future__ import annotations

BODY_LIMIT = 65_536
# Room kept for the note and for GitHub counting some characters differently from Python.
_MARGIN = 1_024  # at the real limit; proportionally less for smaller limits


def fit_body(text: str, full_text_at: str, limit: int = BODY_LIMIT) -> str:
    """`text` when it fits; otherwise its first lines, with open code fences and <details> blocks closed,
    and a note saying where the full text is (`full_text_at`, Markdown)."""
    if len(text) <= limit:
        return text
    note = (
        f"\n\n---\n\n> [!NOTE]\n> This text is cut here: it has {len(text):,} characters and GitHub allows"
        f" {limit:,}. The full text is {full_text_at}.\n"
    )
    budget = max(limit - len(note) - min(_MARGIN, limit // 64), 0)
    cut = text[:budget]
    while True:
        cut = cut[: cut.rfind("\n") + 1]  # whole lines only: never half a table row
        closing = _closing(cut)
        if len(cut) + len(closing) <= budget:
            return cut + closing + note
        cut = cut[:-1]


def _closing(markdown: str) -> str:
    """What closes the code fence and <details> blocks `markdown` leaves open."""
    closing = ""
    if sum(line.lstrip().startswith("```") for line in markdown.splitlines()) % 2:
        closing += "```\n"
    open_details = markdown.count("<details>") - markdown.count("</details>")
    return closing + "\n</details>\n" * max(open_details, 0)
