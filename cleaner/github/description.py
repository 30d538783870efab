"""The plan pull request's title and description, rebuilt from the plans on its branch.

open-pr writes the description from the plans it commits (`PlanSet.description`). After that the
branch is what counts, and two commands rebuild the description from it: keep after its commit, and
refresh-pr after a person's push (plan-check runs it). Both read the same things through the API, here:
the plans the pull request changes, at its head and as the bot's first commit added them (the scan's
proposal, against which "Dropped in review" is listed), and what that commit's trailers name: the
accounts the scan could not scan and the plans open-pr summarised without committing them (nothing to
delete); and both render them with open-pr's `PlanSet`, so every description of a plan pull request is
built by one function.

The description is feedback for reviewers, never the safeguard: apply reads plan.json.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from github import GithubException
from github.Commit import Commit
from github.PullRequest import PullRequest
from github.Repository import Repository

from cleaner.apply_requirements import MAX_LISTED_FILES, PLAN_FILE, WEB_FLOW, requested_by
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.github.client import github_call
from cleaner.github.plan_pr import is_ours
from cleaner.github.plan_set import PlanFiles, PlanSet
from cleaner.github.trailers import (
    SCANNED_ACCOUNT_TRAILER,
    FailedAccount,
    ScannedAccount,
    failed_accounts_in,
    scanned_accounts_in,
)
from cleaner.plan import PLAN_JSON, Plan, parse_plan, plan_json_text
from cleaner.render import DroppedBy, render_plan_markdown
from cleaner.settings import Settings
from cleaner.validate import check_removals_only


class Refused(Exception):
    """A pull request a command will not act on: the reply says why; nothing is changed."""

    def __init__(self, reply: str, exit_code: ExitCode = ExitCode.FAILURES) -> None:
        super().__init__(reply)
        self.reply = reply
        self.exit_code = exit_code


@dataclass(frozen=True)
class PlanOnBranch:
    path: str  # plans/<plan-id>/plan.json
    current: Plan  # at the pull request's head
    scanned: Plan  # as the bot's first commit added it

    @property
    def repo_dir(self) -> str:
        return self.path.rsplit("/", 1)[0]


@dataclass(frozen=True)
class BranchPlans:
    """What a plan pull request carries at one commit of its branch."""

    head_sha: str
    plans: Sequence[PlanOnBranch]
    first_ours: Commit  # the bot's first commit: the scan's plans and the accounts it could not scan
    failed: Sequence[FailedAccount]
    scanned: Sequence[ScannedAccount] = ()  # the plans open-pr summarised without committing them
    # By plan path: who dropped each version review dropped, as the pull request's commits say.
    dropped_by: Mapping[str, DroppedBy] = field(default_factory=dict)

    @property
    def dropped_count(self) -> int:
        """How many versions review dropped from the scan's plans."""
        total = 0
        for plan in self.plans:
            remaining = {entry.key for entry in plan.current.delete}
            total += sum(entry.key not in remaining for entry in plan.scanned.delete)
        return total

    def plan_set(
        self,
        settings: Settings,
        edited: Mapping[str, Plan] | None = None,
        *,
        dropped_by: Mapping[str, DroppedBy] | None = None,
        dry_run: bool | None = None,
    ) -> PlanSet:
        """The plans as a `PlanSet`, each page re-rendered with what review dropped from the scan's
        plan and by whom, its summary derived from its entries (whatever a person wrote in it);
        `edited` replaces plans (by path) with versions not committed yet (keep's), `dropped_by` adds
        who dropped those; `dry_run`: what merging does, for the description."""
        files = []
        for plan in self.plans:
            current = (edited or {}).get(plan.path, plan.current).with_derived_summary()
            who = {**self.dropped_by.get(plan.path, {}), **(dropped_by or {}).get(plan.path, {})}
            files.append(
                PlanFiles(
                    plan=current,
                    plan_json=plan_json_text(current),
                    plan_md=render_plan_markdown(current, plan.scanned, dropped_by=who),
                    repo_dir=plan.repo_dir,
                    original=plan.scanned,
                    dropped_by=who,
                )
            )
        names = {account.id: account.name for account in settings.accounts if account.name}
        return PlanSet(files, self.failed, names, self.scanned, dry_run=dry_run)


def is_plan_pull_request(repo: Repository, pr: PullRequest, settings: Settings) -> bool:
    """The pull request comes from the plan branch of this repository (not a fork's branch of that name)."""
    branch = settings.github.pr_branch
    owner = repo.full_name.split("/", 1)[0]
    return pr.head.ref == branch and pr.head.label == f"{owner}:{branch}"


def read_branch_plans(
    repo: Repository, pr: PullRequest, head_sha: str, progress: Callable[[str], None] = lambda _: None
) -> BranchPlans:
    """The plans the pull request carries, at `head_sha` and as the bot's first commit added them; Refused
    unless each is a removals-only subset of the latter (a page saying "dropped in review" of anything
    else would say something false)."""
    name = repo.full_name
    with github_call(f"GET /repos/{name}/pulls/{pr.number}/files"):
        paths = sorted(
            f.filename
            for f in pr.get_files()
            if f.status != "removed" and PLAN_FILE.match(f.filename) and f.filename.endswith(PLAN_JSON)
        )
    if not paths:
        raise Refused(f"pull request #{pr.number} changes no `plans/PLAN_ID/{PLAN_JSON}`; nothing changed.")
    with github_call(f"GET /repos/{name}/pulls/{pr.number}/commits"):
        commits = list(pr.get_commits())
    first_ours: Commit | None = next((c for c in commits if is_ours(c, pr.user.login)), None)
    if first_ours is None:
        raise Refused("this pull request has no commit by the bot that opened it; nothing changed.")
    found: list[PlanOnBranch] = []
    for path in paths:
        current = parse_plan(_read(repo, path, head_sha), f"{path} at {head_sha[:12]}")
        scanned_text = _read_if_there(repo, path, first_ours.sha)
        if scanned_text is None:
            raise Refused(
                f"`{path}` was not added by the bot's first commit ({first_ours.sha[:12]}): its scanned"
                " version is unknown, so what review dropped cannot be shown. Nothing changed."
            )
        scanned = parse_plan(scanned_text, f"{path} at {first_ours.sha[:12]}")
        if not check_removals_only(current, scanned).ok:
            raise Refused(
                f"`{path}` at {head_sha[:12]} is not a removals-only subset of the plan the scan proposed"
                f" ({first_ours.sha[:12]}). Nothing changed."
            )
        found.append(PlanOnBranch(path, current, scanned))
    message = first_ours.commit.message
    failed = failed_accounts_in(message, progress)
    later = commits[[c.sha for c in commits].index(first_ours.sha) + 1 :]
    dropped_by = _dropped_by(repo, first_ours, later, found, pr.user.login)
    return BranchPlans(head_sha, found, first_ours, failed, _summarised(message, found, progress), dropped_by)


def _editor(commit: Commit, bot: str) -> str | None:
    """Who made a commit's edit: for the bot's commit, who asked for it (`Requested-by:`; none for the
    bot's re-rendering, which drops nothing); otherwise the account GitHub attributes it to."""
    if is_ours(commit, bot):
        asked = requested_by(commit.commit.message)
        return asked[0] if asked else None
    for user in (commit.author, commit.committer):
        if user is not None and user.login != WEB_FLOW:
            return str(user.login)
    return None


def _changed_paths(repo: Repository, commit: Commit, previous: str) -> set[str] | None:
    """The paths `commit` changed against `previous`, when that is its only parent (GitHub lists a
    commit's files against its first parent); None, meaning read everything, for a merge or a commit
    whose parent is not the one before it in the pull request's list."""
    parents = [parent.sha for parent in commit.parents]
    if parents != [previous]:
        return None
    with github_call(f"GET /repos/{repo.full_name}/commits/{commit.sha[:12]}"):
        changed = {file.filename for file in repo.get_commit(commit.sha).files}
    # GitHub lists at most 3,000 of a commit's files: past that the list may be short.
    return changed if len(changed) < MAX_LISTED_FILES else None


def _dropped_by(
    repo: Repository,
    first_ours: Commit,
    commits: Sequence[Commit],
    plans: Sequence[PlanOnBranch],
    bot: str,
) -> dict[str, DroppedBy]:
    """By plan path, who dropped each version review dropped: the editor of the commit after which it
    is no longer in `delete`, reading each plan at each commit after the bot's first (`first_ours`)
    that changed it. Feedback for the page, never a safeguard (apply's two-person rule counts every
    commit's author and committer)."""
    found: dict[str, dict[tuple[str, str, int], str]] = {plan.path: {} for plan in plans}
    before = {plan.path: {entry.key for entry in plan.scanned.delete} for plan in plans}
    previous = first_ours.sha
    for commit in commits:
        editor = _editor(commit, bot)
        # One request either way for a single plan: read it. For several, one listing spares the rest.
        changed = _changed_paths(repo, commit, previous) if len(plans) > 1 else None
        previous = commit.sha
        for plan in plans:
            if changed is not None and plan.path not in changed:
                continue  # as at the previous commit
            text = _read_if_there(repo, plan.path, commit.sha)
            try:
                at = parse_plan(text, f"{plan.path} at {commit.sha[:12]}") if text is not None else None
            except BadInputError:
                continue  # a broken intermediate commit: the next one says what changed
            keys = set() if at is None else {entry.key for entry in at.delete}
            for key in keys - before[plan.path]:  # back in `delete`: whoever dropped it did not keep it
                found[plan.path].pop(key, None)
            for key in before[plan.path] - keys:
                if editor is not None:
                    found[plan.path][key] = editor
            before[plan.path] = keys
    return dict(found)


def _summarised(
    message: str, plans: Sequence[PlanOnBranch], progress: Callable[[str], None]
) -> list[ScannedAccount]:
    """The plans the first commit's `Scanned-account:` trailers name, but for those it carries: a
    plan.json on the branch says more than a trailer (which anyone who can push could have forged)."""
    committed = {plan.current.plan_id for plan in plans}
    kept: list[ScannedAccount] = []
    for account in scanned_accounts_in(message, progress):
        if account.plan_id in committed:
            progress(
                f"ignored the {SCANNED_ACCOUNT_TRAILER} trailer of plan {account.plan_id}: its plan.json is"
                " on the branch"
            )
        else:
            kept.append(account)
    return kept


def description(repo: Repository, pr: PullRequest, plans: PlanSet) -> tuple[str, str]:
    """The pull request's title and body for `plans`, its review pages linked on its branch."""
    return plans.description(f"{repo.html_url}/blob/{pr.head.ref}")


def read_text_at(repo: Repository, path: str, ref: str) -> str | None:
    """A file's text at `ref` through the API, None when it is not there."""
    return _read_if_there(repo, path, ref)


def _read(repo: Repository, path: str, ref: str) -> str:
    text = _read_if_there(repo, path, ref, missing_ok=False)
    assert text is not None  # missing_ok=False raises instead
    return text


def _read_if_there(repo: Repository, path: str, ref: str, missing_ok: bool = True) -> str | None:
    name = repo.full_name
    with github_call(f"GET /repos/{name}/contents/{path}?ref={ref[:12]}"):
        try:
            content = repo.get_contents(path, ref=ref)
        except GithubException as error:
            if missing_ok and error.status == 404:
                return None
            raise
    if isinstance(content, list):
        raise Refused(f"`{path}` is a folder at {ref[:12]}; nothing changed.")
    if content.encoding == "none" or (content.size and not content.content):
        # The contents API leaves files over 1 MB out; the blob API returns them (up to 100 MB).
        with github_call(f"GET /repos/{name}/git/blobs/{content.sha}"):
            blob = repo.get_git_blob(content.sha)
        return base64.b64decode(blob.content).decode("utf-8")
    return content.decoded_content.decode("utf-8")
