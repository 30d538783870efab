"""The two-person rule: what must hold before `apply --require-approval` deletes anything (pure).

No single person can get a version deleted. Each rule of the security model is one small function over
plain facts that `cleaner.github.pull_request_facts` gathers through the GitHub API (never from the
local checkout); each returns a `Requirement` with its own message, and every rule is evaluated so a
refusal names everything that is wrong. Like Atlantis's apply requirements, they are evaluated together
and apply proceeds only when all pass:

1. `merged_pull_request`: the pushed commit is the merge commit of a PR into the default branch;
2. `only_plan_files`: the PR changed nothing but `plans/<plan-id>/plan.json` and `plan.md`, one level
   deep (code, workflows and settings never ride on a plan approval), and it changed this plan;
3. `provenance`: the merged plan is a removals-only subset of the plan a scan workflow run on the
   default branch uploaded as artifact `plan-<plan-id>`;
4. `attributable_commits` and `approvals`: every commit of the PR belongs to a GitHub account, and
   enough people approved the plan as merged who are not bots, not the PR's author and not the author
   or committer of any of its commits, and have write access.

Freshness and the deletion cap (`plan_max_age_days`, `max_deletions_per_apply`) are checked by the
apply command itself, from the repository's settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cleaner.plan import PLAN_JSON, PLAN_MD, Plan
from cleaner.validate import check_removals_only

# One level under plans/, a plan id as `scan --plan-id` accepts it, and only the two plan files.
PLAN_FILE = re.compile(r"^plans/[A-Za-z0-9][A-Za-z0-9._-]{0,99}/(plan\.json|plan\.md)$")
SCAN_WORKFLOW_PATH = ".github/workflows/scan.yml"
# The events that run the scan workflow's own definition from the default branch. A `pull_request` or
# `push` run would use a branch's copy of scan.yml, which anyone with write access can change.
SCAN_EVENTS = frozenset({"schedule", "workflow_dispatch"})
# GitHub's own committer of merges and web edits: not a person, never a reason to refuse.
WEB_FLOW = "web-flow"
# GitHub lists at most 250 commits and 3,000 files of a pull request.
MAX_LISTED_COMMITS = 250
MAX_LISTED_FILES = 3000

# The states that change a reviewer's verdict; COMMENTED and PENDING leave it as it was.
VERDICTS = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})
# `permission` is the legacy base role: maintain maps to write, triage to read.
MAY_APPROVE = frozenset({"admin", "write"})


@dataclass(frozen=True)
class Requirement:
    name: str
    ok: bool
    message: str


def _passed(name: str, message: str) -> Requirement:
    return Requirement(name, True, message)


def _failed(name: str, message: str) -> Requirement:
    return Requirement(name, False, message)


# --- facts (gathered through the GitHub API) -------------------------------------------------------------


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added, modified, removed, renamed, ...
    previous_path: str | None = None


@dataclass(frozen=True)
class PullCommit:
    sha: str
    # The accounts GitHub resolved from the commit's e-mails; None when the e-mail belongs to nobody.
    author_login: str | None
    committer_login: str | None
    author_email: str = ""
    committer_email: str = ""
    message: str = ""


@dataclass(frozen=True)
class Review:
    login: str
    is_bot: bool
    state: str
    commit_id: str
    submitted_at: datetime | None


@dataclass(frozen=True)
class ReviewerFacts:
    """What the API says about one reviewer whose latest verdict is an approval."""

    permission: str
    # The plan file at the reviewed commit is byte-for-byte the merged one.
    approved_the_merged_plan: bool


@dataclass(frozen=True)
class PullRequestFacts:
    number: int
    url: str
    author_login: str
    files: tuple[ChangedFile, ...]
    changed_files_count: int  # what GitHub says the PR changed; the listing stops at 3,000
    commits: tuple[PullCommit, ...]
    commits_count: int  # the listing stops at 250
    reviews: tuple[Review, ...]
    reviewers: dict[str, ReviewerFacts] = field(default_factory=dict)


@dataclass(frozen=True)
class ArtifactFacts:
    id: int
    name: str
    expired: bool
    created_at: datetime | None
    run_id: int
    run_path: str
    run_event: str
    run_head_branch: str
    run_head_repository: str  # OWNER/NAME of the code the run ran: a fork's name for a fork's PR


# --- 2. only plan files ----------------------------------------------------------------------------------


def only_plan_files(facts: PullRequestFacts, plan_path: str) -> Requirement:
    name = "only_plan_files"
    if len(facts.files) < facts.changed_files_count:
        return _failed(
            name,
            f"PR #{facts.number} changed {facts.changed_files_count} files and GitHub lists only"
            f" {len(facts.files)}: what it changed cannot be established",
        )
    outside = sorted(
        {
            path
            for changed in facts.files
            for path in (changed.path, changed.previous_path)
            if path is not None and not PLAN_FILE.match(path)
        }
    )
    if outside:
        shown = ", ".join(f"`{path}`" for path in outside[:10]) + (" ..." if len(outside) > 10 else "")
        return _failed(
            name,
            f"PR #{facts.number} changed {len(outside)} file(s) outside the plan folders ({shown}):"
            f" a plan approval covers only `plans/<plan-id>/{PLAN_JSON}` and `{PLAN_MD}`; code,"
            " workflows and settings go through their own reviewed PR",
        )
    this_plan = [f for f in facts.files if f.path == plan_path and f.status != "removed"]
    if not this_plan:
        return _failed(name, f"PR #{facts.number} did not add or change `{plan_path}`")
    return _passed(name, f"PR #{facts.number} changed only plan files")


# --- 3. provenance -------------------------------------------------------------------------------------


def artifact_name(plan_id: str) -> str:
    return f"plan-{plan_id}"


def _disqualification(artifact: ArtifactFacts, default_branch: str, repository: str) -> str | None:
    if artifact.run_path != SCAN_WORKFLOW_PATH:
        return f"uploaded by {artifact.run_path or 'an unknown workflow'}, not {SCAN_WORKFLOW_PATH}"
    if artifact.run_head_repository != repository:
        return f"uploaded by a run of {artifact.run_head_repository}'s code, not {repository}'s"
    if artifact.run_head_branch != default_branch:
        return f"uploaded by a scan run on branch {artifact.run_head_branch!r}, not {default_branch!r}"
    if artifact.run_event not in SCAN_EVENTS:
        return f"uploaded by a scan run triggered by {artifact.run_event}, not schedule or workflow_dispatch"
    return None


def select_scan_artifact(
    plan_id: str, artifacts: Sequence[ArtifactFacts], default_branch: str, repository: str
) -> ArtifactFacts | Requirement:
    """The one artifact `plan-<plan-id>` a scan workflow run on the default branch uploaded, or why
    there is none to trust (missing, only from elsewhere, expired, or ambiguous)."""
    name = artifact_name(plan_id)
    named = [a for a in artifacts if a.name == name]
    if not named:
        return _failed(
            "provenance",
            f"no artifact `{name}` exists: the plan was not produced by the scan workflow (or its"
            " artifact was deleted)",
        )
    rejected: list[str] = []
    trusted: list[ArtifactFacts] = []
    for artifact in named:
        why = _disqualification(artifact, default_branch, repository)
        if why is None:
            trusted.append(artifact)
        else:
            rejected.append(f"artifact {artifact.id} (run {artifact.run_id}) {why}")
    if not trusted:
        return _failed(
            "provenance",
            f"no scan run on the default branch produced `{name}`: {'; '.join(rejected)}",
        )
    live = [a for a in trusted if not a.expired]
    if not live:
        return _failed(
            "provenance",
            f"artifact `{name}` of scan run {trusted[0].run_id} has expired: the scanner's plan can no"
            " longer be compared; run a new scan",
        )
    if len(live) > 1:
        runs = ", ".join(str(a.run_id) for a in live)
        return _failed(
            "provenance",
            f"{len(live)} scan runs ({runs}) uploaded an artifact `{name}`: which plan was proposed is"
            " ambiguous; run a new scan",
        )
    return live[0]


def removals_only_of_scanned(merged: Plan, scanned: Plan, artifact: ArtifactFacts) -> Requirement:
    """The merged plan may differ from the scanner's only by entries removed from `delete`."""
    report = check_removals_only(merged, scanned)
    origin = f"artifact `{artifact.name}` of scan run {artifact.run_id}"
    if not report.ok:
        problems = "; ".join(finding.message for finding in report.findings[:10])
        more = f" (and {len(report.findings) - 10} more)" if len(report.findings) > 10 else ""
        return _failed(
            "provenance",
            f"the merged plan is not a removals-only subset of the scanner's plan in {origin}:"
            f" {problems}{more}",
        )
    dropped = f", {len(report.dropped)} dropped in review" if report.dropped else ""
    return _passed("provenance", f"a removals-only subset of {origin}{dropped}")


# A trailer the `keep` command writes into its commits: the account that asked for the edit.
REQUESTED_BY = re.compile(r"Requested-by: (?P<login>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?)")


# --- 4. who took part, who approved ------------------------------------------------------------------------


def requested_by(message: str) -> list[str]:
    """The logins named in `Requested-by:` trailers (the last paragraph of a commit message)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if not paragraphs:
        return []
    return [m["login"] for line in paragraphs[-1].splitlines() if (m := REQUESTED_BY.fullmatch(line.strip()))]


def participants(facts: PullRequestFacts) -> set[str]:
    """Everyone who wrote the change: the PR's author, every commit's author and committer, and whoever
    asked the bot for an edit (`keep`): a `Requested-by:` trailer counts only in a commit GitHub
    attributes to the PR's author, because anyone can write a trailer and only the bot's commits are
    trusted to say who asked."""
    people = {facts.author_login}
    for commit in facts.commits:
        people |= {login for login in (commit.author_login, commit.committer_login) if login}
        if commit.author_login == facts.author_login:
            people |= set(requested_by(commit.message))
    people.discard(WEB_FLOW)
    return people


def attributable_commits(facts: PullRequestFacts) -> Requirement:
    name = "attributable_commits"
    if len(facts.commits) < facts.commits_count:
        return _failed(
            name,
            f"PR #{facts.number} has {facts.commits_count} commits and GitHub lists only"
            f" {len(facts.commits)}: their authors cannot all be established",
        )
    anonymous = [
        f"{commit.sha[:12]} ({role} {email or 'without e-mail'})"
        for commit in facts.commits
        for role, login, email in (
            ("author", commit.author_login, commit.author_email),
            ("committer", commit.committer_login, commit.committer_email),
        )
        if login is None
    ]
    if anonymous:
        return _failed(
            name,
            f"PR #{facts.number} has commits not attributable to a GitHub account: {', '.join(anonymous)};"
            " whoever wrote them could approve their own change, so the PR cannot be approved",
        )
    return _passed(name, f"every commit of PR #{facts.number} belongs to a GitHub account")


def latest_verdicts(reviews: Iterable[Review]) -> dict[str, Review]:
    """Each reviewer's latest approve / request-changes / dismissed review."""
    latest: dict[str, Review] = {}
    ordered = sorted(reviews, key=lambda r: (r.submitted_at is not None, r.submitted_at or datetime.min))
    for review in ordered:  # sorted() is stable: the API's order breaks ties
        if review.state in VERDICTS:
            latest[review.login] = review
    return latest


def approvals(
    facts: PullRequestFacts, plan_path: str, required: int, bot_logins: Iterable[str]
) -> tuple[Requirement, list[str]]:
    """Count the approvals that make a second person; returns the requirement and who counted."""
    bots = {login.lower() for login in bot_logins}
    wrote = {login.lower() for login in participants(facts)}
    counted: list[str] = []
    not_counted: list[str] = []
    for login, review in latest_verdicts(facts.reviews).items():
        reviewer = facts.reviewers.get(login)
        if review.state != "APPROVED":
            not_counted.append(f"{login}'s latest review is {review.state.lower().replace('_', ' ')}")
        elif review.is_bot or login.lower() in bots or login.lower().endswith("[bot]"):
            not_counted.append(f"{login} is a bot")
        elif login == facts.author_login:
            not_counted.append(f"{login} opened the pull request")
        elif login.lower() in wrote:
            not_counted.append(
                f"{login} authored or committed a commit of the pull request, or asked the bot for one"
            )
        elif reviewer is None or not reviewer.approved_the_merged_plan:
            not_counted.append(f"{login} approved an earlier version of `{plan_path}`")
        elif reviewer.permission not in MAY_APPROVE:
            not_counted.append(f"{login} has {reviewer.permission} access, not write")
        else:
            counted.append(login)
    if len(counted) >= required:
        return _passed("approvals", f"approved by {', '.join(counted)} after the last change"), counted
    detail = f" (not counted: {'; '.join(not_counted)})" if not_counted else ""
    return (
        _failed(
            "approvals",
            f"PR #{facts.number} has {len(counted)} of {required} required approving reviews given after"
            f" the last change to `{plan_path}` by someone who did not write it{detail}",
        ),
        counted,
    )
