"""The GitHub side of `apply --require-approval`: establish the two-person rule, and report on the PR."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cleaner.exit_codes import BadInputError, CleanerError
from cleaner.github.approval import Approval, check_approval, comment_on_pr
from cleaner.github.client import GitHubTarget, open_repository
from cleaner.github.pull_request_facts import find_merged_pull_request
from cleaner.render import markdown_text

if TYPE_CHECKING:
    from github.Repository import Repository

    from cleaner.environment import Environment
    from cleaner.plan import Plan
    from cleaner.settings import Settings


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


def _pushed_sha(env: Environment) -> str:
    sha = env.environ.get("GITHUB_SHA", "").strip()
    if not sha:
        raise BadInputError("--require-approval needs GITHUB_SHA: the pushed commit that merged the plan")
    return sha


def establish_approval(
    plan_path: Path, plan: Plan, settings: Settings, env: Environment, dry_run: bool = False
) -> tuple[Approval, PullRequestReporter]:
    """Through the GitHub API alone: commit (GITHUB_SHA) -> merged PR -> every rule of the two-person
    rule (`cleaner.apply_requirements`)."""
    sha = _pushed_sha(env)
    try:
        relative = plan_path.resolve().relative_to(env.cwd.resolve()).as_posix()
    except ValueError as error:
        raise BadInputError(
            f"{plan_path}: with --require-approval the plan must be inside the checkout ({env.cwd})"
        ) from error
    target = GitHubTarget.from_environ(env.environ)
    repo = open_repository(env.environ)
    approval = check_approval(repo, target, sha, relative, plan, settings, dry_run)
    return approval, PullRequestReporter(repo, approval.pr_number)


def refusal_markdown(approval: Approval) -> str:
    """The refusal as a PR comment. Messages quote names a PR's author chose (file paths, branches,
    e-mails): each is escaped, so none can break the list or hide the rest of the comment."""
    lines = ["**SnapStart Cleaner:** Apply refused. Nothing was deleted.", ""]
    if approval.requirements:
        lines += [
            f"- {'passed' if r.ok else '**failed**'} `{r.name}`: {markdown_text(r.message)}"
            for r in approval.requirements
        ]
    else:
        lines.append(markdown_text(approval.reason))
    return "\n".join(lines) + "\n"


def report_refusal(message: str, env: Environment, reporter: PullRequestReporter | None) -> None:
    """Say on the merged PR why apply refused before it deleted anything. Best effort: the refusal
    stands (and is printed) whether or not the comment can be made."""
    if reporter is None:
        try:
            repo = open_repository(env.environ)
            found = find_merged_pull_request(repo, _pushed_sha(env))
        except CleanerError as error:
            env.progress(f"warning: could not find the pull request to report the refusal: {error.message}")
            return
        reporter = PullRequestReporter(repo, found.pr.number if found.pr else None)
    reporter.comment(
        f"**SnapStart Cleaner:** Apply refused: {markdown_text(message)}\n\nNothing was deleted.\n", env
    )
