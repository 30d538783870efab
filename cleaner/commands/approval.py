"""The GitHub side of `apply --require-approval`: establish the approval, and report on the PR."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cleaner.exit_codes import BadInputError, CleanerError
from cleaner.github.approval import Approval, check_approval, comment_on_pr
from cleaner.github.client import open_repository

if TYPE_CHECKING:
    from github.Repository import Repository

    from cleaner.cli import Environment


@dataclass
class PullRequestReporter:
    repo: Repository
    number: int | None

    def comment(self, markdown: str, env: Environment) -> None:
        """Best effort: the outcome is also in the job summary, and a failed comment after deletions
        must not turn a finished apply into an error."""
        if self.number is None:
            return
        try:
            url = comment_on_pr(self.repo, self.number, markdown)
        except CleanerError as error:
            env.progress(f"warning: could not comment on PR #{self.number}: {error.message}")
        else:
            env.progress(f"commented on PR #{self.number}: {url}")


def establish_approval(
    plan_path: Path, required_approvals: int, env: Environment
) -> tuple[Approval, PullRequestReporter]:
    """Through the GitHub API alone: commit (GITHUB_SHA) -> merged PR -> reviews after the last edit."""
    sha = env.environ.get("GITHUB_SHA", "").strip()
    if not sha:
        raise BadInputError("--require-approval needs GITHUB_SHA: the pushed commit that merged the plan")
    try:
        relative = plan_path.resolve().relative_to(env.cwd.resolve()).as_posix()
    except ValueError as error:
        raise BadInputError(
            f"{plan_path}: with --require-approval the plan must be inside the checkout ({env.cwd})"
        ) from error
    repo = open_repository(env.environ)
    approval = check_approval(repo, sha, relative, required_approvals)
    return approval, PullRequestReporter(repo, approval.pr_number)
