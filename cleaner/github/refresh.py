"""`refresh-pr`: after a person pushed an edit of a plan, re-render the plan pull request's title and
description from the plans on its branch, as keep does after its own commit (same reads, same
rendering, "Dropped in review" against the scan's plan, the failed accounts kept).

plan-check runs it once every changed plan validated, with the job's own token, which may write the
pull request's title and body and nothing else of the repository. The plans are read through the API at
the commit plan-check checked out and validated (`head_sha`), never from the checkout: the same reads
keep makes (the scan's plan from the commit GitHub attributes to the bot, not from a commit e-mail),
and no file of the pull request's checkout can steer the command. The description is feedback, not a
safeguard: apply reads plan.json.

refresh.yml runs it again with `--files` after each passed plan-check, as the bot (the App's token, on
the default branch): a removal made in GitHub's web editor leaves plan.json's summary and plan.md stale,
and the bot commits them re-rendered, as keep does after `/keep`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from github.PullRequest import PullRequest
from github.Repository import Repository

from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.github.client import github_call
from cleaner.github.description import (
    BranchPlans,
    Refused,
    description,
    is_plan_pull_request,
    read_branch_plans,
    read_text_at,
)
from cleaner.github.plan_commit import BranchMoved, FileText, commit_plan_files
from cleaner.plan import PLAN_MD, plan_json_text
from cleaner.render import render_plan_markdown
from cleaner.settings import Settings

_SHA = re.compile(r"[0-9a-f]{40}")


class NotTheOpenPlanPullRequest(BadInputError):
    """The pull request is closed, or not the plan pull request: nothing is written."""


@dataclass(frozen=True)
class RefreshOutcome:
    edited: bool  # whether the title or body was written
    message: str
    # FAILURES when a plan on the branch is not what the scan proposed minus removals: the same refusal,
    # and exit code, as keep's; the run itself worked.
    exit_code: ExitCode = ExitCode.OK


def refresh_description(
    repo: Repository,
    settings: Settings,
    number: int,
    head_sha: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
    *,
    dry_run: bool | None = None,
    files: bool = False,
) -> RefreshOutcome:
    """Rebuild the title and body of plan pull request `number` from its plans at `head_sha` (default:
    its head now). Nothing is written when they are already right (as open-pr's are on its own commit:
    the rebuild is open-pr's description, byte for byte), or when the branch has moved on from
    `head_sha` (the run for that push describes it; an older run must not overwrite a newer body).
    NotTheOpenPlanPullRequest (bad input), with nothing written, for a pull request that is not an open
    plan pull request; an
    outcome with exit code FAILURES, nothing written, when a plan on it is not a removals-only subset of
    the scan's (keep refuses the same plan with the same code).

    `files`: first bring each plan's derived parts (plan.json's summary, plan.md) in line with its
    entries, committed as the bot on top of `head_sha` (the App's token; keep's way of committing), when
    a person's edit left them stale: a removal made in GitHub's web editor changes nothing else.
    `dry_run`: what merging does, for the description."""
    if head_sha is not None and not _SHA.fullmatch(head_sha):
        raise BadInputError(f"--head-sha {head_sha[:80]!r}: expected a commit's 40 hexadecimal digits")
    name = repo.full_name
    pr = _get(repo, number)
    if pr.state != "open":
        raise NotTheOpenPlanPullRequest(
            f"pull request #{number} is {pr.state}: its description is left as it is"
        )
    if not is_plan_pull_request(repo, pr, settings):
        raise NotTheOpenPlanPullRequest(
            f"pull request #{number} is not the plan pull request (branch `{settings.github.pr_branch}` of"
            " this repository): its description is left as it is"
        )
    head = pr.head.sha
    if head_sha is not None and head != head_sha:
        return _moved(head_sha, head)
    try:
        on_branch = read_branch_plans(repo, pr, head, progress)
    except Refused as refusal:
        if refusal.exit_code is ExitCode.BAD_INPUT:
            raise BadInputError(f"pull request #{number}: {refusal.reply}") from refusal
        return RefreshOutcome(False, f"left as it is: {refusal.reply}", refusal.exit_code)
    rerendered = ""
    if files:
        try:
            committed = _commit_stale_files(repo, pr, on_branch, progress)
        except BranchMoved:
            # refresh.yml runs after every passed plan-check: the newer push's run re-renders.
            return RefreshOutcome(
                False,
                "the branch moved on while the files were committed: nothing changed; left to the run of"
                " that push",
            )
        except Refused as refusal:
            return RefreshOutcome(False, f"left as it is: {refusal.reply}", ExitCode.FAILURES)
        if committed is not None:
            head, rerendered = committed, f"; committed the re-rendered plan files as {committed[:12]}"
    plans = on_branch.plan_set(settings, dry_run=dry_run)
    title, body = description(repo, pr, plans)
    counts = (
        f"{plans.delete_count} version{'' if plans.delete_count == 1 else 's'} to delete,"
        f" {on_branch.dropped_count} dropped in review"
    )
    if pr.title == title and (pr.body or "") == body:
        return RefreshOutcome(
            bool(rerendered),
            f"the title and description already match the plans at {head[:12]} ({counts}){rerendered}",
        )
    # Reading took a while: a push since then has its own run, whose description must not be overwritten.
    now = _get(repo, number).head.sha
    if now != head:
        return _moved(head, now)
    with github_call(f"PATCH /repos/{name}/pulls/{number}"):
        pr.edit(title=title, body=body)
    return RefreshOutcome(
        True, f"re-rendered the title and description from the plans at {head[:12]} ({counts}){rerendered}"
    )


def _commit_stale_files(
    repo: Repository, pr: PullRequest, on_branch: BranchPlans, progress: Callable[[str], None]
) -> str | None:
    """Commit, as the bot, each plan's summary and plan.md re-rendered from its entries where they
    differ from the branch's (nothing else: the entries are the ones read, already checked to be a
    removals-only subset of the scan's); the new head's sha, or None when every file was in line."""
    stale: list[FileText] = []
    for plan in on_branch.plans:
        current = plan.current.with_derived_summary()
        md_path = f"{plan.repo_dir}/{PLAN_MD}"
        who = on_branch.dropped_by.get(plan.path, {})
        for path, text in (
            (plan.path, plan_json_text(current)),
            (md_path, render_plan_markdown(current, plan.scanned, dropped_by=who)),
        ):
            if read_text_at(repo, path, on_branch.head_sha) != text:
                stale.append(FileText(path, text))
    if not stale:
        return None
    ids = ", ".join(plan.current.plan_id for plan in on_branch.plans)
    message = (
        f"Plan {ids}: re-render after a review edit\n\n"
        f"The summary in plan.json and plan.md, re-rendered by snapstart-cleaner refresh-pr from the entries"
        f" at {on_branch.head_sha[:12]}\n(no entry changed)."
    )
    return commit_plan_files(
        repo,
        pr,
        on_branch.head_sha,
        on_branch.first_ours,
        stale,
        message,
        progress,
        workflow="refresh.yml",
        what="refresh-pr",
    )


def _get(repo: Repository, number: int) -> PullRequest:
    with github_call(f"GET /repos/{repo.full_name}/pulls/{number}"):
        return repo.get_pull(number)


def _moved(expected: str, head: str) -> RefreshOutcome:
    return RefreshOutcome(
        False,
        f"the branch moved on from {expected[:12]} to {head[:12]}: left to the check of that push",
    )
