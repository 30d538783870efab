"""Was this plan approved? Established through the GitHub API alone, never from the local checkout.

The pushed commit must be the merge of a pull request into the default branch that changed the plan
file, and that PR must carry enough approving reviews by people with write access (not its author, not
bots), each reviewer counted by their latest approve / request-changes / dismissed review, and each
approval given on a commit whose plan file is byte-for-byte the one that was merged: an approval of an
earlier version of the plan does not count.

Why compare the reviewed plan instead of timestamps: commit dates are written by whoever makes the
commit and can be backdated, while a review's `commit_id` is recorded by GitHub. "The plan file at the
reviewed commit is the merged one" is "approved after the plan's last edit" without trusting a clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from github import GithubException
from github.NamedUser import NamedUser
from github.PullRequest import PullRequest
from github.PullRequestReview import PullRequestReview
from github.Repository import Repository
from pydantic import BaseModel, ConfigDict, Field

from cleaner.github.body import fit_body
from cleaner.github.client import github_call

# The states that change a reviewer's verdict; COMMENTED and PENDING leave it as it was.
_VERDICTS = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})
# `permission` is the legacy base role: maintain maps to write, triage to read.
_MAY_APPROVE = frozenset({"admin", "write"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Approval(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    reason: str
    pr_number: int | None = None
    approvers: list[str] = Field(default_factory=list)


def is_bot(user: NamedUser) -> bool:
    return user.type == "Bot" or user.login.endswith("[bot]")


def _refuse(reason: str, pr: PullRequest | None = None) -> Approval:
    return Approval(ok=False, reason=reason, pr_number=pr.number if pr else None)


class _PlanBlobs:
    """The blob sha of the plan file at a commit (None when it is not there), fetched once per commit."""

    def __init__(self, repo: Repository, plan_path: str) -> None:
        self.repo, self.plan_path = repo, plan_path
        self._cache: dict[str, str | None] = {}

    def at(self, ref: str) -> str | None:
        if ref not in self._cache:
            with github_call(f"GET /repos/{self.repo.full_name}/contents/{self.plan_path}?ref={ref[:12]}"):
                try:
                    content = self.repo.get_contents(self.plan_path, ref=ref)
                except GithubException as error:
                    if error.status not in (404, 422):
                        raise
                    content = None
            self._cache[ref] = None if content is None or isinstance(content, list) else content.sha
        return self._cache[ref]


def check_approval(repo: Repository, sha: str, plan_path: str, required_approvals: int) -> Approval:
    """Establish, through the API, that `plan_path` at commit `sha` arrived through a merged pull request
    approved after the plan's last edit by at least `required_approvals` people."""
    name, short = repo.full_name, sha[:12]
    with github_call(f"GET /repos/{name}/commits/{short}/pulls"):
        try:
            pulls = list(repo.get_commit(sha).get_pulls())
        except GithubException as error:
            if error.status not in (404, 422):
                raise
            return _refuse(f"commit {short} is not in {name}")
        default_branch = repo.default_branch
    if not pulls:
        return _refuse(
            f"no pull request merged into the default branch is associated with commit {short}"
            " (pushed directly, or merged into another branch?)"
        )
    merged = [pr for pr in pulls if pr.merged_at is not None]
    if not merged:
        pr = pulls[0]
        return _refuse(f"PR #{pr.number} is not merged: only a merged plan is applied", pr)
    into_default = [pr for pr in merged if pr.base.ref == default_branch]
    if not into_default:
        pr = merged[0]
        return _refuse(
            f"PR #{pr.number} was merged into {pr.base.ref}, not the default branch {default_branch}", pr
        )
    exact = [pr for pr in into_default if pr.merge_commit_sha == sha]
    if not exact:
        pr = into_default[0]
        return _refuse(
            f"commit {short} is not the commit that merged PR #{pr.number}"
            f" ({(pr.merge_commit_sha or '?')[:12]}): apply runs on the commit the merge produced",
            pr,
        )
    pr = exact[0]
    with github_call(f"GET /repos/{name}/pulls/{pr.number}/files"):
        changed = {f.filename: f for f in pr.get_files()}
    plan_file = changed.get(plan_path)
    if plan_file is None or plan_file.status == "removed":
        return _refuse(f"PR #{pr.number} did not add or change {plan_path}", pr)
    blobs = _PlanBlobs(repo, plan_path)
    merged_blob = blobs.at(sha)
    if merged_blob is None or merged_blob != plan_file.sha:
        return _refuse(f"{plan_path} at commit {short} is not the version reviewed in PR #{pr.number}", pr)
    return _count_approvals(repo, pr, blobs, merged_blob, plan_path, required_approvals)


def _count_approvals(
    repo: Repository,
    pr: PullRequest,
    blobs: _PlanBlobs,
    merged_blob: str,
    plan_path: str,
    required: int,
) -> Approval:
    with github_call(f"GET /repos/{repo.full_name}/pulls/{pr.number}/reviews"):
        reviews = list(pr.get_reviews())
        author = pr.user.login
    latest: dict[str, PullRequestReview] = {}
    for review in sorted(reviews, key=lambda r: r.submitted_at or _EPOCH):  # stable: API order breaks ties
        if review.user is not None and review.state in _VERDICTS:
            latest[review.user.login] = review
    approvers: list[str] = []
    not_counted: list[str] = []
    for login, review in latest.items():
        if review.state != "APPROVED":
            not_counted.append(f"{login}'s latest review is {review.state.lower().replace('_', ' ')}")
        elif is_bot(review.user):
            not_counted.append(f"{login} is a bot")
        elif login == author:
            not_counted.append(f"{login} opened the pull request")
        elif blobs.at(review.commit_id) != merged_blob:
            not_counted.append(f"{login} approved an earlier version of {plan_path}")
        else:
            with github_call(f"GET /repos/{repo.full_name}/collaborators/{login}/permission"):
                permission = repo.get_collaborator_permission(login)
            if permission in _MAY_APPROVE:
                approvers.append(login)
            else:
                not_counted.append(f"{login} has {permission} access, not write")
    if len(approvers) >= required:
        merged_at = f"{pr.merged_at:%Y-%m-%d %H:%M UTC}" if pr.merged_at else "?"
        return Approval(
            ok=True,
            reason=(
                f"PR #{pr.number} ({pr.html_url}), merged {merged_at}, approved by {', '.join(approvers)}"
                f" after the last change to {plan_path}"
            ),
            pr_number=pr.number,
            approvers=approvers,
        )
    detail = f" (not counted: {'; '.join(not_counted)})" if not_counted else ""
    return Approval(
        ok=False,
        reason=(
            f"PR #{pr.number} has {len(approvers)} of {required} required approving reviews given after the"
            f" last change to {plan_path}{detail}"
        ),
        pr_number=pr.number,
        approvers=approvers,
    )


def comment_on_pr(repo: Repository, number: int, body: str) -> str:
    """Post `body` (cut to GitHub's limit) as a comment on PR `number`; returns the comment's URL."""
    with github_call(f"POST /repos/{repo.full_name}/issues/{number}/comments"):
        pr = repo.get_pull(number)
        comment = pr.create_issue_comment(fit_body(body, "in the apply run's job summary"))
        return comment.html_url
