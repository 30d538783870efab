"""The GitHub side of the two-person rule: facts about the merged pull request and the scan's artifact,
read through the REST API alone (never the local checkout), as plain data for
`cleaner.apply_requirements` to judge."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from urllib.parse import urlsplit

from github import GithubException
from github.Commit import Commit
from github.NamedUser import NamedUser
from github.PullRequest import PullRequest
from github.Repository import Repository

from cleaner.apply_requirements import (
    VERDICTS,
    Requirement,
    artifact_name,
    latest_verdicts,
)
from cleaner.approval_facts import (
    ArtifactFacts,
    ChangedFile,
    PlanHistory,
    PullCommit,
    PullRequestFacts,
    Review,
    ReviewerFacts,
)
from cleaner.exit_codes import AccessError
from cleaner.github.client import USER_AGENT, GitHubTarget, github_call
from cleaner.github.plan_pr import signed_by_github
from cleaner.plan import PLAN_JSON

# A plan of 100,000 versions is about 100 MB of JSON; nothing larger is a plan of ours.
MAX_PLAN_BYTES = 512 * 1024 * 1024
_DOWNLOAD_TIMEOUT_SECONDS = 120


def is_bot(user: NamedUser) -> bool:
    return user.type == "Bot" or user.login.endswith("[bot]")


def pull_commit(commit: Commit) -> PullCommit:
    """A commit of a pull request as the two-person rule sees it: the accounts GitHub resolved, the
    e-mails written into it, and whether GitHub signed it."""
    git = commit.commit
    return PullCommit(
        sha=commit.sha,
        author_login=commit.author.login if commit.author is not None else None,
        committer_login=commit.committer.login if commit.committer is not None else None,
        author_email=(git.author.email or "") if git.author else "",
        committer_email=(git.committer.email or "") if git.committer else "",
        message=git.message or "",
        verified=signed_by_github(git),
        author_is_bot=commit.author is not None and is_bot(commit.author),
        committer_is_bot=commit.committer is not None and is_bot(commit.committer),
    )


@dataclass(frozen=True)
class MergedPullRequest:
    """Rule 1's verdict, with the pull request concerned (when there is one) to report on."""

    requirement: Requirement
    pr: PullRequest | None = None


def find_merged_pull_request(repo: Repository, sha: str) -> MergedPullRequest:
    """Rule 1: `sha` is the merge commit of a pull request into the default branch."""
    name, short = repo.full_name, sha[:12]

    def refuse(message: str, pr: PullRequest | None = None) -> MergedPullRequest:
        return MergedPullRequest(Requirement("merged_pull_request", False, message), pr)

    with github_call(f"GET /repos/{name}/commits/{short}/pulls"):
        try:
            pulls = list(repo.get_commit(sha).get_pulls())
        except GithubException as error:
            if error.status not in (404, 422):
                raise
            return refuse(f"commit {short} is not in {name}")
        default_branch = repo.default_branch
    if not pulls:
        return refuse(
            f"no pull request merged into the default branch is associated with commit {short}"
            " (pushed directly, or merged into another branch?)"
        )
    merged = [pr for pr in pulls if pr.merged_at is not None]
    into_default = [pr for pr in merged if pr.base.ref == default_branch]
    exact = [pr for pr in into_default if pr.merge_commit_sha == sha]
    if exact:
        pr = exact[0]
        return MergedPullRequest(
            Requirement("merged_pull_request", True, f"commit {short} merged PR #{pr.number}"), pr
        )
    if not merged:
        return refuse(f"PR #{pulls[0].number} is not merged: only a merged plan is applied", pulls[0])
    if not into_default:
        pr = merged[0]
        return refuse(
            f"PR #{pr.number} was merged into {pr.base.ref}, not the default branch {default_branch}", pr
        )
    pr = into_default[0]
    return refuse(
        f"commit {short} is not the commit that merged PR #{pr.number} ({(pr.merge_commit_sha or '?')[:12]}):"
        " apply runs on the commit the merge produced",
        pr,
    )


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


def gather_pull_request_facts(
    repo: Repository, pr: PullRequest, merge_sha: str, plan_path: str
) -> PullRequestFacts:
    """Files, commits (with the accounts GitHub resolved), reviews, and for every reviewer whose latest
    verdict is an approval: their permission and whether they approved the plan as merged."""
    name = repo.full_name
    with github_call(f"GET /repos/{name}/pulls/{pr.number}/files"):
        files = tuple(
            ChangedFile(f.filename, f.status, getattr(f, "previous_filename", None)) for f in pr.get_files()
        )
        changed_files_count = pr.changed_files
    with github_call(f"GET /repos/{name}/pulls/{pr.number}/commits"):
        commits = tuple(pull_commit(c) for c in pr.get_commits())
        commits_count = pr.commits
    with github_call(f"GET /repos/{name}/pulls/{pr.number}/reviews"):
        reviews = tuple(
            Review(r.user.login, is_bot(r.user), r.state, r.commit_id, r.submitted_at)
            for r in pr.get_reviews()
            if r.user is not None and r.state in VERDICTS
        )
        author = pr.user.login
    blobs = _PlanBlobs(repo, plan_path)
    merged_blob = blobs.at(merge_sha)
    reviewers: dict[str, ReviewerFacts] = {}
    for login, review in latest_verdicts(reviews).items():
        if review.state != "APPROVED" or review.is_bot:
            continue
        with github_call(f"GET /repos/{name}/collaborators/{login}/permission"):
            permission = repo.get_collaborator_permission(login)
        matches = merged_blob is not None and blobs.at(review.commit_id) == merged_blob
        reviewers[login] = ReviewerFacts(permission, matches)
    return PullRequestFacts(
        number=pr.number,
        url=pr.html_url,
        author_login=author,
        files=files,
        changed_files_count=changed_files_count,
        commits=commits,
        commits_count=commits_count,
        reviews=reviews,
        reviewers=reviewers,
        author_is_bot=is_bot(pr.user),
    )


def plan_history(repo: Repository, merge_sha: str, plan_path: str) -> PlanHistory:
    """The plan file at the merge commit's first parent (the default branch before the merge), and the
    commit that last changed it there."""
    name = repo.full_name
    with github_call(f"GET /repos/{name}/commits/{merge_sha[:12]}"):
        parents = repo.get_commit(merge_sha).parents
    if not parents:
        return PlanHistory(parent_sha="", existed=False)
    parent = parents[0].sha
    existed = _PlanBlobs(repo, plan_path).at(parent) is not None
    last_change = None
    if existed:
        with github_call(f"GET /repos/{name}/commits?sha={parent[:12]}&path={plan_path}"):
            last_change = next(iter(repo.get_commits(sha=parent, path=plan_path)), None)
    return PlanHistory(parent, existed, last_change.sha if last_change is not None else None)


def on_default_branch(repo: Repository, default_branch: str, sha: str) -> bool:
    """`sha` is on the default branch: comparing it with the branch, it is identical or behind."""
    if not sha:
        return False
    with github_call(f"GET /repos/{repo.full_name}/compare/{default_branch}...{sha[:12]}"):
        try:
            status = repo.compare(default_branch, sha).status
        except GithubException as error:
            if error.status not in (404, 422):
                raise
            return False
    return status in ("identical", "behind")


def list_plan_artifacts(repo: Repository, plan_id: str, default_branch: str) -> list[ArtifactFacts]:
    """Every artifact named `plan-<plan-id>`, with the run that uploaded it and whether the run's commit
    is on the default branch."""
    name = repo.full_name
    found: list[ArtifactFacts] = []
    with github_call(f"GET /repos/{name}/actions/artifacts?name={artifact_name(plan_id)}"):
        artifacts = list(repo.get_artifacts(name=artifact_name(plan_id)))
    for artifact in artifacts:
        run_id = artifact.workflow_run.id
        with github_call(f"GET /repos/{name}/actions/runs/{run_id}"):
            run = repo.get_workflow_run(run_id)
            head_repository = run.head_repository.full_name if run.head_repository else ""
            found.append(
                ArtifactFacts(
                    id=artifact.id,
                    name=artifact.name,
                    expired=artifact.expired,
                    created_at=artifact.created_at,
                    run_id=run.id,
                    run_path=run.path,
                    run_event=run.event,
                    run_head_branch=run.head_branch or "",
                    run_head_repository=head_repository,
                    run_head_sha=run.head_sha or "",
                    run_commit_on_default_branch=on_default_branch(repo, default_branch, run.head_sha or ""),
                )
            )
    return found


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are followed by hand: urllib would carry the Authorization header to the other host."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def download_plan_text(target: GitHubTarget, repository: str, artifact: ArtifactFacts) -> str:
    """`plan.json` from the artifact's zip. GitHub answers the download with a redirect to a short-lived
    URL on its storage host: that URL is its own credential, and the token is never sent there."""
    call = f"GET /repos/{repository}/actions/artifacts/{artifact.id}/zip"
    url = f"{target.api_url}/repos/{repository}/actions/artifacts/{artifact.id}/zip"
    request = urllib.request.Request(
        url,
        headers={
            "Authorization": f"Bearer {target.token}",
            "Accept": "application/vnd.github+json",
            "User-Agent": USER_AGENT,
        },
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=_DOWNLOAD_TIMEOUT_SECONDS) as response:
            data = response.read(MAX_PLAN_BYTES + 1)  # some servers answer 200 with the zip itself
    except urllib.error.HTTPError as error:
        location = error.headers.get("Location") if error.code in (301, 302, 303, 307, 308) else None
        if location is None:
            raise AccessError(f"GitHub API {call}: {error.code} {error.reason}") from error
        data = _fetch_storage(location, call)
    except OSError as error:
        raise AccessError(f"GitHub API {call}: cannot reach GitHub: {error}") from error
    return _plan_from_zip(data, artifact)


def _fetch_storage(location: str, call: str) -> bytes:
    if urlsplit(location).scheme not in ("https", "http"):
        raise AccessError(f"GitHub API {call}: redirected to an unexpected URL scheme")
    try:
        with urllib.request.urlopen(
            urllib.request.Request(location, headers={"User-Agent": USER_AGENT}),
            timeout=_DOWNLOAD_TIMEOUT_SECONDS,
        ) as response:
            data: bytes = response.read(MAX_PLAN_BYTES + 1)
            return data
    except (urllib.error.HTTPError, OSError) as error:
        raise AccessError(f"{call}: downloading from the artifact storage failed: {error}") from error


class UnreadableArtifact(ValueError):
    """The artifact was downloaded but holds no readable plan: provenance is not established."""


def _plan_from_zip(data: bytes, artifact: ArtifactFacts) -> str:
    if len(data) > MAX_PLAN_BYTES:
        raise UnreadableArtifact(f"artifact `{artifact.name}` is larger than {MAX_PLAN_BYTES} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            member = archive.getinfo(PLAN_JSON)
            if member.file_size > MAX_PLAN_BYTES:
                raise UnreadableArtifact(f"{PLAN_JSON} in artifact `{artifact.name}` is too large")
            return archive.read(member).decode("utf-8")
    except KeyError as error:
        raise UnreadableArtifact(f"artifact `{artifact.name}` has no {PLAN_JSON} at its top level") from error
    except (zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise UnreadableArtifact(f"artifact `{artifact.name}` is not a readable zip: {error}") from error
