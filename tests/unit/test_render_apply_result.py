"""apply-result.md: the outcome page posted on the merged PR and in the job summary."""

from __future__ import annotations

from cleaner.apply_result import ApplyResult, EntryResult, Outcome, count_outcomes
from cleaner.render import render_apply_markdown

from .factories import NOW


def _result(approval: str | None, dry_run: bool = False) -> ApplyResult:
    entries = [
        EntryResult(region="us-east-1", function_name="api", version="1", outcome=Outcome.DELETED),
        EntryResult(
            region="us-east-1",
            function_name="api",
            version="2",
            outcome=Outcome.SKIPPED,
            reasons=["alias_protected"],
            message="alias hotfix (primary) | weighted",
        ),
    ]
    return ApplyResult(
        plan_id="p1",
        plan_path="plans/p1/plan.json",
        account_id="123456789012",
        dry_run=dry_run,
        started_at=NOW,
        finished_at=NOW,
        approval=approval,
        entries=entries,
        counts=count_outcomes(entries),
    )


def test_the_page_counts_outcomes_and_lists_every_entry_with_escaped_details() -> None:
    page = render_apply_markdown(_result(approval="PR #7 approved by bob"))

    assert "**1 deleted** · **0 failed** · 1 skipped (changed since the scan) · 0 already gone" in page
    assert "Approval: PR #7 approved by bob" in page
    assert "| `api` | 2 | us-east-1 | alias_protected: alias hotfix (primary) \\| weighted |" in page
    assert "- `api` (us-east-1) deleted: 1" in page
    assert "\n\n\n" not in page


def test_a_dry_run_says_what_would_be_deleted() -> None:
    page = render_apply_markdown(_result(approval=None, dry_run=True))

    assert page.startswith("# SnapStart Cleaner apply (dry run): plan `p1`")
    assert "Approval:" not in page and "\n\n\n" not in page
