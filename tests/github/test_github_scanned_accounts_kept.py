"""The organisation summary outlives every rebuild of the plan pull request's description: open-pr
records each plan it summarises without committing it (nothing to delete) as a `Scanned-account:`
trailer of its commit, and keep and refresh-pr read them back, so their rows and their share of the
heading's totals stay (in-process against the fake GitHub, through the real CLI). On open-pr's own
commit the rebuild is open-pr's title and body byte for byte. Trailers count only in a commit GitHub
signed for the bot, and even those are validated: nothing of one but digits and a plan id reaches the
page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fakes.cli import Run
from fakes.github_server import BODY_LIMIT, FakeGitHub
from fakes.plans import make_plan, write_plan
from test_github_failed_accounts_kept import push_a_reviewers_drop, rewrite_first_commit
from test_github_open_pr_accounts import FAILED, PROD, STAGE, in_account, open_pr, org_run, settings

from cleaner.exit_codes import ExitCode
from cleaner.plan import Plan

RunCli = Callable[..., Run]
BRANCH = "snapstart-cleaner/plan"
SANDBOX = "333333333333"
PROD_ROW = f"| prod | `{PROD}` | 5 | $19.50 | 1 | 0 | [`plan.md`]("
STAGE_ROW = f"| stage | `{STAGE}` | 0 | $0.00 | 1 | 0 | — |"
SANDBOX_ROW = f"| sandbox | `{SANDBOX}` | — | — | — | — | not scanned |"
HEADING = "# SnapStart Cleaner: 3 accounts\n\n"


def rows(body: str) -> list[str]:
    """The organisation summary's account rows."""
    summary = body.split("\n---\n")[0]
    return [line for line in summary.splitlines() if line.startswith("| ") and "`" in line]


def opened_with_three_accounts(run_cli: RunCli, tmp_path: Path, fake: FakeGitHub) -> str:
    """prod with 5 deletions, stage with none (summarised, not committed), sandbox failed; the body."""
    settings(tmp_path)
    open_pr(run_cli, *org_run(tmp_path, "r1", prod=5, stage=0), FAILED)
    assert fake.file_at(BRANCH, f"plans/r1-{STAGE}/plan.json") is None
    message = fake.pull_commits(1)[0].message
    assert message.endswith(f"\nScanned-account: {STAGE} plan=r1-{STAGE} kept=1 warnings=0")
    body = fake.pulls[1].body
    assert body.startswith(f"{HEADING}**5 SnapStart versions to delete** in 1 account,")
    assert "; 2 kept\n" in body
    assert [row[: len(PROD_ROW)] for row in rows(body)] == [PROD_ROW, STAGE_ROW, SANDBOX_ROW]
    return body


def folder(tmp_path: Path, plan: Plan) -> str:
    return str(write_plan(tmp_path, plan).relative_to(tmp_path))


def refresh(run_cli: RunCli, fake: FakeGitHub) -> Run:
    return run_cli("refresh-pr", "--pr", "1", "--head-sha", fake.head_sha(1))


def patches(fake: FakeGitHub) -> int:
    return fake.requests.count(("PATCH", "/repos/acme/infra/pulls/1"))


def assert_three_rows_after_one_version_dropped(body: str) -> None:
    assert body.startswith(f"{HEADING}**4 SnapStart versions to delete** in 1 account,")
    assert "; 2 kept\n" in body  # stage's kept version still counts
    assert "## Dropped in review" in body
    prod = f"| prod | `{PROD}` | 4 | $15.60 | 1 | 0 | [`plan.md`]("
    assert [row[: len(prod)] for row in rows(body)] == [prod, STAGE_ROW, SANDBOX_ROW]


def assert_refresh_writes_nothing(
    run_cli: RunCli, fake: FakeGitHub, title: str, body: str, patched: int
) -> None:
    """refresh-pr finds open-pr's title and description already right and sends no PATCH."""
    result = refresh(run_cli, fake)
    assert result.code == ExitCode.OK, result.stderr + result.stdout
    assert "already match the plans" in result.stdout
    assert (fake.pulls[1].title, fake.pulls[1].body) == (title, body)
    assert patches(fake) == patched


def test_a_keep_keeps_the_row_of_the_account_with_nothing_to_delete(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    opened_with_three_accounts(run_cli, tmp_path, fake_github)
    comment = fake_github.comment(1, "carol", "/keep fn-000:1")

    result = run_cli("keep", "--pr", "1", "--comment-id", str(comment.id))

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    assert_three_rows_after_one_version_dropped(fake_github.pulls[1].body)
    assert fake_github.pulls[1].title == (
        # Only the plans with something to delete count in the title: stage's empty plan is a row.
        f"SnapStart cleanup: delete 4 versions (~$15.60/month), plan r1-{PROD}"
    )


def test_refresh_after_a_persons_push_keeps_the_row_of_the_account_with_nothing_to_delete(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    opened_with_three_accounts(run_cli, tmp_path, fake_github)
    push_a_reviewers_drop(run_cli, tmp_path, fake_github, PROD)
    before = len(fake_github.requests)

    result = refresh(run_cli, fake_github)

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    assert "re-rendered the title and description" in result.stdout
    assert_three_rows_after_one_version_dropped(fake_github.pulls[1].body)
    # The trailers come with the commit list it reads anyway: the repository, the pull request, its
    # files, its commits, the plan at the head and at the bot's commit, the check that the head has
    # not moved, the write; and the plan at the person's commit, for who dropped what.
    assert len(fake_github.requests) - before == 9


def test_on_open_prs_own_commit_the_rebuild_is_open_prs_description_byte_for_byte(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    # plan-check also runs on the bot's own push: it writes nothing, because it would write the same.
    body = opened_with_three_accounts(run_cli, tmp_path, fake_github)
    title, patched = fake_github.pulls[1].title, patches(fake_github)

    assert_refresh_writes_nothing(run_cli, fake_github, title, body, patched)


def test_an_account_scanned_per_region_keeps_a_row_per_region_byte_for_byte(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    # stage's two regions are two plans of one account: us-east-1 deletes (committed), us-west-2 does
    # not (a trailer), prod deletes nothing; the folders given in no sorted order.
    settings(tmp_path)
    folders = [
        folder(tmp_path, in_account(make_plan(plan_id, delete=count, keep=2), account))
        for plan_id, account, count in (
            (f"r1-{STAGE}-us-west-2", STAGE, 0),
            (f"r1-{PROD}", PROD, 0),
            (f"r1-{STAGE}-us-east-1", STAGE, 3),
        )
    ]
    open_pr(run_cli, *folders)
    title, body, patched = fake_github.pulls[1].title, fake_github.pulls[1].body, patches(fake_github)
    assert [row.split(" | ")[2] for row in rows(body)] == ["3", "0", "0"]
    # The only plan with something to delete: the empty ones are rows of the summary, not "2 more".
    assert title.endswith(f"plan r1-{STAGE}-us-east-1")

    assert_refresh_writes_nothing(run_cli, fake_github, title, body, patched)


def test_an_account_that_failed_in_two_regions_is_warned_about_twice_byte_for_byte(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    # sandbox scanned per region: both of its scan jobs failed, each a line of open-pr's warning.
    settings(tmp_path)
    failure = f"--failed-account={SANDBOX}=could not assume the scan role through GitHub OIDC"
    open_pr(run_cli, *org_run(tmp_path, "r1", prod=5, stage=0), failure, failure)
    title, body, patched = fake_github.pulls[1].title, fake_github.pulls[1].body, patches(fake_github)
    assert body.startswith("# SnapStart Cleaner: 4 accounts\n") and body.count(SANDBOX_ROW) == 2

    assert_refresh_writes_nothing(run_cli, fake_github, title, body, patched)


def test_review_pages_linked_for_want_of_room_are_rebuilt_byte_for_byte(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings(tmp_path)
    folders = [
        folder(tmp_path, in_account(make_plan(f"big-{account}", delete=200, functions=200), account))
        for account in (PROD, STAGE)
    ]
    folders.append(folder(tmp_path, in_account(make_plan("small", delete=0), SANDBOX)))
    open_pr(run_cli, *folders)
    title, body, patched = fake_github.pulls[1].title, fake_github.pulls[1].body, patches(fake_github)
    # Both pages get their index; their rows are what is cut.
    assert body.count("Shortened to fit GitHub's limit") == 2 and len(body) <= BODY_LIMIT

    assert_refresh_writes_nothing(run_cli, fake_github, title, body, patched)


def test_trailers_cannot_put_markdown_or_html_on_the_page(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    hostile = [
        f"Scanned-account: {SANDBOX} plan=<img src=x onerror=alert(1)> kept=1 warnings=0",
        f"Scanned-account: {SANDBOX} plan=x kept=1 warnings=0 **urgent** [re-run](https://evil.example)",
        f"Scanned-account: {SANDBOX} plan=x kept=1<!-- warnings=0",
        f"Scanned-account: {SANDBOX} plan=x|y kept=1 warnings=0",
        f"Scanned-account: {SANDBOX}` plan=x kept=1 warnings=0",
        f"Scanned-account: {SANDBOX} plan=x kept={'9' * 40} warnings=0",
    ]
    rewrite_first_commit(
        run_cli,
        tmp_path,
        fake_github,
        [*hostile, f"Scanned-account: {SANDBOX} plan=forged kept=7 warnings=3"],
    )

    result = refresh(run_cli, fake_github)

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    assert result.stderr.count("ignored a Scanned-account trailer") == len(hostile), result.stderr
    body = fake_github.pulls[1].body
    # The one well-formed trailer is a row like any (feedback, not a safeguard), named from the settings.
    assert f"| sandbox | `{SANDBOX}` | 0 | $0.00 | 7 | 3 | — |" in body
    assert body.startswith("# SnapStart Cleaner: 3 accounts\n") and "; 9 kept\n" in body
    for raw in ("<img", "**urgent**", "evil.example", "<!--", "x|y", "9" * 40):
        assert raw not in body, raw


def test_a_trailer_naming_a_committed_plan_yields_to_its_plan_json(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    rewrite_first_commit(
        run_cli, tmp_path, fake_github, [f"Scanned-account: {PROD} plan=r1-{PROD} kept=999 warnings=9"]
    )

    result = refresh(run_cli, fake_github)

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    assert f"ignored the Scanned-account trailer of plan r1-{PROD}: its plan.json is on the branch" in (
        result.stderr
    )
    body = fake_github.pulls[1].body
    assert body.startswith("# SnapStart Cleaner: 2 accounts\n") and "999" not in body
    assert f"| prod | `{PROD}` | 5 | $19.50 | 1 | 0 | [`plan.md`](" in body
