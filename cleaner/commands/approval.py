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


# What to do about a failed rule, now that the pull request is merged and nothing was deleted.
_NEXT_STEPS = {
    "approvals": "a plan needs an approving review, after its last change, by a writer who did not"
    " change it or ask for a change, before it is merged",
    "page_is_the_plan": "the description must be what the plans render to: leave it to the bot (plan-check"
    " re-renders it after an edit)",
    "only_plan_files": "a plan pull request may change only plan folders: put code, workflow and settings"
    " changes in a pull request of their own",
    "provenance": "a plan must come from the scan workflow on the default branch, edited by removals only",
    "applied_once": "a plan folder already on the default branch is never applied again",
    "verified_bot_commits": "only the bot's own commits (signed by GitHub) may carry the bot's name: do not"
    " push as the bot",
    "attributable_commits": "every commit must belong to a GitHub account: commit with your account's e-mail",
}
RESCAN = (
    'run the scan workflow (Actions, scan, "Run workflow") for a new plan pull request; every'
    " version is re-verified before it is deleted."
)


def refusal_markdown(approval: Approval) -> str:
    """The refusal as a PR comment: what failed first, then what to do now that the pull request is
    merged, then the rules that passed. Messages quote names a PR's author chose (file paths, branches,
    e-mails): each is escaped, so none can break the list or hide the rest of the comment."""
    lines = ["**SnapStart Cleaner:** Apply refused. Nothing was deleted.", ""]
    if approval.requirements:
        failed = [r for r in approval.requirements if not r.ok]
        passed = [r for r in approval.requirements if r.ok]
        lines += [f"- **failed** `{r.name}`: {markdown_text(r.message)}" for r in failed]
        hints = [_NEXT_STEPS[r.name] for r in failed if r.name in _NEXT_STEPS]
        step = (
            f"{'; '.join(hints)}. To go on, {RESCAN}"
            if hints
            else f"To go on, {RESCAN[0].upper()}{RESCAN[1:]}"
        )
        lines += ["", f"**Next step:** this pull request is merged and will not be applied. {step}", ""]
        lines += [f"- passed `{r.name}`: {markdown_text(r.message)}" for r in passed]
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
    # The runner's checkout is no one's business on the pull request: paths relative to it.
    for root in {str(env.cwd.resolve()), str(env.cwd)}:
        message = message.replace(root.rstrip("/") + "/", "")
    reporter.comment(
        f"**SnapStart Cleaner:** Apply refused: {markdown_text(message)}\n\nNothing was deleted."
        f" **Next step:** fix that, then {RESCAN}\n",
        env,
    )
