"""`/keep FN:V ...` on the plan pull request, Atlantis-style: drop versions from a plan without leaving
the browser.

Everything comes from the GitHub API, never from the workflow's event text or a checkout of the PR: the
comment (who wrote it, what it says), the commenter's permission, the PR's plan folders, the plan at the
PR's head and the scanner's plan (the plan.json the bot's first commit on the branch added, a commit
GitHub signed). A comment edited after it was posted is refused: a writer can edit anyone's comment,
and the commit would credit the comment's author with the editor's request. The edit is a removal from
`delete` and nothing else; it is committed on top of the PR's head through the Git Data API with the
App's token and no author, committer or signature (GitHub attributes it to the App, the bot that opened
the PR, and signs it), and its message ends with a `Requested-by: LOGIN` trailer. That trailer, in a
commit GitHub signed for the bot, is what makes the requester a participant of the change for the
two-person rule (`cleaner.apply_requirements.participants`): who asked cannot approve.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from github.PullRequest import PullRequest
from github.Repository import Repository

from cleaner.apply_requirements import MAY_APPROVE
from cleaner.aws_names import FUNCTION_NAME_PATTERN, REGION_PATTERN, VERSION_PATTERN
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.github.client import github_call
from cleaner.github.description import (
    BranchPlans,
    PlanOnBranch,
    Refused,
    description,
    is_plan_pull_request,
    read_branch_plans,
)
from cleaner.github.plan_commit import FileText, commit_plan_files
from cleaner.plan import PLAN_MD, Plan, PlanEntry, plan_json_text
from cleaner.render import render_plan_markdown
from cleaner.settings import Settings
from cleaner.validate import check_removals_only

COMMAND = "/keep"
# One version: FUNCTION:VERSION, or REGION:FUNCTION:VERSION for a plan that has the function in several
# regions (a region is also a valid function name; the number of colons tells the forms apart).
_ITEM = re.compile(
    rf"(?:(?P<region>{REGION_PATTERN}):)?(?P<name>{FUNCTION_NAME_PATTERN}):(?P<version>{VERSION_PATTERN})"
)
# The whole comment, one line: `/keep` and at least one version, separated by spaces. Anything else (a
# second line, a range, prose) is refused rather than guessed at.
_GRAMMAR = re.compile(rf"/keep((?:[ \t]+{_ITEM.pattern})+)[ \t]*")
USAGE = (
    "`/keep FUNCTION:VERSION [FUNCTION:VERSION ...]` on one line, for example `/keep orders-api:5`"
    " (`/keep REGION:FUNCTION:VERSION` when the function is in several regions)"
)
MAX_ITEMS = 100


@dataclass(frozen=True)
class KeepItem:
    function_name: str
    version: str
    region: str | None = None  # None: in whichever region the plan has it, when that is one region

    def __str__(self) -> str:
        prefix = f"{self.region}:" if self.region else ""
        return f"{prefix}{self.function_name}:{self.version}"

    def matches(self, entry: PlanEntry) -> bool:
        return (
            entry.function_name == self.function_name
            and entry.version == self.version
            and self.region in (None, entry.region)
        )


def parse_keep_comment(body: str) -> list[KeepItem]:
    """The versions a `/keep` comment names, each once, in the order given; BadInputError otherwise."""
    text = body.strip()
    match = _GRAMMAR.fullmatch(text)
    if match is None:
        raise BadInputError(f"the comment is not a keep request: expected {USAGE}")
    items: list[KeepItem] = []
    for token in match.group(1).split():
        found = _ITEM.fullmatch(token)
        if found is None:  # the grammar already matched every token; kept so `found` is never None
            raise BadInputError(f"{token!r}: expected FUNCTION:VERSION")
        item = KeepItem(found["name"], found["version"], found["region"])
        if item not in items:
            items.append(item)
    if len(items) > MAX_ITEMS:
        raise BadInputError(f"the comment names {len(items)} versions: at most {MAX_ITEMS} per comment")
    return items


@dataclass(frozen=True)
class KeepOutcome:
    exit_code: ExitCode
    message: str  # what the command prints; the reply on the PR says the same for people
    commit_sha: str | None = None


class Keeper:
    """Carries out one `/keep` comment on one pull request."""

    def __init__(
        self,
        repo: Repository,
        settings: Settings,
        progress: Callable[[str], None] = lambda _: None,
        dry_run: bool | None = None,
    ) -> None:
        self.repo = repo
        self.settings = settings
        self.progress = progress
        self.dry_run = dry_run  # what merging does, for the description (SNAPSTART_DRY_RUN)
        self.name = repo.full_name

    def keep(self, number: int, comment_id: int) -> KeepOutcome:
        with github_call(f"GET /repos/{self.name}/pulls/{number}"):
            pr = self.repo.get_pull(number)
        with github_call(f"GET /repos/{self.name}/issues/comments/{comment_id}"):
            comment = pr.get_issue_comment(comment_id)
            issue_url, body, requester = comment.issue_url, comment.body or "", comment.user.login
            comment_url, edited = comment.html_url, comment.updated_at != comment.created_at
        if not issue_url.rstrip("/").endswith(f"/issues/{number}"):
            raise BadInputError(f"--comment-id {comment_id}: that comment is not on pull request #{number}")
        try:
            if edited:
                raise Refused(
                    "this comment was edited after it was posted, and anyone with write access can edit a"
                    " comment: it is not taken as your request. Nothing changed; post a new `/keep` comment."
                )
            message, sha = self._keep(pr, requester, body, comment_url)
        except Refused as refusal:
            self._reply(pr, f"@{requester} {refusal.reply}")
            return KeepOutcome(refusal.exit_code, refusal.reply)
        self._reply(pr, f"@{requester} {message}")
        return KeepOutcome(ExitCode.OK, message, sha)

    def _keep(self, pr: PullRequest, requester: str, body: str, comment_url: str) -> tuple[str, str]:
        if pr.state != "open":
            raise Refused(f"pull request #{pr.number} is {pr.state}: nothing changed.")
        with github_call(f"GET /repos/{self.name}/collaborators/{requester}/permission"):
            permission = self.repo.get_collaborator_permission(requester)
        if permission not in MAY_APPROVE:
            raise Refused(
                f"`/keep` needs write access to this repository; you have {permission} access."
                " Nothing changed."
            )
        try:
            items = parse_keep_comment(body)
        except BadInputError as error:
            raise Refused(f"{error.message}. Nothing changed.", ExitCode.BAD_INPUT) from error
        if not is_plan_pull_request(self.repo, pr, self.settings):
            raise Refused(
                f"`/keep` edits only the plan pull request (branch `{self.settings.github.pr_branch}` of"
                " this repository); nothing changed."
            )
        head_sha = pr.head.sha
        on_branch = read_branch_plans(self.repo, pr, head_sha, self.progress)
        plans, first_ours = on_branch.plans, on_branch.first_ours
        dropped: list[PlanEntry] = []
        edited: list[tuple[PlanOnBranch, Plan]] = []
        missing = [str(item) for item in items if not any(self._hits(p.current, item) for p in plans)]
        if missing:
            raise Refused(
                f"{', '.join(f'`{m}`' for m in missing)}: not in the plan (not among the versions it"
                " deletes; `/keep` only removes versions from a plan and never adds one). Nothing changed."
            )
        ambiguous = [_choices(item, plans) for item in items if item.region is None]
        ambiguous = [text for text in ambiguous if text]
        if ambiguous:
            raise Refused(f"{' '.join(ambiguous)} Nothing changed.", ExitCode.BAD_INPUT)
        for plan in plans:
            hits = [e for item in items for e in self._hits(plan.current, item)]
            if not hits:
                continue
            keys = {entry.key for entry in hits}
            remaining = [entry for entry in plan.current.delete if entry.key not in keys]
            new = plan.current.model_copy(update={"delete": remaining}).with_derived_summary()
            if not check_removals_only(new, plan.scanned).ok:  # by construction; never commit otherwise
                raise Refused("the edited plan would not be a removals-only subset. Nothing changed.")
            dropped += hits
            edited.append((plan, new))
        labels = ", ".join(f"`{e.label}`" for e in dropped)
        message = self._message(edited, dropped, requester, comment_url)
        asked = {plan.path: {e.key: requester for e in dropped if self._in(plan, e)} for plan, _ in edited}
        files = []
        for plan, new in edited:
            who = {**on_branch.dropped_by.get(plan.path, {}), **asked[plan.path]}
            files += [
                FileText(plan.path, plan_json_text(new)),
                FileText(
                    f"{plan.repo_dir}/{PLAN_MD}", render_plan_markdown(new, plan.scanned, dropped_by=who)
                ),
            ]
        sha = commit_plan_files(self.repo, pr, head_sha, first_ours, files, message, self.progress)
        changed = {plan.path: new for plan, new in edited}
        self._update_body(pr, on_branch, changed, asked)
        total = sum(changed.get(p.path, p.current).summary.delete_count for p in plans)
        return (
            f"dropped {labels} from the plan in {sha[:12]}: {'it is' if len(dropped) == 1 else 'they are'}"
            f" kept. The plan now deletes"
            f" {total} version{'' if total == 1 else 's'}; `plan.md` and this description were re-rendered"
            ' (see "Dropped in review"). This is an edit like any other: approvals given before it no'
            f" longer count, and {requester}, who asked for it, cannot approve this plan.",
            sha,
        )

    @staticmethod
    def _hits(plan: Plan, item: KeepItem) -> list[PlanEntry]:
        return [entry for entry in plan.delete if item.matches(entry)]

    @staticmethod
    def _message(
        edited: Sequence[tuple[PlanOnBranch, Plan]], dropped: Sequence[PlanEntry], requester: str, url: str
    ) -> str:
        ids = ", ".join(plan.current.plan_id for plan, _ in edited)
        labels = ", ".join(entry.label for entry in dropped)
        return (
            f"Plan {ids}: keep {labels}\n\n"
            f"Dropped in review by snapstart-cleaner keep, as {requester} asked in {url}\n"
            "(removals from delete only; plan.md re-rendered).\n\n"
            f"Requested-by: {requester}\n"
        )

    @staticmethod
    def _in(plan: PlanOnBranch, entry: PlanEntry) -> bool:
        return any(e.key == entry.key for e in plan.current.delete)

    def _update_body(
        self,
        pr: PullRequest,
        on_branch: BranchPlans,
        new: dict[str, Plan],
        asked: dict[str, dict[tuple[str, str, int], str]],
    ) -> None:
        plans = on_branch.plan_set(self.settings, new, dropped_by=asked, dry_run=self.dry_run)
        title, body = description(self.repo, pr, plans)
        with github_call(f"PATCH /repos/{self.name}/pulls/{pr.number}"):
            pr.edit(title=title, body=body)

    def _reply(self, pr: PullRequest, text: str) -> None:
        with github_call(f"POST /repos/{self.name}/issues/{pr.number}/comments"):
            pr.create_issue_comment(text)


def _choices(item: KeepItem, plans: Sequence[PlanOnBranch]) -> str:
    """For a version without a region that the plans have in several regions: the choices, as the
    refusal says them; "" when it names one region's version."""
    regions = sorted({e.region for p in plans for e in p.current.delete if item.matches(e)})
    if len(regions) < 2:
        return ""
    choices = " or ".join(f"`/keep {region}:{item}`" for region in regions)
    return f"`{item}` is in {len(regions)} regions of the plan: name the one to keep, {choices}."


def keep_versions(
    repo: Repository,
    settings: Settings,
    number: int,
    comment_id: int,
    progress: Callable[[str], None] = lambda _: None,
    dry_run: bool | None = None,
) -> KeepOutcome:
    return Keeper(repo, settings, progress, dry_run).keep(number, comment_id)
