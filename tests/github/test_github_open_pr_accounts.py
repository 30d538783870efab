"""`open-pr PLAN_DIR...` for an organisation, in-process against the fake GitHub: one PR for every
account's plan, the organisation summary first (sorted by savings), failed accounts named, the body
within GitHub's limit, and the single-plan rules (replace, never clobber people, close) for the set."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fakes.cli import Run
from fakes.github_server import BODY_LIMIT, FakeGitHub
from fakes.plans import ACCOUNT_ID, as_plan_md, make_plan, write_plan

from cleaner.exit_codes import ExitCode
from cleaner.plan import Plan

BRANCH = "snapstart-cleaner/plan"
RunCli = Callable[..., Run]
PROD, STAGE = "111111111111", "222222222222"


def in_account(plan: Plan, account_id: str) -> Plan:
    """The same plan, scanned in another account."""
    return Plan.model_validate_json(plan.model_dump_json().replace(ACCOUNT_ID, account_id))


def settings(tmp_path: Path) -> None:
    accounts = "".join(
        f'[[tool.cleaner.accounts]]\nid = "{account}"\nname = "{name}"\n'
        f'scan_role_arn = "arn:aws:iam::{account}:role/s"\napply_role_arn = "arn:aws:iam::{account}:role/a"\n'
        for account, name in ((PROD, "prod"), (STAGE, "stage"), ("333333333333", "sandbox"))
    )
    (tmp_path / "pyproject.toml").write_text(f"[tool.cleaner]\n{accounts}", encoding="utf-8")


def org_run(tmp_path: Path, run_id: str, prod: int, stage: int) -> list[str]:
    """Two accounts' plans of one run, written like the open-pr job lays out the downloaded artifacts."""
    folders = []
    for account, count in ((STAGE, stage), (PROD, prod)):
        plan = in_account(make_plan(f"{run_id}-{account}", delete=count, keep=1), account)
        folders.append(str(write_plan(tmp_path, plan).relative_to(tmp_path)))
    return folders


def open_pr(run_cli: RunCli, *argv: str) -> dict[str, object]:
    result = run_cli("open-pr", *argv, "--format", "json")
    assert result.code == ExitCode.OK, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


FAILED = "--failed-account=333333333333=exit 3: could not assume arn:aws:iam::333333333333:role/s"


def test_one_pr_carries_every_accounts_plan_with_the_organisation_summary_first(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings(tmp_path)
    folders = org_run(tmp_path, "r1", prod=5, stage=2)

    report = open_pr(run_cli, *folders, FAILED)

    assert (report["action"], report["number"]) == ("created", 1)
    assert report["plan_ids"] == [f"r1-{STAGE}", f"r1-{PROD}"]
    assert report["failed_accounts"] == ["333333333333"]
    pull = fake_github.pulls[1]
    # The first plan id in sorted order, whatever the folders' order: a rebuild names the same one.
    assert (
        pull.title == "SnapStart cleanup: delete 7 versions in 2 accounts (~$27.30/month),"
        " plans r1-111111111111 and 1 more"
    )
    assert len(fake_github.pull_commits(1)) == 1  # one commit adds both plan folders
    for folder in folders:
        assert (
            fake_github.file_at(BRANCH, f"{folder}/plan.json")
            == (tmp_path / folder / "plan.json").read_text()
        )
    body = pull.body
    assert body.startswith(
        "# SnapStart Cleaner: 3 accounts\n\n**7 SnapStart versions to delete** in 2 accounts"
    )
    summary = body.split("\n---\n")[0]
    rows = [line for line in summary.splitlines() if line.startswith("| ") and "`" in line]
    # Sorted by savings: prod (5 versions) before stage (2); the failed account last, not scanned.
    assert [row.split(" | ")[0] for row in rows] == ["| prod", "| stage", "| sandbox"]
    assert rows[0].startswith(f"| prod | `{PROD}` | 5 | $19.50 | 1 | 0 | [`plan.md`](")
    assert "| not scanned |" in rows[2]
    assert "> **1 account could not be scanned**" in body
    assert "> - sandbox (`333333333333`): exit 3: could not assume arn:aws:iam::333333333333:role/s" in body
    # Then each account's review page, in the same order.
    pages = [f"# SnapStart Cleaner plan `r1-{account}`" for account in (PROD, STAGE)]
    assert body.index(pages[0]) < body.index(pages[1])


def test_the_set_is_replaced_while_ours_then_commented_once_a_person_pushed(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings(tmp_path)
    open_pr(run_cli, *org_run(tmp_path, "r1", prod=5, stage=2))
    second = open_pr(run_cli, *org_run(tmp_path, "r2", prod=1, stage=3))
    assert (second["action"], second["number"]) == ("updated", 1)
    assert fake_github.file_at(BRANCH, f"plans/r1-{PROD}/plan.json") is None  # the old run's plans are gone
    assert fake_github.file_at(BRANCH, f"plans/r2-{STAGE}/plan.json") is not None
    assert fake_github.pulls[1].body.startswith("# SnapStart Cleaner: 2 accounts\n\n**4 SnapStart versions")

    edited = fake_github.commit_files(BRANCH, {f"plans/r2-{STAGE}/plan.md": "x\n"}, message="review")
    third = open_pr(run_cli, *org_run(tmp_path, "r3", prod=1, stage=1), FAILED)
    assert (third["action"], third["number"]) == ("commented", 1)
    assert fake_github.refs[f"heads/{BRANCH}"] == edited
    comment = fake_github.pulls[1].comments[-1].body
    assert f"A newer scan proposes plans `r3-{STAGE}`, `r3-{PROD}`" in comment
    assert "sandbox (`333333333333`)" in comment and "commits by people" in comment


def test_nothing_left_in_any_account_closes_the_pr_but_not_while_an_account_failed(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings(tmp_path)
    open_pr(run_cli, *org_run(tmp_path, "r1", prod=5, stage=2))

    with_failure = open_pr(run_cli, *org_run(tmp_path, "r2", prod=0, stage=0), FAILED)
    assert with_failure["action"] == "commented"
    assert fake_github.pulls[1].state == "open"
    assert (
        "some could not be scanned, so this pull request stays open" in fake_github.pulls[1].comments[-1].body
    )

    closed = open_pr(run_cli, *org_run(tmp_path, "r3", prod=0, stage=0))
    assert closed["action"] == "closed"
    assert fake_github.pulls[1].state == "closed"
    assert "in any account (2 kept)" in fake_github.pulls[1].comments[-1].body


def test_an_account_with_nothing_to_delete_is_summarised_but_not_committed(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings(tmp_path)
    open_pr(run_cli, *org_run(tmp_path, "r1", prod=3, stage=0))
    assert fake_github.file_at(BRANCH, f"plans/r1-{STAGE}/plan.json") is None
    assert f"| stage | `{STAGE}` | 0 | $0.00 | 1 | 0 | — |" in fake_github.pulls[1].body


def test_review_pages_that_do_not_fit_the_body_are_linked(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    settings(tmp_path)
    folders = []
    for account in (PROD, STAGE):
        plan = in_account(make_plan(f"big-{account}", delete=200, keep=1, functions=200), account)
        folders.append(str(write_plan(tmp_path, plan).relative_to(tmp_path)))
    page = (tmp_path / folders[0] / "plan.md").read_text()
    assert BODY_LIMIT / 2 < len(page) < BODY_LIMIT  # one fits, two do not

    open_pr(run_cli, *folders)

    body = fake_github.pulls[1].body
    assert len(body) <= BODY_LIMIT
    assert body.count("| 200 |") == 2  # both accounts in the summary
    # The room is shared: each page keeps its index of every function, its rows are cut.
    assert "These review pages do not fit in this body" not in body
    for account in (PROD, STAGE):
        page = body.split(f"# SnapStart Cleaner plan `big-{account}`")[1].split("\n---\n")[0]
        assert "Shortened to fit GitHub's limit" in page
        assert all(f"| `fn-{f:03d}` |" in page for f in range(200))


def test_a_single_plan_without_failures_is_todays_pull_request(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    plan_dir = write_plan(tmp_path, make_plan("p1", delete=3))
    report = open_pr(run_cli, "plans/p1")
    assert (report["plan_id"], report["plan_ids"], report["failed_accounts"]) == ("p1", ["p1"], [])
    assert as_plan_md(fake_github.pulls[1].body) == (plan_dir / "plan.md").read_text()
    assert fake_github.pulls[1].title == "SnapStart cleanup: delete 3 versions (~$11.70/month), plan p1"


def test_a_failed_account_must_be_id_equals_message(run_cli: RunCli, tmp_path: Path) -> None:
    write_plan(tmp_path, make_plan("p1"))
    result = run_cli("open-pr", "plans/p1", "--failed-account", "prod: it broke")
    assert result.code == ExitCode.BAD_INPUT
    assert "expected ID=MESSAGE" in result.stderr
