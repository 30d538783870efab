"""The plan pull request: at most one open at a time, on a fixed branch, carrying the plans of one scan
run (one plan; or one per account of an organisation, see `cleaner.github.plan_set`).

Its branch holds one commit on top of the default branch, made through the Git Data API with the
GitHub App's installation token and no author, committer or signature given, so GitHub attributes it
to the App and signs it ("Signature verification for bots"). A name and e-mail are what anyone can
write into a commit, the App's own no-reply address included; GitHub's signature is not: a commit is
ours when GitHub signed it and attributes it to the account that opened the PR. A PR whose commits are
all ours can be replaced by a newer scan; a PR someone pushed to is never overwritten: the newer scan is
only summarised there in a comment. A token whose commits GitHub does not sign (a personal token) is
refused before the branch moves: its plan could never be approved.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from github import InputGitTreeElement
from github.Commit import Commit
from github.GitCommit import GitCommit
from github.PullRequest import PullRequest
from github.Repository import Repository
from pydantic import BaseModel, ConfigDict, Field

from cleaner.exit_codes import AccessError, BadInputError
from cleaner.github.client import GitHubApiError, github_call
from cleaner.github.plan_set import PlanFiles, PlanSet
from cleaner.github.trailers import FailedAccount
from cleaner.settings import GitHubSettings

__all__ = ["Action", "FailedAccount", "PlanFiles", "PlanPullRequest", "PlanSet", "publish_plan"]

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
    plan_id: str  # the plan ids, comma-separated for several
    plan_ids: list[str] = Field(default_factory=list)
    failed_accounts: list[str] = Field(default_factory=list)
    number: int | None = None
    url: str | None = None
    message: str
    warnings: list[str] = Field(default_factory=list)


def signed_by_github(commit: GitCommit) -> bool:
    """GitHub reports the commit's signature verified: for an App's commit, GitHub signed it itself."""
    verification = commit.verification
    return verification is not None and verification.verified is True and verification.reason == "valid"


def is_ours(commit: Commit, bot_login: str) -> bool:
    """A commit the bot made: GitHub signed it, attributes its author to the bot's account, and its
    committer to the bot or to GitHub itself."""
    author, committer = commit.author, commit.committer
    return (
        signed_by_github(commit.commit)
        and author is not None
        and author.login == bot_login
        and committer is not None
        and committer.login in (bot_login, WEB_FLOW)
    )


class UnsignedCommit(AccessError):
    """The token's commits are not signed by GitHub: not the GitHub App's installation token."""

    def __init__(self, sha: str) -> None:
        super().__init__(
            f"commit {sha[:12]} made with GITHUB_TOKEN is not signed by GitHub: the token is not the"
            " snapstart-cleaner GitHub App's installation token (a personal token's commits cannot be told"
            " from a writer's, so apply would refuse every plan they carry). Give the job the App's token"
            " (actions/create-github-app-token; README, set-up); nothing was changed."
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

    def publish(self, files: PlanFiles | PlanSet) -> PlanPullRequest:
        """Open, replace, comment on or close the plan PR for one plan or for the plans of one run."""
        plans = files if isinstance(files, PlanSet) else PlanSet([files])
        with github_call(f"GET /repos/{self.repo.full_name}"):
            default_branch = self.repo.default_branch
        if self.branch == default_branch:
            raise BadInputError(f"pr_branch {self.branch!r} is the default branch: choose another branch")
        existing = self._open_plan_pr(default_branch)
        if existing is None:
            if not plans.delete_count:
                return self._result(
                    Action.NOTHING, plans, None, "no versions to delete: no pull request opened"
                )
            self._push_plans(plans, default_branch)
            pr = self._create_pr(plans, default_branch)
            self._label_and_request_reviews(pr)
            return self._result(Action.CREATED, plans, pr, "opened the plan pull request")

        ours = self._only_our_commits(existing)
        if not plans.delete_count and ours and plans.failed:
            # An account that could not be scanned may still need what this PR proposes for it.
            self._comment(existing, plans.failed_and_nothing_to_delete())
            return self._result(
                Action.COMMENTED,
                plans,
                existing,
                "commented there: nothing to delete in the scanned accounts, but some accounts failed",
            )
        if not plans.delete_count and ours:
            self._comment(existing, plans.closing_comment())
            with github_call(f"PATCH /repos/{self.repo.full_name}/pulls/{existing.number}"):
                existing.edit(state="closed")
            self._delete_branch()
            return self._result(
                Action.CLOSED, plans, existing, "closed it: the new scan found nothing to delete"
            )
        if not ours:
            self._comment(existing, plans.people_commented())
            return self._result(
                Action.COMMENTED,
                plans,
                existing,
                "commented the new scan there: it has commits by people, so it was not overwritten",
            )
        self._push_plans(plans, default_branch)
        title, body = plans.description(self._blob_url())
        with github_call(f"PATCH /repos/{self.repo.full_name}/pulls/{existing.number}"):
            existing.edit(title=title, body=body)
        return self._result(Action.UPDATED, plans, existing, "replaced its plan with the new scan's")

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

    def _push_plans(self, plans: PlanSet, default_branch: str) -> str:
        """Point the plan branch at one new commit on top of the default branch that adds the plans: the
        branch then carries only these plans, whatever it carried before."""
        name = self.repo.full_name
        with github_call(f"GET /repos/{name}/git/ref/heads/{default_branch}"):
            base_sha = self.repo.get_git_ref(f"heads/{default_branch}").object.sha
        with github_call(f"GET /repos/{name}/git/commits/{base_sha}"):
            base: GitCommit = self.repo.get_git_commit(base_sha)
        elements = []
        for files in plans.to_commit:
            with github_call(f"POST /repos/{name}/git/blobs"):
                json_blob = self.repo.create_git_blob(files.plan_json, "utf-8")
                md_blob = self.repo.create_git_blob(files.plan_md, "utf-8")
            elements += [
                InputGitTreeElement(files.json_path, "100644", "blob", sha=json_blob.sha),
                InputGitTreeElement(files.md_path, "100644", "blob", sha=md_blob.sha),
            ]
        with github_call(f"POST /repos/{name}/git/trees"):
            tree = self.repo.create_git_tree(elements, base_tree=base.tree)
        with github_call(f"POST /repos/{name}/git/commits"):
            # No author, committer or signature: GitHub attributes the commit to the App and signs it.
            commit = self.repo.create_git_commit(plans.commit_message(), tree, [base])
        if not signed_by_github(commit):
            raise UnsignedCommit(commit.sha)
        folders = ", ".join(files.repo_dir for files in plans.to_commit)
        self.progress(f"committed {folders} as {commit.sha[:12]} on {self.branch}")
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

    def _create_pr(self, plans: PlanSet, default_branch: str) -> PullRequest:
        call = f"POST /repos/{self.repo.full_name}/pulls"
        title, body = plans.description(self._blob_url())
        try:
            with github_call(call):
                return self.repo.create_pull(base=default_branch, head=self.branch, title=title, body=body)
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

    def _blob_url(self) -> str:
        return f"{self.repo.html_url}/blob/{self.branch}"

    def _result(
        self, action: Action, plans: PlanSet, pr: PullRequest | None, message: str
    ) -> PlanPullRequest:
        return PlanPullRequest(
            action=action,
            plan_id=", ".join(plans.plan_ids),
            plan_ids=plans.plan_ids,
            failed_accounts=[f.account_id for f in plans.failed],
            number=pr.number if pr else None,
            url=pr.html_url if pr else None,
            message=message,
            warnings=self.warnings,
        )


def publish_plan(
    repo: Repository,
    files: PlanFiles | PlanSet,
    settings: GitHubSettings,
    progress: Callable[[str], None] = lambda _: None,
) -> PlanPullRequest:
    return PlanPublisher(repo, settings, progress).publish(files)
