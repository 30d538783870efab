"""open-pr's `Scanned-account:` trailers, one per plan it summarises without committing (nothing to
delete): what it writes is read back exactly and renders the same summary, and what it would not write
is dropped with a log line, never an error (a rebuilt description goes on without it)."""

from __future__ import annotations

from fakes.plans import ACCOUNT_ID, make_plan

from cleaner.apply_requirements import requested_by
from cleaner.github.plan_set import PlanFiles, PlanSet
from cleaner.github.trailers import (
    MAX_SCANNED_ACCOUNTS,
    FailedAccount,
    ScannedAccount,
    failed_accounts_in,
    scanned_accounts_in,
)
from cleaner.plan import Plan, plan_json_text
from cleaner.render import render_plan_markdown

PROD, STAGE, DEV = "111111111111", "222222222222", "444444444444"
NAMES = {PROD: "prod", STAGE: "stage", DEV: "dev"}
LINK = "https://github.com/acme/infra/blob/snapstart-cleaner/plan"


def files(plan_id: str, account_id: str, delete: int, keep: int = 1, warnings: int = 0) -> PlanFiles:
    plan = Plan.model_validate_json(
        make_plan(plan_id, delete=delete, keep=keep).model_dump_json().replace(ACCOUNT_ID, account_id)
    )
    plan = plan.model_copy(update={"warnings": [f"warning {n}" for n in range(warnings)]})
    return PlanFiles(plan, plan_json_text(plan), render_plan_markdown(plan), f"plans/{plan_id}")


def open_prs_set() -> PlanSet:
    """Prod with deletions; stage (two regions, scanned apart) and dev with none; sandbox failed. The
    folders in no particular order, as open-pr may be given them."""
    return PlanSet(
        [
            files("r1-222222222222-us-west-2", STAGE, 0, keep=4, warnings=2),
            files("r1-111111111111", PROD, 3),
            files("r1-444444444444", DEV, 0, keep=0),
            files("r1-222222222222-us-east-1", STAGE, 0, keep=7),
        ],
        [FailedAccount.parse("333333333333=exit 3: could not assume the role")],
        NAMES,
    )


def rebuilt(plans: PlanSet, message: str) -> PlanSet:
    """What keep and refresh-pr rebuild: the committed plans (in path order), the trailers' accounts."""
    committed = sorted(plans.to_commit, key=lambda f: f.md_path)
    return PlanSet(committed, failed_accounts_in(message), NAMES, scanned_accounts_in(message))


def test_open_pr_writes_a_trailer_for_each_plan_it_summarises_but_does_not_commit() -> None:
    message = open_prs_set().commit_message()

    assert message.startswith("Plan r1-111111111111: delete 3 SnapStart versions")
    assert message.endswith(
        "\n\nFailed-account: 333333333333=exit 3: could not assume the role\n"
        "Scanned-account: 222222222222 plan=r1-222222222222-us-west-2 kept=4 warnings=2\n"
        "Scanned-account: 444444444444 plan=r1-444444444444 kept=0 warnings=0\n"
        "Scanned-account: 222222222222 plan=r1-222222222222-us-east-1 kept=7 warnings=0"
    )


def test_the_trailers_are_read_back_exactly() -> None:
    plans = open_prs_set()
    logged: list[str] = []

    found = scanned_accounts_in(plans.commit_message(), logged.append)

    assert found == [ScannedAccount.of(f.plan) for f in plans.plans if not f.plan.delete]
    assert logged == []


def test_the_rebuild_from_the_trailers_is_open_prs_title_and_body_byte_for_byte() -> None:
    plans = open_prs_set()

    again = rebuilt(plans, plans.commit_message())

    assert again.description(LINK) == plans.description(LINK)
    body = again.description(LINK)[1]
    # Each plan a row; the plan of one region of an account scanned per region says its region.
    assert body.startswith("# SnapStart Cleaner: 5 accounts\n\n**3 SnapStart versions to delete** in 1")
    assert "; 12 kept\n" in body
    assert f"| stage<br>us-west-2 | `{STAGE}` | 0 | $0.00 | 4 | 2 | — |" in body
    assert f"| stage<br>us-east-1 | `{STAGE}` | 0 | $0.00 | 7 | 0 | — |" in body
    assert f"| dev | `{DEV}` | 0 | $0.00 | 0 | 0 | — |" in body


def test_without_the_trailers_the_rebuild_loses_the_rows_they_carry() -> None:
    # What the trailers are for: the committed plan and the failure alone summarise two accounts.
    plans = open_prs_set()
    message = plans.commit_message().replace("Scanned-account", "Not-a-trailer")

    body = rebuilt(plans, message).description(LINK)[1]

    assert body.startswith("# SnapStart Cleaner: 2 accounts\n") and "nothing to delete" not in body


def test_a_commit_that_summarises_only_what_it_commits_has_no_trailer() -> None:
    plans = PlanSet([files("r1-111111111111", PROD, 3), files("r1-222222222222", STAGE, 2)])

    message = plans.commit_message()

    assert "Scanned-account" not in message and scanned_accounts_in(message) == []


def test_a_single_plan_is_committed_whatever_it_deletes_and_names_no_trailer() -> None:
    message = PlanSet([files("p1", PROD, 0)]).commit_message()

    assert "Scanned-account" not in message


def test_trailers_outside_the_last_paragraph_are_not_trailers() -> None:
    message = f"Plan p1\n\nScanned-account: {STAGE} plan=p2 kept=1 warnings=0\n\nWritten by scan."

    assert scanned_accounts_in(message) == []


SHAPE = "not ID plan=PLAN-ID kept=N warnings=N"


def test_each_malformed_trailer_is_dropped_with_a_log_line() -> None:
    lines = {
        "Scanned-account: 2222 plan=p2 kept=1 warnings=0": SHAPE,
        f"Scanned-account: {STAGE} plan=p2 kept=1": SHAPE,
        f"Scanned-account: {STAGE} plan=p2 kept=-1 warnings=0": SHAPE,
        f"Scanned-account: {STAGE} plan=p2 kept=01 warnings=0": SHAPE,
        f"Scanned-account: {STAGE} plan=p2 kept=1000000000 warnings=0": SHAPE,
        f"Scanned-account: {STAGE} plan=p2 kept=1 warnings=1e3": SHAPE,
        f"Scanned-account: {STAGE} plan=p2 kept=1 warnings=0 name=**x**": SHAPE,
        f"Scanned-account: {STAGE}  plan=p2 kept=1 warnings=0": SHAPE,
        f"Scanned-account: {STAGE} plan=../p2 kept=1 warnings=0": "not a plan id",
        f"Scanned-account: {STAGE} plan=<b>p2</b> kept=1 warnings=0": "not a plan id",
        f"Scanned-account: {STAGE} plan={'p' * 101} kept=1 warnings=0": "not a plan id",
        f"Scanned-account: {STAGE} plan=p2 kept=999999999 warnings=0": "",
        f"Scanned-account: {DEV} plan=p2 kept=3 warnings=0": "a plan named twice",
    }
    logged: list[str] = []

    found = scanned_accounts_in("Plan p1\n\n" + "\n".join(lines), logged.append)

    assert found == [ScannedAccount(STAGE, "p2", 999_999_999, 0)]
    reasons = [reason for reason in lines.values() if reason]
    assert len(logged) == len(reasons)
    for line, reason in zip(logged, reasons, strict=True):
        assert line.startswith(f"ignored a Scanned-account trailer ({reason}): "), line


def test_no_more_than_the_maximum_number_of_plans_is_read() -> None:
    trailers = [
        f"Scanned-account: {index:012d} plan=p{index} kept=1 warnings=0"
        for index in range(MAX_SCANNED_ACCOUNTS + 1)
    ]
    logged: list[str] = []

    found = scanned_accounts_in("Plan p1\n\n" + "\n".join(trailers), logged.append)

    assert len(found) == MAX_SCANNED_ACCOUNTS
    assert logged == [
        f"ignored a Scanned-account trailer (more than {MAX_SCANNED_ACCOUNTS} plans): {trailers[-1]!r}"
    ]


def test_the_trailers_name_nobody_who_asked_for_an_edit() -> None:
    # The two-person rule reads `Requested-by:` from the bot's commits' last paragraph.
    message = open_prs_set().commit_message()

    assert requested_by(message) == []
    assert failed_accounts_in(message) == [FailedAccount("333333333333", "exit 3: could not assume the role")]
