"""The warning about accounts a run could not scan outlives every rebuild of the plan pull request's
description: open-pr records them as `Failed-account:` trailers of its commit, and keep and refresh-pr
read them back from there (in-process against the fake GitHub). Trailers count only in a commit GitHub
signed for the bot: a commit pushed with the bot's e-mail is a person's, and its trailers say nothing.
Even the bot's are validated and rendered escaped: a failure message quotes what AWS answered."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fakes.cli import Run
from fakes.github_server import BOT, FakeGitHub
from test_github_open_pr_accounts import FAILED, PROD, STAGE, open_pr, org_run, settings

from cleaner.exit_codes import ExitCode
from cleaner.render import markdown_text

RunCli = Callable[..., Run]
BRANCH = "snapstart-cleaner/plan"
SANDBOX = "333333333333"
WARNING = "> **1 account could not be scanned**"
SANDBOX_LINE = f"> - sandbox (`{SANDBOX}`): exit 3: could not assume arn:aws:iam::{SANDBOX}:role/s"
SANDBOX_ROW = f"| sandbox | `{SANDBOX}` | — | — | — | — | not scanned |"


def opened_with_a_failed_account(run_cli: RunCli, tmp_path: Path, fake: FakeGitHub) -> None:
    settings(tmp_path)
    report = open_pr(run_cli, *org_run(tmp_path, "r1", prod=5, stage=2), FAILED)
    assert report["failed_accounts"] == [SANDBOX]
    body = fake.pulls[1].body
    assert WARNING in body and SANDBOX_LINE in body and SANDBOX_ROW in body
    message = fake.pull_commits(1)[0].message
    assert message.endswith(
        f"\n\nFailed-account: {SANDBOX}=exit 3: could not assume arn:aws:iam::{SANDBOX}:role/s"
    )


def refresh(run_cli: RunCli, fake: FakeGitHub) -> Run:
    return run_cli("refresh-pr", "--pr", "1", "--head-sha", fake.head_sha(1))


def push_a_reviewers_drop(
    run_cli: RunCli, tmp_path: Path, fake: FakeGitHub, account: str, clone_name: str = "clone"
) -> None:
    """A reviewer drops the first version left in `account`'s plan in a clone (a new folder for each
    `clone_name`), re-renders it and pushes."""
    path = f"plans/r1-{account}/plan.json"
    document = json.loads(fake.file_at(BRANCH, path) or "")
    document["delete"] = document["delete"][1:]
    clone = tmp_path / clone_name / path
    clone.parent.mkdir(parents=True)
    clone.write_text(json.dumps(document, indent=2))
    assert run_cli("render", str(clone)).code == ExitCode.OK
    edited = {path: clone.read_text(), path.replace(".json", ".md"): (clone.parent / "plan.md").read_text()}
    fake.commit_files(BRANCH, edited, user=fake.add_user("carol"))


def test_a_keep_keeps_the_failed_accounts_warning(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    opened_with_a_failed_account(run_cli, tmp_path, fake_github)
    fake_github.add_user("carol")
    comment = fake_github.comment(1, "carol", "/keep fn-000:1")

    result = run_cli("keep", "--pr", "1", "--comment-id", str(comment.id))

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    body = fake_github.pulls[1].body
    assert "## Dropped in review" in body  # rebuilt by keep
    assert WARNING in body and SANDBOX_LINE in body and SANDBOX_ROW in body
    assert body.startswith("# SnapStart Cleaner: 3 accounts\n")


def test_refresh_after_a_persons_push_keeps_the_failed_accounts_warning(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    opened_with_a_failed_account(run_cli, tmp_path, fake_github)
    push_a_reviewers_drop(run_cli, tmp_path, fake_github, PROD)

    result = refresh(run_cli, fake_github)

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    body = fake_github.pulls[1].body
    assert "**6 SnapStart versions to delete** in 2 accounts" in body
    assert "## Dropped in review" in body
    assert WARNING in body and SANDBOX_LINE in body and SANDBOX_ROW in body
    assert fake_github.pulls[1].title.startswith("SnapStart cleanup: delete 6 versions in 2 accounts")


def rewrite_first_commit(
    run_cli: RunCli, tmp_path: Path, fake: FakeGitHub, trailers: list[str], *, forged: bool = False
) -> None:
    """The plan pull request, then its branch replaced by one commit that carries the same plans but
    `trailers`, made by the App through the API (signed by GitHub) or, `forged`, pushed by a person with
    the App's e-mail (GitHub attributes it to the App, unsigned), and a person's commit on top."""
    settings(tmp_path)
    folders = org_run(tmp_path, "r1", prod=5, stage=2)
    open_pr(run_cli, *folders)
    files: dict[str, str | None] = {
        f"{folder}/{name}": (tmp_path / folder / name).read_text()
        for folder in folders
        for name in ("plan.json", "plan.md")
    }
    fake.refs[f"heads/{BRANCH}"] = fake.refs["heads/main"]
    message = "Plans r1: delete 7 SnapStart versions\n\nWritten by snapstart-cleaner scan.\n\n"
    if forged:
        fake.commit_files(BRANCH, files, user=BOT, message=message + "\n".join(trailers))
    else:
        fake.commit_as_app(BRANCH, files, message=message + "\n".join(trailers))
    assert fake.pull_commits(1)[0].user == BOT
    # A person's push after it, so that refresh-pr rebuilds the description.
    fake.commit_files(BRANCH, {}, user=fake.add_user("carol"), message="Nudge")


def test_a_trailer_with_markdown_and_html_is_rendered_escaped(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    hostile = "<img src=x onerror=alert(1)> **urgent** [re-run](https://evil.example) <!-- | ` -->"
    rewrite_first_commit(run_cli, tmp_path, fake_github, [f"Failed-account: {SANDBOX}={hostile}"])

    result = refresh(run_cli, fake_github)

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    body = fake_github.pulls[1].body
    assert f"> - sandbox (`{SANDBOX}`): {markdown_text(hostile)}\n" in body
    for raw in ("<img", "**urgent**", "[re-run](", "<!--"):
        assert raw not in body, raw


def test_garbage_trailers_are_ignored_with_a_log_line_and_the_rest_kept(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    garbage = [
        "Failed-account: 12345=short id",
        f"Failed-account: {SANDBOX}",
        f"Failed-account: {STAGE}=" + "x" * 501,
        "Failed-account: 44444444444a=letters",
        f"Failed-account: {SANDBOX}=   ",
    ]
    rewrite_first_commit(
        run_cli, tmp_path, fake_github, [*garbage, f"Failed-account: {SANDBOX}=exit 3: no role"]
    )

    result = refresh(run_cli, fake_github)

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    assert result.stderr.count("ignored a Failed-account trailer") == len(garbage), result.stderr
    body = fake_github.pulls[1].body
    assert f"> - sandbox (`{SANDBOX}`): exit 3: no role\n" in body
    assert "short id" not in body and "letters" not in body and "x" * 501 not in body
    assert body.startswith("# SnapStart Cleaner: 3 accounts\n")


def test_a_commit_pushed_with_the_bots_e_mail_is_not_the_scans(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    rewrite_first_commit(
        run_cli, tmp_path, fake_github, [f"Failed-account: {SANDBOX}=exit 3: forged"], forged=True
    )
    body = fake_github.pulls[1].body

    result = refresh(run_cli, fake_github)

    assert result.code == ExitCode.FAILURES, result.stderr + result.stdout
    assert "no commit by the bot that opened it" in result.stdout
    assert fake_github.pulls[1].body == body
