"""`open-pr PLAN_DIR` end to end in-process: the real CLI and PyGithub against the fake GitHub API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from fakes.cli import Run
from fakes.github_server import BODY_LIMIT, BOT, FakeGitHub
from fakes.plans import as_plan_md, make_plan, write_plan

from cleaner.exit_codes import ExitCode
from cleaner.github.body import fit_body
from cleaner.plan import Plan

BRANCH = "snapstart-cleaner/plan"
RunCli = Callable[..., Run]  # the `run_cli` fixture


def open_pr(run_cli: RunCli, tmp_path: Path, plan: Plan) -> dict[str, object]:
    """Write the plan like `scan` does and run `open-pr --format json` on it; returns its report."""
    result = run_cli("open-pr", str(write_plan(tmp_path, plan)), "--format", "json")
    assert result.code == ExitCode.OK, result.stderr
    report: dict[str, object] = json.loads(result.stdout)
    return report


def plan_files(fake: FakeGitHub, ref: str, plan_id: str) -> tuple[str | None, str | None]:
    return fake.file_at(ref, f"plans/{plan_id}/plan.json"), fake.file_at(ref, f"plans/{plan_id}/plan.md")


def test_first_plan_opens_a_labelled_pr_with_one_bot_commit_on_the_default_branch(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    fake_github.add_user("bob")
    fake_github.teams.add("platform")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cleaner]\nreviewers = ["bob"]\nteam_reviewers = ["platform"]\npr_labels = ["cleanup", "aws"]\n'
    )
    plan = make_plan("p1", delete=3)
    plan_dir = write_plan(tmp_path, plan)
    main_head = fake_github.refs["heads/main"]

    result = run_cli("open-pr", "plans/p1")

    assert result.code == ExitCode.OK, result.stderr
    assert "created PR #1" in result.stdout
    pull = fake_github.pulls[1]
    assert (pull.state, pull.head, pull.base) == ("open", BRANCH, "main")
    assert as_plan_md(pull.body) == (plan_dir / "plan.md").read_text()
    assert "p1" in pull.title and "3 versions" in pull.title
    assert pull.labels == ["cleanup", "aws"]
    assert (pull.requested_reviewers, pull.requested_teams) == (["bob"], ["platform"])
    [commit] = fake_github.pull_commits(1)
    assert commit.parents == [main_head]
    # No identity written by hand: GitHub attributes the commit to the App and signs it.
    assert commit.user == BOT and commit.committer_user == BOT
    assert (commit.verified, commit.reason) == (True, "valid")
    assert plan_files(fake_github, BRANCH, "p1") == (
        (plan_dir / "plan.json").read_text(),
        (plan_dir / "plan.md").read_text(),
    )
    assert fake_github.file_at(BRANCH, "README.md") == "# infra\n"  # built on the default branch's tree


def test_a_new_scan_replaces_the_plan_of_a_bot_only_pr(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    open_pr(run_cli, tmp_path, make_plan("p1", delete=3))
    fake_github.commit_files("main", {"src/app.py": "print()\n"})  # the default branch moves on
    newer = make_plan("p2", delete=5)

    report = open_pr(run_cli, tmp_path, newer)

    assert (report["action"], report["number"]) == ("updated", 1)
    assert len(fake_github.pulls) == 1
    [commit] = fake_github.pull_commits(1)  # still one commit, now on the new default head
    assert commit.parents == [fake_github.refs["heads/main"]]
    assert plan_files(fake_github, BRANCH, "p1") == (None, None)  # the PR carries only the new plan
    assert plan_files(fake_github, BRANCH, "p2")[0] == (tmp_path / "plans/p2/plan.json").read_text()
    pull = fake_github.pulls[1]
    assert as_plan_md(pull.body) == (tmp_path / "plans/p2/plan.md").read_text()
    assert "p2" in pull.title and "5 versions" in pull.title


def test_a_pr_someone_pushed_to_is_never_overwritten_the_new_scan_is_commented(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    open_pr(run_cli, tmp_path, make_plan("p1", delete=3))
    body_before = fake_github.pulls[1].body
    edited = fake_github.commit_files(BRANCH, {"plans/p1/plan.json": "{}\n"}, message="Keep fn-000:2")

    report = open_pr(run_cli, tmp_path, make_plan("p2", delete=5))

    assert (report["action"], report["number"]) == ("commented", 1)
    assert fake_github.refs[f"heads/{BRANCH}"] == edited
    assert fake_github.pulls[1].body == body_before
    [comment] = fake_github.pulls[1].comments
    assert "plan `p2`" in comment.body and "5 SnapStart versions to delete" in comment.body
    assert "commits by people" in comment.body


def test_a_human_commit_counts_even_when_it_reuses_the_bot_name(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    open_pr(run_cli, tmp_path, make_plan("p1"))
    # The bot's name written into a commit by hand, with an e-mail GitHub maps to nobody.
    fake_github.commit_files(
        BRANCH, {"plans/p1/plan.md": "x\n"}, name="github-actions[bot]", email="alice@example.com"
    )

    assert open_pr(run_cli, tmp_path, make_plan("p2"))["action"] == "commented"


def test_a_commit_pushed_with_the_bots_email_is_not_ours(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    open_pr(run_cli, tmp_path, make_plan("p1"))
    # The App's own no-reply e-mail typed into a pushed commit: GitHub attributes the commit to the App,
    # but did not sign it, so it is a person's.
    fake_github.commit_files(
        BRANCH,
        {"plans/p1/plan.md": "x\n"},
        name="snapstart-cleaner[bot]",
        email="snapstart-cleaner[bot]@users.noreply.github.com",
    )

    assert open_pr(run_cli, tmp_path, make_plan("p2"))["action"] == "commented"


def test_nothing_to_delete_and_no_pr_opens_nothing(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    report = open_pr(run_cli, tmp_path, make_plan("p1", delete=0, keep=4))

    assert (report["action"], report["number"]) == ("nothing", None)
    assert fake_github.pulls == {}
    assert f"heads/{BRANCH}" not in fake_github.refs


def test_nothing_to_delete_closes_a_bot_only_pr_with_a_comment_saying_why(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    open_pr(run_cli, tmp_path, make_plan("p1", delete=3))

    report = open_pr(run_cli, tmp_path, make_plan("p2", delete=0, keep=4))

    assert (report["action"], report["number"]) == ("closed", 1)
    pull = fake_github.pulls[1]
    assert pull.state == "closed" and pull.merged_at is None
    [comment] = pull.comments
    assert "plan `p2`" in comment.body and "found no SnapStart version to delete" in comment.body
    assert f"heads/{BRANCH}" not in fake_github.refs


def test_nothing_to_delete_leaves_a_pr_with_human_commits_open_and_comments(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    open_pr(run_cli, tmp_path, make_plan("p1", delete=3))
    fake_github.commit_files(BRANCH, {"plans/p1/plan.json": "{}\n"})

    report = open_pr(run_cli, tmp_path, make_plan("p2", delete=0, keep=4))

    assert report["action"] == "commented"
    assert fake_github.pulls[1].state == "open"
    assert "found no SnapStart version to delete" in fake_github.pulls[1].comments[0].body


def test_after_a_merge_the_next_plan_opens_a_fresh_pr_from_the_new_default_head(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    open_pr(run_cli, tmp_path, make_plan("p1"))
    fake_github.review(1, "bob")
    merge = fake_github.merge(1)  # the merged PR's branch is left behind

    report = open_pr(run_cli, tmp_path, make_plan("p2"))

    assert (report["action"], report["number"]) == ("created", 2)
    [commit] = fake_github.pull_commits(2)
    assert commit.parents == [merge]
    assert plan_files(fake_github, BRANCH, "p1")[0] is not None  # merged earlier: part of main now


def test_a_plan_too_long_for_a_pr_body_is_cut_with_a_pointer_to_plan_md(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    plan = make_plan("big", delete=5_000, keep=600, functions=40)
    full_markdown_length = len(write_plan(tmp_path, plan).joinpath("plan.md").read_text())
    assert full_markdown_length > BODY_LIMIT  # the fake refuses such a body, like GitHub

    report = open_pr(run_cli, tmp_path, plan)

    assert report["action"] == "created"
    body = fake_github.pulls[1].body or ""
    assert len(body) < BODY_LIMIT
    assert body.startswith("# SnapStart Cleaner plan `big`")
    assert f"{fake_github.url}/acme/infra/blob/{BRANCH}/plans/big/plan.md" in body
    assert body.count("<details>") == body.count("</details>")
    # The page is built for the limit: every always-present part is there, only function rows are cut.
    for part in ("## On merge", "## To delete", "## How to keep a version", "## Kept", "## Settings used"):
        assert part in body, part
    assert "Shortened to fit GitHub's limit" in body.split("## On merge")[0]
    assert len(fake_github.file_at(BRANCH, "plans/big/plan.md") or "") == full_markdown_length


def test_fit_body_keeps_short_text_and_closes_what_a_cut_leaves_open() -> None:
    assert fit_body("short\n", "in x") == "short\n"
    text = "intro\n<details>\n<summary>s</summary>\n\n```\n" + "line\n" * 100
    cut = fit_body(text, "in `plan.md`", limit=300)
    assert len(cut) <= 300
    assert cut.count("```") == 2 and cut.count("</details>") == 1
    assert cut.rstrip().endswith("The full text is in `plan.md`.")


def test_github_refusing_actions_prs_exits_3_saying_how_to_allow_it(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    fake_github.forbid_pull_creation = True

    result = run_cli("open-pr", str(write_plan(tmp_path, make_plan("p1"))))

    assert result.code == ExitCode.ACCESS_ERROR
    assert "POST /repos/acme/infra/pulls: 403 GitHub Actions is not permitted" in result.stderr
    assert "Settings > Actions > General > Workflow permissions" in result.stderr
    assert "GitHub App installation token" in result.stderr
    assert fake_github.pulls == {}


def test_review_requests_github_refuses_are_warnings_and_the_pr_stays(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.cleaner]\nreviewers = ["stranger"]\n')

    result = run_cli("open-pr", str(write_plan(tmp_path, make_plan("p1"))))

    assert result.code == ExitCode.OK
    assert "warning: could not request reviews" in result.stderr and "not a collaborator" in result.stderr
    assert fake_github.pulls[1].state == "open"


def test_missing_github_environment_exits_2_naming_the_variable(run_cli: RunCli, tmp_path: Path) -> None:
    plan_dir = write_plan(tmp_path, make_plan("p1"))

    result = run_cli("open-pr", str(plan_dir), environ={"GITHUB_REPOSITORY": "acme/infra"})

    assert result.code == ExitCode.BAD_INPUT
    assert "GITHUB_TOKEN not set" in result.stderr


def test_a_rejected_token_exits_3_naming_the_call(
    run_cli: RunCli, tmp_path: Path, github_environ: dict[str, str]
) -> None:
    plan_dir = write_plan(tmp_path, make_plan("p1"))

    result = run_cli("open-pr", str(plan_dir), environ={**github_environ, "GITHUB_TOKEN": "expired"})

    assert result.code == ExitCode.ACCESS_ERROR
    assert "GET /repos/acme/infra: 401 Bad credentials" in result.stderr


def test_a_stale_plan_md_is_refused_before_any_github_call(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    plan_dir = write_plan(tmp_path, make_plan("p1"))
    (plan_dir / "plan.md").write_text("# edited by hand\n")
    requests_before = len(fake_github.requests)

    result = run_cli("open-pr", str(plan_dir))

    assert result.code == ExitCode.BAD_INPUT
    assert "plan.md is not the rendering of plan.json" in result.stderr
    assert len(fake_github.requests) == requests_before


def test_a_token_whose_commits_github_does_not_sign_opens_nothing(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub, github_environ: dict[str, str]
) -> None:
    # A personal token (the set-up of earlier releases): its commits are not signed, so apply could
    # never tell them from a writer's.
    fake_github.add_user("acme-cleaner-bot")
    write_plan(tmp_path, make_plan("p1", delete=3))

    result = run_cli(
        "open-pr", "plans/p1", environ={**github_environ, "GITHUB_TOKEN": "acme-cleaner-bot-token"}
    )

    assert result.code == ExitCode.ACCESS_ERROR, result.stdout
    assert "not signed by GitHub" in result.stderr and "GitHub App's installation token" in result.stderr
    assert fake_github.pulls == {} and f"heads/{BRANCH}" not in fake_github.refs
