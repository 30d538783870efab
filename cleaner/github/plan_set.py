"""The plans of one scan run, one per account, as one pull request: its title, its body (organisation
summary first, then each account's review page, within GitHub's body limit) and its comments.

A single plan with no failed account is today's pull request, word for word: its body is plan.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cleaner.exit_codes import BadInputError
from cleaner.github.body import BODY_LIMIT, fit_body
from cleaner.github.trailers import FailedAccount, ScannedAccount
from cleaner.plan import PLAN_JSON, PLAN_MD, Plan
from cleaner.render import (
    DroppedBy,
    body_margin,
    markdown_code,
    markdown_text,
    render_organisation_boilerplate,
    render_plan_body,
    render_plan_body_minimum,
    usd,
)


@dataclass(frozen=True)
class PlanFiles:
    plan: Plan
    plan_json: str
    plan_md: str
    repo_dir: str  # where the plan lives in the repository: plans/<plan-id>
    # The plan as the scan proposed it, when review dropped versions (`keep`): a body shortened to fit
    # is then rendered with "Dropped in review" as plan.md is.
    original: Plan | None = None
    # Who dropped each version review dropped, as the pull request's commits say.
    dropped_by: DroppedBy | None = None

    @property
    def json_path(self) -> str:
        return f"{self.repo_dir}/{PLAN_JSON}"

    @property
    def md_path(self) -> str:
        return f"{self.repo_dir}/{PLAN_MD}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _rank(savings: float, account_id: str, plan_id: str) -> tuple[float, str, str]:
    """Largest savings first, then account id, then plan id: the order of the summary and the pages."""
    return (-savings, account_id, plan_id)


@dataclass(frozen=True)
class PlanSet:
    plans: Sequence[PlanFiles]
    failed: Sequence[FailedAccount] = ()
    names: Mapping[str, str] = field(default_factory=dict)  # account id -> name, from the settings
    # A rebuild's plans that open-pr summarised but did not commit (from its `Scanned-account:`
    # trailers); open-pr itself has them in `plans`.
    scanned: Sequence[ScannedAccount] = ()
    # What merging does, from the repository variable SNAPSTART_DRY_RUN in the job that renders the
    # description (True: a dry run); None: not known, and the page says what it depends on.
    dry_run: bool | None = None

    def __post_init__(self) -> None:
        if not self.plans:
            raise BadInputError("open-pr: no plan folder given")
        ids = [files.plan.plan_id for files in self.plans]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise BadInputError(f"open-pr: plan {duplicates[0]} given more than once")

    @property
    def single(self) -> Plan | None:
        """The plan, when this is one plan and no failure: today's pull request."""
        return self.plans[0].plan if len(self.plans) == 1 and not self.failed and not self.scanned else None

    @property
    def plan_ids(self) -> list[str]:
        return [files.plan.plan_id for files in self.plans]

    @property
    def to_commit(self) -> list[PlanFiles]:
        """The plans the pull request carries: those with something to delete (all of one plan)."""
        if len(self.plans) == 1:
            return list(self.plans)
        return [files for files in self.plans if files.plan.delete]

    @property
    def summarised_only(self) -> list[ScannedAccount]:
        """The plans the summary shows but the pull request does not carry (nothing to delete)."""
        committed = {files.plan.plan_id for files in self.to_commit}
        uncommitted = [ScannedAccount.of(f.plan) for f in self.plans if f.plan.plan_id not in committed]
        return uncommitted + list(self.scanned)

    @property
    def delete_count(self) -> int:
        return sum(files.plan.summary.delete_count for files in self.plans)

    @property
    def savings(self) -> float:
        return round(sum(files.plan.summary.estimated_monthly_savings_usd for files in self.plans), 2)

    @property
    def keep_count(self) -> int:
        return sum(files.plan.summary.keep_count for files in self.plans) + sum(
            account.keep_count for account in self.scanned
        )

    def ranked(self) -> list[PlanFiles]:
        """Largest savings first (then account id), the order of the summary and the pages."""
        return sorted(
            self.plans,
            key=lambda f: _rank(
                f.plan.summary.estimated_monthly_savings_usd, f.plan.account_id, f.plan.plan_id
            ),
        )

    def name_of(self, account_id: str) -> str:
        if not account_id:
            return "the account"
        return self.names.get(account_id) or account_id

    # --- texts ---------------------------------------------------------------------------------------

    def accounts_phrase(self) -> str:
        accounts = len({files.plan.account_id for files in self.plans if files.plan.delete})
        return _plural(accounts, "account")

    def summary_line(self) -> str:
        return (
            f"**{_plural(self.delete_count, 'SnapStart version')} to delete** in {self.accounts_phrase()},"
            f" estimated savings **{usd(self.savings)} / month**; {self.keep_count:,} kept"
        )

    def title(self) -> str:
        # The first plan id in sorted order, not in the order open-pr was given its folders: a rebuild
        # from the branch, which knows no such order, names the same plan.
        # Only the plans with something to delete: an account with nothing to delete is in the summary,
        # not in what the title says the pull request deletes.
        ids = sorted(files.plan.plan_id for files in self.plans if files.plan.delete) or sorted(self.plan_ids)
        return (
            f"SnapStart cleanup: delete {_plural(self.delete_count, 'version')} in {self.accounts_phrase()}"
            f" (~{usd(self.savings)}/month), plans {ids[0]} and {len(ids) - 1} more"
            if len(ids) > 1
            else f"SnapStart cleanup: delete {_plural(self.delete_count, 'version')}"
            f" (~{usd(self.savings)}/month), plan {ids[0]}"
        )

    def commit_message(self) -> str:
        """Ends with a `Failed-account:` trailer per failed account and a `Scanned-account:` trailer per
        plan summarised but not committed: rebuilds of the body read them back (`failed_accounts_in`,
        `scanned_accounts_in`)."""
        committed = self.to_commit
        message = (
            f"Plan{'s' if len(committed) > 1 else ''} {', '.join(f.plan.plan_id for f in committed)}: delete"
            f" {_plural(self.delete_count, 'SnapStart version')} (~{usd(self.savings)}/month)\n\n"
            "Written by snapstart-cleaner scan."
        )
        trailers = [failure.trailer for failure in self.failed]
        trailers += [account.trailer for account in self.summarised_only]
        if trailers:
            message += "\n\n" + "\n".join(trailers)
        return message

    def failures_markdown(self) -> str:
        if not self.failed:
            return ""
        lines = [
            "> [!WARNING]",
            f"> **{_plural(len(self.failed), 'account')} could not be scanned**; their plans are not in"
            " this pull request (the next scan tries again):",
        ]
        for failure in self.failed:
            shown = self._account(failure.account_id) if failure.account_id else "the account"
            lines.append(f"> - {shown}: {markdown_text(failure.message)}")
        return "\n".join(lines) + "\n"

    def summary_markdown(self, link: Mapping[str, str]) -> str:
        """The organisation summary: one row per account, sorted by savings, then every account's
        warnings; `link` maps a plan id to the URL of its plan.md in the pull request."""
        # (sort key, row): the plans of both kinds in one order, the one ranked() gives.
        ranked: list[tuple[tuple[float, str, str], str]] = []
        # The link says `plan.md` (its folder is in the URL), and a plan with nothing to delete has a
        # dash (its "to delete" says 0): the path of a plan id the scan workflow makes
        # (`plans/<run>-<account-id>-<region>/plan.md`) is wider than the rest of the row, and squeezed
        # every name and number of GitHub's 1,012 px column onto two or three lines.
        for files in self.plans:
            plan, s = files.plan, files.plan.summary
            page = f"[{markdown_code(PLAN_MD)}]({link[plan.plan_id]})" if plan.plan_id in link else "—"
            row = self._row(
                plan.account_id, plan.plan_id, s.delete_count, s.estimated_monthly_savings_usd, s.keep_count
            )
            ranked.append(
                (
                    _rank(s.estimated_monthly_savings_usd, plan.account_id, plan.plan_id),
                    f"{row} | {len(plan.warnings):,} | {page} |",
                )
            )
        for account in self.scanned:
            row = self._row(account.account_id, account.plan_id, 0, 0.0, account.keep_count)
            ranked.append(
                (
                    _rank(0.0, account.account_id, account.plan_id),  # no savings
                    f"{row} | {account.warning_count:,} | — |",
                )
            )
        rows = [
            "| account | id | to delete | $/month | kept | warnings | review page |",
            "|---|---|---:|---:|---:|---:|---|",
            *(row for _, row in sorted(ranked, key=lambda item: item[0])),
        ]
        for failure in self.failed:
            rows.append(
                f"| {self._name_cell(failure.account_id)} | {markdown_code(failure.account_id)}"
                " | — | — | — | — | not scanned |"
            )
        count = len(self.plans) + len(self.scanned) + len(self.failed)
        heading = f"# SnapStart Cleaner: {_plural(count, 'account')}"
        return "\n".join([heading, "", self.summary_line(), "", *rows, "", *self._warnings()]) + "\n"

    def _account(self, account_id: str) -> str:
        """An account as a cell: its configured name and its id, or its id alone."""
        name = self.names.get(account_id)
        code = markdown_code(account_id)
        return f"{markdown_text(name)} ({code})" if name else code

    def _row(self, account_id: str, plan_id: str, delete_count: int, savings: float, keep_count: int) -> str:
        """A summary row's first five cells, the same for a plan and for a `Scanned-account:` trailer.
        The plan of one region of an account scanned per region (its id ends `-<account-id>-<region>`,
        `plan_suffix`) says its region under the account's name: the account has a row per region."""
        region = plan_id.partition(f"-{account_id}-")[2] if account_id else ""
        return (
            f"| {self._name_cell(account_id)}{'<br>' + markdown_text(region) if region else ''}"
            f" | {markdown_code(account_id)}"
            f" | {delete_count:,} | {usd(savings)} | {keep_count:,}"
        )

    def _name_cell(self, account_id: str) -> str:
        """The configured name, or a dash: the id is the next cell, said once."""
        name = self.names.get(account_id)
        return markdown_text(name) if name else "—"

    def _warnings(self) -> list[str]:
        """The warnings of every plan the pull request carries, once, here: each account's page leaves
        them out. (A plan summarised but not committed has its count in its row: a rebuild from the
        branch knows no more of it.)"""
        committed = {files.plan.plan_id for files in self.to_commit}
        lines = []
        for files in self.ranked():
            if files.plan.plan_id not in committed:
                continue
            for warning in files.plan.warnings:
                lines.append(f"> - {self._account(files.plan.account_id)}: {markdown_text(warning) or '—'}")
        if not lines:
            return []
        return ["> [!WARNING]", f"> {_plural(len(lines), 'warning')} from the scans:", *lines, ""]

    def boilerplate_markdown(self) -> str:
        """ "On merge" and "How to keep a version", said once for every account's page."""
        return render_organisation_boilerplate(self.delete_count, self.accounts_phrase(), self.dry_run)

    def description(self, blob_url: str) -> tuple[str, str]:
        """The pull request's title and body. `blob_url` shows the branch's files
        (`https://github.com/OWNER/NAME/blob/BRANCH`): the review pages are linked under it.

        The one description of a plan pull request: open-pr writes it, and keep and refresh-pr rebuild
        it from the plans on the branch."""
        links = {files.plan.plan_id: f"{blob_url}/{files.md_path}" for files in self.to_commit}
        return self.title(), self.body(links)

    def body(self, link: Mapping[str, str], limit: int = BODY_LIMIT) -> str:
        """The organisation summary (every account's row and warnings), the failures, "On merge" and
        "How to keep a version" once, then each account's review page: the room is shared so that
        every page gets at least its always-present parts (the index of its functions among them)
        before any page gets its rows; when even those do not fit, the largest pages are linked
        instead, never a small one."""
        single = self.single
        if single is not None:
            files = self.plans[0]
            page = render_plan_body(
                single,
                link.get(single.plan_id, ""),
                limit,
                files.original,
                dropped_by=files.dropped_by,
                dry_run=self.dry_run,
            )
            if page is not None:
                return page
            return fit_body(
                files.plan_md,
                f"in [`{files.md_path}`]({link.get(single.plan_id, '')}) in this pull request",
                limit,
            )
        head = self.summary_markdown(link)
        failures = self.failures_markdown()
        if failures:
            head += "\n" + failures
        if any(files.plan.plan_id in link for files in self.plans):
            head += "\n" + self.boilerplate_markdown()
        budget = limit - body_margin(limit)
        pages = [files for files in self.ranked() if files.plan.plan_id in link]
        view = {"boilerplate": False, "dry_run": self.dry_run}
        minimum = {
            f.plan.plan_id: len(
                render_plan_body_minimum(
                    f.plan,
                    link[f.plan.plan_id],
                    f.original,
                    dropped_by=f.dropped_by,
                    **view,  # type: ignore[arg-type]
                )
            )
            + 7
            for f in pages
        }
        left_out: list[PlanFiles] = []
        # The largest pages give way first, until every other page's always-present parts fit.
        while (
            pages
            and len(head) + sum(minimum[f.plan.plan_id] for f in pages) + 200 * (len(left_out) + 1) > budget
        ):
            largest = max(pages, key=lambda f: (minimum[f.plan.plan_id], f.plan.plan_id))
            pages.remove(largest)
            left_out.append(largest)
        text = head
        for index, files in enumerate(pages):
            later = sum(minimum[f.plan.plan_id] for f in pages[index + 1 :])
            room = budget - 200 * len(left_out) - len(text) - later
            shortened = render_plan_body(
                files.plan,
                link[files.plan.plan_id],
                room - 7,
                files.original,
                fill_kept=False,
                dropped_by=files.dropped_by,
                **view,  # type: ignore[arg-type]
            )
            if shortened is None:  # not expected: its minimum was reserved
                left_out.append(files)
                continue
            text += f"\n---\n\n{shortened}"
        if left_out:
            notes = [
                f"> - {self._account(f.plan.account_id)}:"
                f" [{markdown_code(f.md_path)}]({link[f.plan.plan_id]}) ({len(f.plan_md):,} characters)"
                for f in sorted(
                    left_out,
                    key=lambda f: _rank(
                        f.plan.summary.estimated_monthly_savings_usd, f.plan.account_id, f.plan.plan_id
                    ),
                )
            ]
            text += (
                "\n---\n\n> [!NOTE]\n> These review pages do not fit in this body (GitHub allows"
                f" {limit:,} characters); they are in this pull request's files:\n" + "\n".join(notes) + "\n"
            )
        return fit_body(text, "in the plan files of this pull request", limit)

    def people_commented(self) -> str:
        single = self.single
        if single is not None:
            return _single_people_commented(single)
        ids = ", ".join(f"`{i}`" for i in self.plan_ids)
        news = (
            f"A newer scan proposes plans {ids}: {self.summary_line()}."
            if self.delete_count
            else f"A newer scan (plans {ids}) found no SnapStart version to delete ({self.keep_count} kept)."
        )
        failures = f"\n\n{self.failures_markdown()}" if self.failed else ""
        return (
            f"{news}{failures}\n\nThis pull request has commits by people, so snapstart-cleaner did not"
            " overwrite it. Merge it (every version is re-verified against live AWS before deletion) or"
            " close it; the next scan then opens a fresh plan pull request."
        )

    def closing_comment(self) -> str:
        single = self.single
        if single is not None:
            return _single_closing_comment(single)
        return (
            f"Closing: the newest scan (plans {', '.join(f'`{i}`' for i in self.plan_ids)}) found no"
            f" SnapStart version to delete in any account ({self.keep_count} kept), so this plan is out"
            " of date. A new pull request opens when a scan finds candidates again."
        )

    def failed_and_nothing_to_delete(self) -> str:
        return (
            f"The newest scan (plans {', '.join(f'`{i}`' for i in self.plan_ids)}) found no SnapStart"
            " version to delete in the accounts it could scan, but some could not be scanned, so this"
            f" pull request stays open.\n\n{self.failures_markdown()}"
        )


def summary_line(plan: Plan) -> str:
    s = plan.summary
    return (
        f"**{_plural(s.delete_count, 'SnapStart version')} to delete** in"
        f" {_plural(s.functions_with_deletions, 'function')}, estimated savings"
        f" **{usd(s.estimated_monthly_savings_usd)} / month**; {s.keep_count} kept"
    )


def _single_people_commented(plan: Plan) -> str:
    if plan.delete:
        news = f"A newer scan proposes plan `{plan.plan_id}`: {summary_line(plan)}."
    else:
        news = (
            f"A newer scan (plan `{plan.plan_id}`) found no SnapStart version to delete"
            f" ({plan.summary.keep_count} kept)."
        )
    return (
        f"{news} Scanned {plan.created_at:%Y-%m-%d %H:%M UTC}.\n\n"
        "This pull request has commits by people, so snapstart-cleaner did not overwrite it. Merge it (every"
        " version is re-verified against live AWS before deletion) or close it; the next scan then opens a"
        " fresh plan pull request."
    )


def _single_closing_comment(plan: Plan) -> str:
    return (
        f"Closing: the newest scan (plan `{plan.plan_id}`, {plan.created_at:%Y-%m-%d %H:%M UTC}) found no"
        f" SnapStart version to delete ({plan.summary.keep_count} kept), so this plan is out of date. A new"
        " pull request opens when a scan finds candidates again."
    )
