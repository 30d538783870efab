"""Was this plan approved by a second person? Every rule of `cleaner.apply_requirements`, evaluated on
facts read through the GitHub API from the pushed commit (`GITHUB_SHA`), never from the local checkout.

Why compare the reviewed plan instead of timestamps: commit dates are written by whoever makes the
commit and can be backdated, while a review's `commit_id` is recorded by GitHub. "The plan file at the
reviewed commit is the merged one" is "approved after the plan's last edit" without trusting a clock.
"""

from __future__ import annotations

import re

from github.PullRequest import PullRequest
from github.Repository import Repository
from pydantic import BaseModel, ConfigDict, Field

from cleaner.apply_requirements import (
    Requirement,
    applied_once,
    approvals,
    attributable_commits,
    only_plan_files,
    page_is_the_plan,
    removals_only_of_scanned,
    select_scan_artifact,
    verified_bot_commits,
)
from cleaner.approval_facts import (
    PageFacts,
)
from cleaner.exit_codes import BadInputError
from cleaner.github.body import fit_body
from cleaner.github.client import GitHubTarget, github_call
from cleaner.github.description import Refused, description, read_branch_plans
from cleaner.github.pull_request_facts import (
    UnreadableArtifact,
    download_plan_text,
    find_merged_pull_request,
    gather_pull_request_facts,
    list_plan_artifacts,
    plan_history,
)
from cleaner.plan import Plan, parse_plan
from cleaner.settings import Settings

# How keep and refresh-pr end their refusals; here the refusal is a reason, not a reply.
_NOTHING_CHANGED = re.compile(r"[;.]?\s*nothing changed\.$", re.IGNORECASE)


class RequirementResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool
    message: str


class Approval(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    reason: str
    pr_number: int | None = None
    approvers: list[str] = Field(default_factory=list)
    requirements: list[RequirementResult] = Field(default_factory=list)
    # The page said another mode than apply runs in: what changed (apply follows the variable).
    mode_note: str | None = None


def _result(requirement: Requirement) -> RequirementResult:
    return RequirementResult(name=requirement.name, ok=requirement.ok, message=requirement.message)


def check_approval(
    repo: Repository,
    target: GitHubTarget,
    sha: str,
    plan_path: str,
    plan: Plan,
    settings: Settings,
    dry_run: bool = False,
) -> Approval:
    """Establish, through the API, that `plan` (at `plan_path` in commit `sha`) may be applied: every
    rule of the two-person rule holds. Every rule is evaluated, so a refusal names all that is wrong."""
    found = find_merged_pull_request(repo, sha)
    if not found.requirement.ok or found.pr is None:
        return Approval(
            ok=False,
            reason=found.requirement.message,
            pr_number=found.pr.number if found.pr else None,
            requirements=[_result(found.requirement)],
        )
    pr = found.pr
    bot_logins = settings.github.bot_logins
    facts = gather_pull_request_facts(repo, pr, sha, plan_path)
    approval, approvers = approvals(facts, plan_path, settings.apply.required_approvals, bot_logins)
    provenance = _provenance(repo, target, plan)
    page, page_dry_run = _page(repo, pr, settings, dry_run)
    requirements = [
        found.requirement,
        only_plan_files(facts, plan_path),
        applied_once(plan_path, plan_history(repo, sha, plan_path)),
        provenance,
        attributable_commits(facts),
        verified_bot_commits(facts, bot_logins),
        approval,
        page_is_the_plan(pr.number, page),
    ]
    mode_note = _mode_note(page_dry_run, dry_run)
    failed = [r for r in requirements if not r.ok]
    if failed:
        return Approval(
            ok=False,
            reason="; ".join(r.message for r in failed),
            pr_number=pr.number,
            approvers=approvers,
            requirements=[_result(r) for r in requirements],
            mode_note=mode_note,
        )
    merged_at = f"{pr.merged_at:%Y-%m-%d %H:%M UTC}" if pr.merged_at else "?"
    return Approval(
        ok=True,
        reason=(
            f"PR #{pr.number} ({pr.html_url}), merged {merged_at}, approved by {', '.join(approvers)}"
            f" after the last change to {plan_path}; the plan is {provenance.message}"
        ),
        pr_number=pr.number,
        approvers=approvers,
        requirements=[_result(r) for r in requirements],
        mode_note=mode_note,
    )


def _page(
    repo: Repository, pr: PullRequest, settings: Settings, dry_run: bool
) -> tuple[PageFacts, bool | None]:
    """The title and description the merged PR carries, and what its plans render to (as refresh-pr
    writes them: the plans at the PR's last head, "Dropped in review" against the bot's first commit);
    and what the page said merging does. The page was rendered with SNAPSTART_DRY_RUN as it was then:
    rendered with apply's mode first, then the other (the variable changed since: apply follows it, and
    says so), then without one (a job that was not given the variable)."""
    title, body = pr.title or "", pr.body or ""
    try:
        on_branch = read_branch_plans(repo, pr, pr.head.sha)
    except Refused as refusal:
        return PageFacts(title, body, None, None, _NOTHING_CHANGED.sub("", refusal.reply)), None
    except BadInputError as error:
        return PageFacts(title, body, None, None, error.message), None
    tried = []
    for mode in (dry_run, not dry_run, None):
        expected_title, expected_body = description(repo, pr, on_branch.plan_set(settings, dry_run=mode))
        tried.append(PageFacts(title, body, expected_title, expected_body))
        if page_is_the_plan(pr.number, tried[-1]).ok:
            return tried[-1], mode
    return tried[0], None  # the refusal compares the page with apply's own mode


def _mode_note(page_dry_run: bool | None, dry_run: bool) -> str | None:
    """What to say when the page the reviewers read said another mode than apply runs in."""
    if page_dry_run is None or page_dry_run == dry_run:
        return None
    if dry_run:
        return (
            "The page said merging deletes, but the repository variable `SNAPSTART_DRY_RUN` is no longer"
            " `false`: apply follows the variable at merge, so this was a dry run and nothing was deleted."
            " To delete, set it to `false`; the next scan's pull request will delete."
        )
    return (
        "The page said merging is a dry run, but the repository variable `SNAPSTART_DRY_RUN` is `false`"
        " now: apply follows the variable at merge, so it deleted."
    )


def _provenance(repo: Repository, target: GitHubTarget, merged: Plan) -> Requirement:
    with github_call(f"GET /repos/{repo.full_name}"):
        default_branch = repo.default_branch
    artifacts = list_plan_artifacts(repo, merged.plan_id, default_branch)
    selected = select_scan_artifact(merged.plan_id, artifacts, default_branch, repo.full_name)
    if isinstance(selected, Requirement):
        return selected
    try:
        text = download_plan_text(target, repo.full_name, selected)
        scanned = parse_plan(text, f"artifact {selected.name}/plan.json")
    except (UnreadableArtifact, BadInputError) as error:
        message = error.message if isinstance(error, BadInputError) else str(error)
        return Requirement("provenance", False, f"the scanner's plan cannot be read: {message}")
    return removals_only_of_scanned(merged, scanned, selected)


def comment_on_pr(repo: Repository, number: int, body: str) -> str:
    """Post `body` (cut to GitHub's limit) as a comment on PR `number`; returns the comment's URL."""
    with github_call(f"POST /repos/{repo.full_name}/issues/{number}/comments"):
        pr = repo.get_pull(number)
        comment = pr.create_issue_comment(fit_body(body, "in the apply run's job summary"))
        return comment.html_url
