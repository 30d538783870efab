"""Earlier merged plans, read from the scan's checkout without a GitHub call (issue 20): each plan folder
on the default branch with the day of the commit that added its plan.json on the first-parent line
(the pull request's merge commit), and nothing dated from a checkout without history."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from cleaner.commands.merged_plans import merged_plan_history
from cleaner.plan import plan_json_text

from .factories import ACCOUNT_ID, sample_plan

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repository: Path, *args: str, when: str = "2026-10-03T09:00:00+00:00") -> None:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": "2026-09-01T09:00:00+00:00",  # the plan's branch was written long before
        "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_GLOBAL": "/dev/null",
    }
    subprocess.run(["git", *args], cwd=repository, check=True, capture_output=True, env=environment)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """main with plan 20261101T120000Z merged through a merge commit on 2026-10-03, and a plan branch
    not merged."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("x\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "start", when="2026-09-01T09:00:00+00:00")
    git(repo, "checkout", "-q", "-b", "plan")
    plan = sample_plan()
    folder = repo / "plans" / plan.plan_id
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text(plan_json_text(plan))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "plan", when="2026-09-20T09:00:00+00:00")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "plan", "-m", "Merge plan", when="2026-10-03T09:00:00+00:00")
    return repo


def test_a_merged_plan_is_dated_by_its_merge_commit_with_its_estimate(repository: Path) -> None:
    history = merged_plan_history(repository, repository / "plans")
    assert history.notes == ()
    [(account, merged)] = history.merged
    plan = sample_plan()
    assert account == ACCOUNT_ID
    assert merged.plan_id == plan.plan_id
    assert merged.merged_on == date(2026, 10, 3)  # the merge, not the branch's commit of 2026-09-20
    assert merged.estimated_monthly_savings_usd == plan.summary.estimated_monthly_savings_usd
    assert merged.regions == plan.regions


def test_a_plan_folder_not_committed_on_the_branch_is_not_merged(repository: Path) -> None:
    stray = repository / "plans" / "local" / "plan.json"
    stray.parent.mkdir()
    stray.write_text(plan_json_text(sample_plan().model_copy(update={"plan_id": "local"})))
    assert [m.plan_id for _, m in merged_plan_history(repository, repository / "plans").merged] == [
        "20261101T120000Z"
    ]


def test_a_shallow_checkout_dates_nothing_and_says_so(repository: Path, tmp_path: Path) -> None:
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repository}", str(shallow)],
        check=True,
        capture_output=True,
    )
    history = merged_plan_history(shallow, shallow / "plans")
    assert history.merged == ()
    [note] = history.notes
    assert "no history to date their merges" in note


def test_a_folder_that_is_not_a_checkout_dates_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "plans" / "p1"
    folder.mkdir(parents=True)
    (folder / "plan.json").write_text(plan_json_text(sample_plan()))
    history = merged_plan_history(tmp_path, tmp_path / "plans")
    assert history.merged == () and len(history.notes) == 1


def test_no_plans_no_history(tmp_path: Path) -> None:
    assert merged_plan_history(tmp_path, tmp_path / "plans").merged == ()
