"""The plans merged on the default branch, as the scan's checkout of it shows them: each plan folder
under `plans/` with its plan.json, and the day the commit that added that plan.json landed on the
branch (`git log --first-parent`: the merge commit of its pull request). No GitHub call is made: the
scan job checks the default branch out with its history (scan.yml, `fetch-depth: 0`).

A checkout without history (shallow, or no git at all) cannot date a merge: the page says so and shows
the bill without measured changes, rather than a date that is not the merge's."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from cleaner.exit_codes import BadInputError
from cleaner.plan import PLAN_JSON, load_plan
from cleaner.savings import MergedPlan, PlanHistory

GIT_TIMEOUT_SECONDS = 30


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def merge_days(repository: Path, plans_dir: Path) -> dict[str, date] | None:
    """Plan folder name -> the day its plan.json was added on the current branch's first-parent line;
    None when the history cannot tell (not a git checkout, or a shallow one)."""
    shallow = _git(repository, "rev-parse", "--is-shallow-repository")
    if shallow is None or shallow.strip() != "false":
        return None
    try:
        relative = plans_dir.resolve().relative_to(repository.resolve())
    except ValueError:
        return None  # --plans-dir outside the checkout: not the default branch's plans
    log = _git(
        repository,
        "log",
        "--first-parent",
        "--diff-filter=A",
        "--format=@%cs",
        "--name-only",
        "--",
        f"{relative.as_posix()}/*/{PLAN_JSON}",
    )
    if log is None:
        return None
    days: dict[str, date] = {}
    current: date | None = None
    for line in log.splitlines():
        if line.startswith("@"):
            current = date.fromisoformat(line[1:])
        elif line.strip() and current is not None:
            folder = Path(line).parent.name
            days.setdefault(folder, current)  # newest first: keep the latest addition
    return days


def merged_plan_history(repository: Path, plans_dir: Path) -> PlanHistory:
    folders = sorted(p.parent for p in plans_dir.glob(f"*/{PLAN_JSON}")) if plans_dir.is_dir() else []
    if not folders:
        return PlanHistory()
    days = merge_days(repository, plans_dir)
    if days is None:
        return PlanHistory(
            notes=(
                f"{len(folders)} earlier plans are in {plans_dir.name}/ but the checkout has no history to"
                " date their merges (a shallow clone): their measured change is not shown",
            )
        )
    merged: list[tuple[str, MergedPlan]] = []
    unreadable = 0
    for folder in folders:
        day = days.get(folder.name)
        if day is None:
            continue  # not committed on this branch: not merged
        try:
            plan = load_plan(folder / PLAN_JSON)
        except BadInputError:
            unreadable += 1
            continue
        merged.append(
            (
                plan.account_id,
                MergedPlan(
                    plan_id=plan.plan_id,
                    merged_on=day,
                    regions=plan.regions,
                    estimated_monthly_savings_usd=plan.summary.estimated_monthly_savings_usd,
                ),
            )
        )
    notes: tuple[str, ...] = ()
    if unreadable:
        notes = (f"{unreadable} merged plan.json files could not be read: left out of the bill",)
    return PlanHistory(merged=tuple(merged), notes=notes)
