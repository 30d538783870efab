"""What rebuilding the plan pull request's page reads: each plan at the head, as the bot's first commit
added it, and at each later commit only if that commit changed it (GitHub lists a commit's changed
files with it). refresh.yml rebuilds after every push, and an organisation's pull request carries a
plan per account, so reading every plan at every commit would grow as accounts x commits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fakes.cli import Run
from fakes.github_server import FakeGitHub
from test_github_failed_accounts_kept import push_a_reviewers_drop
from test_github_open_pr_accounts import PROD, STAGE, open_pr, org_run, settings

from cleaner.exit_codes import ExitCode

RunCli = Callable[..., Run]


def test_a_plan_is_read_only_at_the_commits_that_changed_it(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings(tmp_path)
    open_pr(run_cli, *org_run(tmp_path, "r1", prod=5, stage=3))
    for step in range(3):
        push_a_reviewers_drop(run_cli, tmp_path, fake_github, PROD, clone_name=f"clone-{step}")
    before = len(fake_github.requests)

    result = run_cli("refresh-pr", "--pr", "1", "--head-sha", fake_github.head_sha(1))

    assert result.code == ExitCode.OK, result.stderr + result.stdout
    reads = [r for r in fake_github.requests[before:] if r[0] == "GET" and "/contents/plans/" in r[1]]
    stage = [r for r in reads if f"r1-{STAGE}/plan.json" in r[1]]
    prod = [r for r in reads if f"r1-{PROD}/plan.json" in r[1]]
    # stage's: at the head and at the bot's first commit; prod's: those two and the three edits.
    assert (len(stage), len(prod)) == (2, 5), reads
    # What it skipped it did not need: all three of carol's drops are credited.
    assert "- `fn-000` (us-east-1): 1, 2, 3 — by carol\n" in fake_github.pulls[1].body
