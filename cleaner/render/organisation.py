"""What an organisation's pull request body says once for every account's page: "On merge" and "How to
keep a version" (each page is rendered without them)."""

from __future__ import annotations

from cleaner.render.filters import render_paragraph


def render_organisation_boilerplate(delete_count: int, accounts: str, dry_run: bool | None) -> str:
    """`dry_run`: what merging does (None: not known, the text says what it depends on); `accounts`:
    how many accounts have something to delete, in words ("3 accounts")."""
    return render_paragraph(
        "organisation-boilerplate.md.j2", delete_count=delete_count, accounts=accounts, dry_run=dry_run
    )
