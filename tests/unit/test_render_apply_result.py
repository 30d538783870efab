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

    assert "**1 deleted** · 0 failed · 1 skipped (changed since the scan) · 0 already gone" in page
    assert "Approval: PR #7 approved by bob" in page
    assert (
        "**1 version:** alias_protected: alias hotfix (primary) \\| weighted\n\n- `api` (us-east-1): 2\n"
        in page
    )
    assert "- `api` (us-east-1) deleted: 1" in page
    assert "\n\n\n" not in page


def test_a_dry_run_says_what_would_be_deleted() -> None:
    page = render_apply_markdown(_result(approval=None, dry_run=True))

    assert page.startswith("# SnapStart Cleaner apply (dry run): plan `p1`")
    assert "Approval:" not in page and "\n\n\n" not in page


DENIED = (
    "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/snapstart-apply/run is not"
    " authorized to perform: lambda:DeleteFunction on resource: arn:aws:lambda:{region}:123456789012"
    ":function:{name}:{version} with an explicit deny in a service control policy (p-abc123): ask your AWS"
    " organisation's administrators to allow lambda:DeleteFunction for the apply role in this account"
)


def test_failures_come_first_grouped_by_their_full_message_with_a_next_step() -> None:
    # AWS's message names the version it refused: the same cause for all six, said once.
    names = ("api", "payments-core-ledger-reconciliation-worker")
    entries = [
        EntryResult(
            region="us-east-1",
            function_name=name,
            version=str(v),
            outcome=Outcome.FAILED,
            message=DENIED.format(region="us-east-1", name=name, version=v),
        )
        for name in names
        for v in (3, 4, 5)
    ]
    entries.append(EntryResult(region="us-east-1", function_name="api", version="6", outcome=Outcome.DELETED))
    result = _result(None).model_copy(update={"entries": entries, "counts": count_outcomes(entries)})

    page = render_apply_markdown(result)

    cause = DENIED.format(region="REGION", name="FUNCTION", version="VERSION")
    assert len(cause) > 300 and page.count(cause) == 1  # the whole cause, said once
    assert "AccessDeniedException" not in page.replace(cause, "")
    assert page.index("## Failed (6)") < page.index("## Deleted")
    failed = page.split("## Failed (6)", 1)[1].split("\n## ", 1)[0]
    assert "**Next step:** fix the cause below, then re-run the failed jobs of this apply run" in failed
    assert f"**6 versions:** {cause}" in failed
    assert "- `api` (us-east-1): 3, 4, 5" in failed
    assert "- `payments-core-ledger-reconciliation-worker` (us-east-1): 3, 4, 5" in failed
    assert page.splitlines()[2].startswith("**1 deleted** · **6 failed** ·")


def test_a_message_naming_another_version_is_its_own_cause() -> None:
    # Only the entry's own function and version are left out of its cause: a message about another
    # resource (version 30 is not version 3, `api-v2` is not `api`) stays whole.
    messages = {
        "3": DENIED.format(region="us-east-1", name="api", version=30),
        "4": DENIED.format(region="us-east-1", name="api-v2", version=4),
        "5": DENIED.format(region="eu-west-1", name="api", version=5),
    }
    entries = [
        EntryResult(region="us-east-1", function_name="api", version=v, outcome=Outcome.FAILED, message=m)
        for v, m in messages.items()
    ]
    result = _result(None).model_copy(update={"entries": entries, "counts": count_outcomes(entries)})

    page = render_apply_markdown(result)

    assert all(page.count(message) == 1 for message in messages.values())
    assert "REGION" not in page and "FUNCTION" not in page


def test_a_dry_run_reports_no_deletion_time_and_no_bold_zero() -> None:
    result = _result(None, dry_run=True).model_copy(update={"verify_seconds": 2.0, "delete_seconds": 4.6})
    page = render_apply_markdown(result)
    assert "re-verification 2.0\u00a0s" in page and "deletion" not in page.split("\n\n")[2]
    assert "**0" not in page
