"""The bot's commit of re-rendered plan files on the plan pull request's branch: keep's after a `/keep`,
refresh-pr's after a person's edit of plan.json (a removal made in GitHub's web editor leaves the summary
and plan.md as they were).

Through the Git Data API with the App's token and no author, committer or signature, so GitHub
attributes the commit to the App, the bot that opened the pull request, and signs it; on top of the head
that was read, never over a push made meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from github import InputGitTreeElement
from github.Commit import Commit
from github.PullRequest import PullRequest
from github.Repository import Repository

from cleaner.github.client import GitHubApiError, github_call
from cleaner.github.description import Refused
from cleaner.github.plan_pr import signed_by_github


@dataclass(frozen=True)
class FileText:
    path: str
    text: str


class BranchMoved(Refused):
    """The branch moved between the read and the commit: nothing changed. keep asks for a retry;
    refresh leaves it to the run of the newer push."""


def moved(what: str = "`/keep`", retry: str = "the same comment") -> str:
    return f"the pull request's branch moved while {what} was working: nothing changed; retry {retry}."


def commit_plan_files(
    repo: Repository,
    pr: PullRequest,
    head_sha: str,
    first_ours: Commit,
    files: Sequence[FileText],
    message: str,
    progress: Callable[[str], None] = lambda _: None,
    workflow: str = "keep.yml",
    what: str = "`/keep`",
) -> str:
    """Commit `files` on top of `head_sha` as the bot and move the branch to it; returns its sha.
    Refused, with the branch left as it was, when the token's commits are not the bot's signed ones
    (`workflow` is named in the fix); BranchMoved when the branch moved."""
    name = repo.full_name
    elements = []
    for file in files:
        with github_call(f"POST /repos/{name}/git/blobs"):
            blob = repo.create_git_blob(file.text, "utf-8")
        elements.append(InputGitTreeElement(file.path, "100644", "blob", sha=blob.sha))
    with github_call(f"GET /repos/{name}/git/commits/{head_sha[:12]}"):
        head = repo.get_git_commit(head_sha)
    with github_call(f"POST /repos/{name}/git/trees"):
        tree = repo.create_git_tree(elements, base_tree=head.tree)
    with github_call(f"POST /repos/{name}/git/commits"):
        # No author, committer or signature: GitHub attributes the commit to the App and signs it.
        commit = repo.create_git_commit(message, tree, [head])
    # A trailer is trusted only in a commit GitHub signed for the PR's author: a token of another
    # account, or one whose commits GitHub does not sign, would record who asked in a commit the
    # two-person rule ignores.
    if not signed_by_github(commit):
        raise Refused(
            "this workflow's token makes commits GitHub does not sign (not the GitHub App's installation"
            f" token), so who asked could not be recorded; nothing changed (give {workflow} the App's"
            " token, as open-pr has)."
        )
    if commit.author.email != first_ours.commit.author.email:
        raise Refused(
            "this workflow's token is not the account that opened the plan pull request, so who asked"
            f" could not be recorded; nothing changed (give {workflow} the App's token, as open-pr has)."
        )
    branch = pr.head.ref
    try:
        with github_call(f"GET /repos/{name}/git/ref/heads/{branch}"):
            ref = repo.get_git_ref(f"heads/{branch}")
        if ref.object.sha != head_sha:
            raise BranchMoved(moved(what, "the same comment" if what == "`/keep`" else "it"))
        with github_call(f"PATCH /repos/{name}/git/refs/heads/{branch}"):
            ref.edit(commit.sha, force=False)
    except GitHubApiError as error:
        if error.status == 422:
            raise BranchMoved(moved(what, "the same comment" if what == "`/keep`" else "it")) from error
        raise
    progress(f"committed {commit.sha[:12]} on {branch}")
    return commit.sha
