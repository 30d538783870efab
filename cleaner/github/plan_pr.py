"""The plan pull request: at most one open at a time, on a fixed branch, carrying exactly one plan.

Its branch holds one commit on top of the default branch, made through the Git Data API with no author
given, so GitHub attributes it to the token's own account (the bot of SNAPSTART_PR_TOKEN). That
attribution is GitHub's, not a name and e-mail anyone can write into a commit: a commit is ours when
the account GitHub resolved for its author is the one that opened the PR. A PR whose commits are all
ours can be replaced by a newer scan; a PR someone pushed to is never overwritten: the newer scan is
only summarised there in a comment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from github import InputGitTreeElement
from github.Commit import Commit
from github.GitCommit import GitCommit
from github.PullRequest import PullRequest
from github.Repository import Repository
from pydantic import BaseModel, ConfigDict, Field

from cleaner.exit_codes import BadInputError
from cleaner.github.body import fit_body
from cleaner.github.client import GitHubApiError, github_call
from cleaner.plan import PLAN_JSON, PLAN_MD, Plan
from cleaner.settings import GitHubSettings

# GitHub's own committer of commits it signs for an API or web edit.
WEB_FLOW = "web-flow"
NOT_PERMITTED = "not permitted to create or approve pull requests"


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    COMMENTED = "commented"
    CLOSED = "closed"
    NOTHING = "nothing"


class PlanPullRequest(BaseModel):
    """What `open-pr` did."""

    model_config = ConfigDict(frozen=True)

    action: Action
    plan_id: str
    number: int | None = None
    url: str | None = None
    message: str
    warnings: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class PlanFiles:
    plan: Plan
    plan_json: str
    plan_md: str
    repo_dir: str  # where the plan lives in the repository: plans/<plan-id>

    @property
    def json_path(self) -> str:
        return f"{self.repo_dir}/{PLAN_JSON}"

    @property
    def md_path(self) -> str:
        return f"{self.repo_dir}/{PLAN_MD}"


def is_ours(commit: Commit, bot_login: str) -> bool:
    """A commit open-pr made: GitHub attributes its author to the bot's account, and its committer to
    the bot or to GitHub itself."""
    author, committer = commit.author, commit.committer
    return (
        author is not None
        and author.login == bot_login
        and committer is not None
        and committer.login in (bot_login, WEB_FLOW)
    )


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(plan: Plan) -> str:
    s = plan.summary
    return (
        f"**{_plural(s.delete_count, 'SnapStart version')} to delete** in"
        f" {_plural(s.functions_with_deletions, 'function')}, estimated savings"
        f" **{_usd(s.estimated_monthly_savings_usd)} / month**; {s.keep_count} kept"
    )


def title_for(plan: Plan) -> str:
    s = plan.summary
    return (
        f"SnapStart cleanup: delete {_plural(s.delete_count, 'version')}"
        f" (~{_usd(s.estimated_monthly_savings_usd)}/month), plan {plan.plan_id}"
    )


class PlanPublisher:
    """Opens, replaces, comments on or closes the plan PR of one repository."""

    def __init__(
        self, repo: Repository, settings: GitHubSettings, progress: Callable[[str], None] = lambda _: None
    ) -> None:
        self.repo = repo
        self.settings = settings
        self.progress = progress
        self.branch = settings.pr_branch
        self.warnings: list[str] = []

    def publish(self, files: PlanFiles) -> PlanPullRequest:
        with github_call(f"GET /repos/{self.repo.full_name}"):
            default_branch = self.repo.default_branch
        if self.branch == default_branch:
            raise BadInputError(f"pr_branch {self.branch!r} is the default branch: choose another branch")
        existing = self._open_plan_pr(default_branch)
        plan = files.plan
        if existing is None:
            if not plan.delete:
                return self._result(
                    Action.NOTHING, plan, None, "no versions to delete: no pull request opened"
                )
            self._push_plan(files, default_branch)
            pr = self._create_pr(files, default_branch)
            self._label_and_request_reviews(pr)
            return self._result(Action.CREATED, plan, pr, "opened the plan pull request")

        ours = self._only_our_commits(existing)
        if not plan.delete and ours:
            self._comment(existing, closing_comment(plan))
            with github_call(f"PATCH /repos/{self.repo.full_name}/pulls/{existing.number}"):
                existing.edit(state="closed")
            self._delete_branch()
            return self._result(
                Action.CLOSED, plan, existing, "closed it: the new scan found nothing to delete"
            )
        if not ours:
            self._comment(existing, people_commented(plan))
            return self._result(
                Action.COMMENTED,
                plan,
                existing,
                "commented the new scan there: it has commits by people, so it was not overwritten",
            )
        self._push_plan(files, default_branch)
        with github_call(f"PATCH /repos/{self.repo.full_name}/pulls/{existing.number}"):
            existing.edit(title=title_for(plan), body=self._body(files))
        return self._result(Action.UPDATED, plan, existing, "replaced its plan with the new scan's")

    # --- steps ---------------------------------------------------------------------------------------

    def _open_plan_pr(self, default_branch: str) -> PullRequest | None:
        owner = self.repo.owner.login
        with github_call(f"GET /repos/{self.repo.full_name}/pulls?head={owner}:{self.branch}"):
            pulls = list(
                self.repo.get_pulls(state="open", head=f"{owner}:{self.branch}", base=default_branch)
            )
        return min(pulls, key=lambda pr: pr.number) if pulls else None

    def _only_our_commits(self, pr: PullRequest) -> bool:
        with github_call(f"GET /repos/{self.repo.full_name}/pulls/{pr.number}/commits"):
            return all(is_ours(commit, pr.user.login) for commit in pr.get_commits())

    def _push_plan(self, files: PlanFiles, default_branch: str) -> str:
        """Point the plan branch at one new commit on top of the default branch that adds the plan: the
        branch then carries only this plan, whatever it carried before."""
        name = self.repo.full_name
        with github_call(f"GET /repos/{name}/git/ref/heads/{default_branch}"):
            base_sha = self.repo.get_git_ref(f"heads/{default_branch}").object.sha
        with github_call(f"GET /repos/{name}/git/commits/{base_sha}"):
            base: GitCommit = self.repo.get_git_commit(base_sha)
        with github_call(f"POST /repos/{name}/git/blobs"):
            json_blob = self.repo.create_git_blob(files.plan_json, "utf-8")
            md_blob = self.repo.create_git_blob(files.plan_md, "utf-8")
        with github_call(f"POST /repos/{name}/git/trees"):
            tree = self.repo.create_git_tree(
                [
                    InputGitTreeElement(files.json_path, "100644", "blob", sha=json_blob.sha),
                    InputGitTreeElement(files.md_path, "100644", "blob", sha=md_blob.sha),
                ],
                base_tree=base.tree,
            )
        s = files.plan.summary
        message = (
            f"Plan {files.plan.plan_id}: delete {_plural(s.delete_count, 'SnapStart version')}"
            f" (~{_usd(s.estimated_monthly_savings_usd)}/month)\n\nWritten by snapstart-cleaner scan."
        )
        with github_call(f"POST /repos/{name}/git/commits"):
            # No author or committer: GitHub attributes the commit to the token's account.
            commit = self.repo.create_git_commit(message, tree, [base])
        self.progress(f"committed {files.repo_dir} as {commit.sha[:12]} on {self.branch}")
        try:
            with github_call(f"GET /repos/{name}/git/ref/heads/{self.branch}"):
                ref = self.repo.get_git_ref(f"heads/{self.branch}")
        except GitHubApiError as error:
            if error.status != 404:
                raise
            with github_call(f"POST /repos/{name}/git/refs"):
                self.repo.create_git_ref(f"refs/heads/{self.branch}", commit.sha)
        else:
            with github_call(f"PATCH /repos/{name}/git/refs/heads/{self.branch}"):
                ref.edit(commit.sha, force=True)
        return commit.sha

    def _create_pr(self, files: PlanFiles, default_branch: str) -> PullRequest:
        call = f"POST /repos/{self.repo.full_name}/pulls"
        try:
            with github_call(call):
                return self.repo.create_pull(
                    base=default_branch, head=self.branch, title=title_for(files.plan), body=self._body(files)
                )
        except GitHubApiError as error:
            if error.status == 403 and NOT_PERMITTED in error.github_message:
                raise GitHubApiError(
                    call,
                    403,
                    f"{error.github_message} The plan is on branch {self.branch}, but the pull request could"
                    " not be opened. Either allow it: Settings > Actions > General > Workflow permissions >"
                    ' "Allow GitHub Actions to create and approve pull requests" (for an organization, the'
                    " organization's Actions settings must allow it first); or run open-pr with a GitHub App"
                    " installation token (or a fine-grained token) that may create pull requests, passed"
                    " as GITHUB_TOKEN.",
                ) from error
            raise

    def _label_and_request_reviews(self, pr: PullRequest) -> None:
        """Labels and review requests are conveniences: a failure is a warning, the PR stays open."""
        labels = self.settings.pr_labels
        if labels:
            try:
                with github_call(f"POST /repos/{self.repo.full_name}/issues/{pr.number}/labels"):
                    pr.add_to_labels(*labels)
            except GitHubApiError as error:
                self.warnings.append(f"could not label the pull request: {error.message}")
        reviewers, teams = self.settings.reviewers, self.settings.team_reviewers
        if reviewers or teams:
            try:
                with github_call(f"POST /repos/{self.repo.full_name}/pulls/{pr.number}/requested_reviewers"):
                    pr.create_review_request(reviewers=reviewers, team_reviewers=teams)
            except GitHubApiError as error:
                self.warnings.append(f"could not request reviews: {error.message}")

    def _comment(self, pr: PullRequest, body: str) -> None:
        with github_call(f"POST /repos/{self.repo.full_name}/issues/{pr.number}/comments"):
            pr.create_issue_comment(body)

    def _delete_branch(self) -> None:
        try:
            with github_call(f"DELETE /repos/{self.repo.full_name}/git/refs/heads/{self.branch}"):
                self.repo.get_git_ref(f"heads/{self.branch}").delete()
        except GitHubApiError as error:
            self.warnings.append(f"could not delete branch {self.branch}: {error.message}")

    def _body(self, files: PlanFiles) -> str:
        link = f"{self.repo.html_url}/blob/{self.branch}/{files.md_path}"
        return fit_body(files.plan_md, f"in [`{files.md_path}`]({link}) in this pull request")

    def _result(self, action: Action, plan: Plan, pr: PullRequest | None, message: str) -> PlanPullRequest:
        return PlanPullRequest(
            action=action,
            plan_id=plan.plan_id,
            number=pr.number if pr else None,
            url=pr.html_url if pr else None,
            message=message,
            warnings=self.warnings,
        )


def people_commented(plan: Plan) -> str:
    if plan.delete:
        news = f"A newer scan proposes plan `{plan.plan_id}`: {summary_line(plan)}."
    else:
        news = (
            f"A newer scan (plan `{plan.plan_id}`) found no SnapStart version to delete"
            f" ({plan.summary.keep_count} kept)."
        )
    return (
        f"{news} Scanned {plan.created_at:%Y-%m-%d %H:%M UTC}.\n\n"
        "This pull request has commits by people, so snapstart-cleaner did not overwrite it. Merge it (every"
        " version is re-verified against live AWS before deletion) or close it; the next scan then opens a"
        " fresh plan pull request."
    )


def closing_comment(plan: Plan) -> str:
    return (
        f"Closing: the newest scan (plan `{plan.plan_id}`, {plan.created_at:%Y-%m-%d %H:%M UTC}) found no"
        f" SnapStart version to delete ({plan.summary.keep_count} kept), so this plan is out of date. A new"
        " pull request opens when a scan finds candidates again."
    )


def publish_plan(
    repo: Repository,
    files: PlanFiles,
    settings: GitHubSettings,
    progress: Callable[[str], None] = lambda _: None,
) -> PlanPullRequest:
    return PlanPublisher(repo, settings, progress).publish(files)
