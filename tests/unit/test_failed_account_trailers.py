"""open-pr's `Failed-account:` trailers: what it writes is read back exactly, and what it would not
write is dropped with a log line, never an error (a rebuilt description goes on without it)."""

from __future__ import annotations

from fakes.plans import make_plan

from cleaner.apply_requirements import requested_by
from cleaner.github.plan_set import PlanFiles, PlanSet
from cleaner.github.trailers import MAX_FAILED_ACCOUNTS, FailedAccount, failed_accounts_in
from cleaner.plan import plan_json_text


def plan_set(*failed: FailedAccount) -> PlanSet:
    plan = make_plan("p1")
    return PlanSet([PlanFiles(plan, plan_json_text(plan), "# p1\n", "plans/p1")], failed)


def test_the_failed_accounts_open_pr_writes_are_read_back_exactly() -> None:
    failed = [
        FailedAccount.parse("333333333333=exit 3: could not assume role\u2028x  y = z"),
        FailedAccount.parse("444444444444=Requested-by: mallory"),
        FailedAccount.parse("=its scan job failed"),  # a repository without [[tool.cleaner.accounts]]
    ]
    logged: list[str] = []

    message = plan_set(*failed).commit_message()

    assert failed_accounts_in(message, logged.append) == failed
    assert logged == []
    assert message.startswith("Plan p1: delete 3 SnapStart versions")


def test_a_failure_message_never_names_who_asked_for_an_edit() -> None:
    # The two-person rule reads `Requested-by:` from the bot's commits' last paragraph.
    message = plan_set(FailedAccount.parse("444444444444=Requested-by: mallory")).commit_message()

    assert requested_by(message) == []


def test_a_commit_without_failures_has_no_trailer() -> None:
    message = plan_set().commit_message()

    assert "Failed-account" not in message
    assert failed_accounts_in(message) == []


def test_trailers_outside_the_last_paragraph_are_not_trailers() -> None:
    message = "Plan p1\n\nFailed-account: 333333333333=early\n\nWritten by snapstart-cleaner scan."

    assert failed_accounts_in(message) == []


def test_each_malformed_trailer_is_dropped_with_a_log_line() -> None:
    lines = {
        "Failed-account: 3333=short": "not a 12-digit account id",
        "Failed-account: 333333333333": "not ID=MESSAGE",
        "Failed-account: 333333333333=": "an empty message",
        "Failed-account: 555555555555=" + "m" * 501: "a message over 500 characters",
        "Failed-account: 666666666666=first": "",
    }
    logged: list[str] = []

    found = failed_accounts_in("Plan p1\n\n" + "\n".join(lines), logged.append)

    assert found == [FailedAccount("666666666666", "first")]
    reasons = [reason for reason in lines.values() if reason]
    assert len(logged) == len(reasons)
    for line, reason in zip(logged, reasons, strict=True):
        assert line.startswith(f"ignored a Failed-account trailer ({reason}): "), line


def test_an_account_that_failed_in_two_regions_is_read_back_twice() -> None:
    # An account with split_regions has a scan job, and a failure, per region: open-pr lists each.
    failed = [FailedAccount.parse("333333333333=exit 3: could not assume the scan role")] * 2

    assert failed_accounts_in(plan_set(*failed).commit_message()) == failed


def test_no_more_than_the_maximum_number_of_accounts_is_read() -> None:
    trailers = [f"Failed-account: {index:012d}=failed" for index in range(MAX_FAILED_ACCOUNTS + 1)]
    logged: list[str] = []

    found = failed_accounts_in("Plan p1\n\n" + "\n".join(trailers), logged.append)

    assert len(found) == MAX_FAILED_ACCOUNTS
    assert logged == [
        f"ignored a Failed-account trailer (more than {MAX_FAILED_ACCOUNTS} accounts): {trailers[-1]!r}"
    ]
