"""The two-person rule: what must hold before `apply --require-approval` deletes anything (pure).

No single person can get a version deleted. Each rule of the security model is one small function over
plain facts (`cleaner.approval_facts`) that `cleaner.github.pull_request_facts` gathers through the
GitHub API (never from the local checkout); each returns a `Requirement` with its own message, and
every rule is evaluated so a refusal names everything that is wrong. Like Atlantis's apply
requirements, they are evaluated together and apply proceeds only when all pass:

1. `merged_pull_request`: the pushed commit is the merge commit of a PR into the default branch;
2. `only_plan_files`: the PR changed nothing but `plans/<plan-id>/plan.json` and `plan.md`, one level
   deep (code, workflows and settings never ride on a plan approval), and it changed this plan;
3. `applied_once`: the merge adds the plan folder: a plan already on the default branch before the
   merge was applied then, and is never applied again;
4. `provenance`: the merged plan is a removals-only subset of the plan a scan workflow run on the
   default branch (by name and by commit) uploaded as artifact `plan-<plan-id>`;
5. `attributable_commits`, `verified_bot_commits` and `approvals`: every commit of the PR belongs to a
   GitHub account; a commit is the bot's only when GitHub signed it (anyone can type a bot's e-mail into
   a commit), so any other commit attributed to a bot makes the PR unapprovable; and enough people
   approved the plan as merged who are not bots, not the PR's author and not the author or committer
   of any of its commits (nor named by a verified bot commit's `Requested-by:`), and have write access;
6. `page_is_the_plan`: the PR's title and description are what the merged plans render to, so the
   page the reviewers read is the plan that runs.

Freshness and the deletion cap (`plan_max_age_days`, `max_deletions_per_apply`) are checked by the
apply command itself, from the repository's settings.

Why one module of this size (~420 lines): it is the whole of what a reviewer must read to trust that
no single person can get a version deleted, each rule a short pure function in the order above; split
by rule, the helpers two rules share (who took part, which commit is the bot's) would sit apart from
the rules that must agree on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cleaner.approval_facts import (
    ArtifactFacts,
    PageFacts,
    PlanHistory,
    PullCommit,
    PullRequestFacts,
    Review,
)
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
# Every workflow's own token: an App whose commits any workflow on any branch can make, never the bot.
ACTIONS_BOT = "github-actions[bot]"
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
            f" a plan approval covers only `plans/PLAN_ID/{PLAN_JSON}` and `{PLAN_MD}`; code,"
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
    if not artifact.run_commit_on_default_branch:
        return (
            f"uploaded by a scan run of commit {artifact.run_head_sha[:12] or '(unknown)'}, which is not on"
            f" `{default_branch}`"
        )
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


# --- 3. applied once -----------------------------------------------------------------------------------


def applied_once(plan_path: str, history: PlanHistory) -> Requirement:
    """A plan is applied by the merge that adds it; a PR that changes a plan folder already merged (for
    example restoring versions a `/keep` dropped) never gets it applied again."""
    name = "applied_once"
    if history.existed:
        where = (history.last_change or history.parent_sha)[:12]
        return _failed(
            name,
            f"`{plan_path}` was merged before in {where}: a plan is applied once; the next scan proposes"
            " again what still qualifies",
        )
    return _passed(name, f"`{plan_path}` is new on the default branch")


# --- 5. who took part, who approved ------------------------------------------------------------------------


def is_bot_login(login: str, bot_logins: Iterable[str] = ()) -> bool:
    lowered = login.lower()
    return lowered.endswith("[bot]") or lowered in {b.lower() for b in bot_logins}


def plan_bot(facts: PullRequestFacts, bot_logins: Iterable[str] = ()) -> str | None:
    """The bot whose verified commits are trusted: the PR's author when it is a GitHub App other than
    every workflow's `github-actions[bot]`, and one of `bot_logins` when those are configured."""
    author = facts.author_login
    configured = {login.lower() for login in bot_logins}
    if not (facts.author_is_bot or is_bot_login(author)) or author.lower() == ACTIONS_BOT:
        return None
    if configured and author.lower() not in configured:
        return None
    return author


def is_bots_commit(commit: PullCommit, bot: str | None) -> bool:
    """GitHub signed it, and it is attributed to the bot (with the bot or GitHub as committer)."""
    return (
        bot is not None
        and commit.verified
        and commit.author_login == bot
        and commit.committer_login in (bot, WEB_FLOW)
    )


def requested_by(message: str) -> list[str]:
    """The logins named in `Requested-by:` trailers (the last paragraph of a commit message)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if not paragraphs:
        return []
    return [m["login"] for line in paragraphs[-1].splitlines() if (m := REQUESTED_BY.fullmatch(line.strip()))]


def participants(facts: PullRequestFacts, bot_logins: Iterable[str] = ()) -> set[str]:
    """Everyone who wrote the change: the PR's author, every commit's author and committer, and whoever
    asked the bot for an edit (`keep`): a `Requested-by:` trailer counts only in a commit GitHub signed
    and attributes to the bot, because anyone can write a trailer, and a bot's e-mail, into a commit."""
    bot = plan_bot(facts, bot_logins)
    people = {facts.author_login}
    for commit in facts.commits:
        people |= {login for login in (commit.author_login, commit.committer_login) if login}
        if is_bots_commit(commit, bot):
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


def verified_bot_commits(facts: PullRequestFacts, bot_logins: Iterable[str] = ()) -> Requirement:
    """Every commit attributed to a bot is the plan bot's, signed by GitHub. A pushed commit carrying a
    bot's no-reply e-mail is attributed to that bot too; whoever really wrote it is unknown, and could
    approve their own change."""
    name = "verified_bot_commits"
    bot = plan_bot(facts, bot_logins)
    claimed: list[str] = []
    for commit in facts.commits:
        bots = [
            f"{role} {login}"
            for role, login, typed in (
                ("author", commit.author_login, commit.author_is_bot),
                ("committer", commit.committer_login, commit.committer_is_bot),
            )
            if login and login != WEB_FLOW and (typed or is_bot_login(login, bot_logins))
        ]
        if bots and not is_bots_commit(commit, bot):
            why = "not signed by GitHub" if not commit.verified else "not the plan's bot"
            claimed.append(f"{commit.sha[:12]} ({', '.join(bots)}; {why})")
    if claimed:
        hint = ""
        if bot is None and is_bot_login(facts.author_login) and facts.author_login.lower() != ACTIONS_BOT:
            hint = f" ({facts.author_login}, who opened it, is not listed in bot_logins)"
        return _failed(
            name,
            f"PR #{facts.number} has commits attributed to a bot that are not the plan bot's commits signed"
            f" by GitHub{hint}: {', '.join(claimed)}; anyone can write a bot's e-mail into a commit, so"
            " whoever wrote them is unknown and the PR cannot be approved",
        )
    if bot is None:
        return _passed(name, f"no commit of PR #{facts.number} is attributed to a bot")
    return _passed(
        name, f"every commit of PR #{facts.number} attributed to a bot is {bot}'s, signed by GitHub"
    )


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
    bot_logins = tuple(bot_logins)  # read once per reviewer
    wrote = {login.lower() for login in participants(facts, bot_logins)}
    counted: list[str] = []
    not_counted: list[str] = []
    for login, review in latest_verdicts(facts.reviews).items():
        reviewer = facts.reviewers.get(login)
        if review.state != "APPROVED":
            not_counted.append(f"{login}'s latest review is {review.state.lower().replace('_', ' ')}")
        elif review.is_bot or is_bot_login(login, bot_logins):
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


# --- 6. the page is the plan --------------------------------------------------------------------------------


def page_is_the_plan(number: int, page: PageFacts) -> Requirement:
    """Reviewers approve the page they read: a description edited to show fewer deletions than the plan
    holds must not get the plan applied."""
    name = "page_is_the_plan"
    if page.expected_title is None or page.expected_body is None:
        return _failed(
            name,
            f"PR #{number}'s description could not be compared with its plans ({page.unrenderable}): the page"
            " the reviewers read is not known to be the plan",
        )
    if page.title != page.expected_title:
        return _failed(
            name,
            f"PR #{number}'s title {page.title[:120]!r} is not what its plans render to"
            f" ({page.expected_title[:120]!r}): the page the reviewers read is not the plan that would run",
        )
    if _normalised(page.body) != _normalised(page.expected_body):
        actual, expected = page.body.splitlines(), page.expected_body.splitlines()
        line = next(
            (i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e),
            min(len(actual), len(expected)),
        )
        return _failed(
            name,
            f"PR #{number}'s description differs from what its plans render to from line {line + 1}"
            f" ({_line(actual, line)} where the plans give {_line(expected, line)}): the page the reviewers"
            " read is not the plan that would run",
        )
    return _passed(name, f"PR #{number}'s title and description are what its plans render to")


def _normalised(body: str) -> str:
    """Line endings and trailing blank space are how a browser saves a text, not what it says."""
    return body.replace("\r\n", "\n").rstrip()


def _line(lines: Sequence[str], index: int) -> str:
    return repr(lines[index][:80]) if index < len(lines) else "the end"
