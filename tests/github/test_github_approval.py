"""`check_approval`: the two-person rule established through the GitHub API alone (real PyGithub, fake
GitHub): the merge, the files the PR changed, the scan artifact's provenance, who wrote the PR's
commits, and who approved the plan as merged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.github_server import BOT, FakeGitHub, User
from fakes.plans import make_plan, write_plan
from github.Repository import Repository

from cleaner.commands.open_pr import read_plan_files
from cleaner.github.approval import Approval, check_approval, comment_on_pr
from cleaner.github.client import GitHubTarget
from cleaner.github.plan_pr import publish_plan
from cleaner.github.refresh import refresh_description
from cleaner.plan import Plan, parse_plan
from cleaner.settings import ApplyLimits, GitHubSettings, Settings

PLAN = "plans/p1/plan.json"
PLAN_MD = "plans/p1/plan.md"
BRANCH = "snapstart-cleaner/plan"


@pytest.fixture
def target(github_environ: dict[str, str]) -> GitHubTarget:
    return GitHubTarget.from_environ(github_environ)


@pytest.fixture
def scanned_dir(tmp_path: Path) -> Path:
    return write_plan(tmp_path / "scan-job", make_plan("p1", delete=3))


@pytest.fixture
def plan_pr(repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, scanned_dir: Path) -> int:
    """The plan PR as the scan workflow makes it: artifact `plan-p1` uploaded by a scheduled run of
    scan.yml on main, then open-pr (as github-actions[bot]); bob and carol may approve."""
    fake_github.add_user("bob")
    fake_github.add_user("carol")
    fake_github.upload_plan_artifact(scanned_dir)
    result = publish_plan(repo, read_plan_files(scanned_dir, "plans"), GitHubSettings())
    assert result.number is not None
    return result.number


def merged_plan(fake: FakeGitHub, sha: str, path: str = PLAN) -> Plan:
    text = fake.file_at(sha, path)
    assert text is not None, f"{path} is not in {sha}"
    return parse_plan(text, path)


def approve(
    repo: Repository,
    target: GitHubTarget,
    fake: FakeGitHub,
    sha: str,
    required: int = 1,
    path: str = PLAN,
    bot_logins: tuple[str, ...] = (),
    plan: Plan | None = None,
) -> Approval:
    if plan is None:
        known = sha in fake.commits and fake.file_at(sha, path) is not None
        plan = merged_plan(fake, sha, path) if known else make_plan("p1")
    settings = Settings(
        apply=ApplyLimits(required_approvals=required), github=GitHubSettings(bot_logins=list(bot_logins))
    )
    return check_approval(repo, target, sha, path, plan, settings)


def plan_pr_by_hand(fake: FakeGitHub, scanned_dir: Path, opener: str, pusher: User) -> int:
    """A PR that `opener` opens from a branch where `pusher` committed the scanner's plan."""
    fake.commit_files(f"{opener}/plan", {PLAN: (scanned_dir / "plan.json").read_text()}, user=pusher)
    return fake.open_pull(f"{opener}/plan", "main", login=opener)


def edited_plan_text(scanned_dir: Path, keep_versions: int) -> str:
    """The scanner's plan with only the first `keep_versions` deletions left (a reviewer's removal)."""
    plan = parse_plan((scanned_dir / "plan.json").read_text(), "plan.json")
    edited = plan.model_copy(update={"delete": plan.delete[:keep_versions]}).with_derived_summary()
    return edited.model_dump_json(indent=2) + "\n"


def test_a_merged_pr_approved_after_the_last_plan_edit_is_approved(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    merge = fake_github.merge(plan_pr)

    approval = approve(repo, target, fake_github, merge)

    assert approval.ok, approval.reason
    assert (approval.pr_number, approval.approvers) == (plan_pr, ["bob"])
    assert f"PR #{plan_pr}" in approval.reason and "approved by bob" in approval.reason
    assert "artifact `plan-p1` of scan run" in approval.reason
    assert [r.name for r in approval.requirements] == [
        "merged_pull_request",
        "only_plan_files",
        "applied_once",
        "provenance",
        "attributable_commits",
        "verified_bot_commits",
        "approvals",
        "page_is_the_plan",
    ]
    assert all(r.ok for r in approval.requirements)


def test_a_squash_merge_is_approved_like_a_merge_commit(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")

    assert approve(repo, target, fake_github, fake_github.merge(plan_pr, method="squash")).ok


def test_a_merge_without_any_review_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok
    assert approval.pr_number == plan_pr
    assert "0 of 1 required approving reviews" in approval.reason


def test_the_pr_authors_own_approval_does_not_count(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, scanned_dir: Path
) -> None:
    fake_github.upload_plan_artifact(scanned_dir)
    number = plan_pr_by_hand(fake_github, scanned_dir, "alice", fake_github.add_user("alice"))
    fake_github.review(number, "alice")

    approval = approve(repo, target, fake_github, fake_github.merge(number))

    assert not approval.ok
    assert "alice opened the pull request" in approval.reason


@pytest.mark.parametrize(
    ("login", "account_type"), [("helper-app[bot]", "Bot"), ("renovate", "Bot"), ("ci[bot]", "User")]
)
def test_a_bot_approval_does_not_count(
    repo: Repository,
    target: GitHubTarget,
    fake_github: FakeGitHub,
    plan_pr: int,
    login: str,
    account_type: str,
) -> None:
    fake_github.review(plan_pr, login, type=account_type)

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok
    assert f"{login} is a bot" in approval.reason


def test_an_approval_by_a_configured_bot_login_does_not_count(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    # The PR token's account is an ordinary user to GitHub: only `bot_logins` says what it is.
    fake_github.add_user("cleaner-bot")
    fake_github.review(plan_pr, "cleaner-bot")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr), bot_logins=("cleaner-bot",))

    assert not approval.ok
    assert "cleaner-bot is a bot" in approval.reason


def test_an_approval_of_an_earlier_version_of_the_plan_does_not_count(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, scanned_dir: Path
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.commit_files(
        BRANCH, {PLAN: edited_plan_text(scanned_dir, 2)}, user=fake_github.users["carol"]
    )

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok
    assert "bob approved an earlier version of `plans/p1/plan.json`" in approval.reason


def test_an_approval_after_the_edit_counts_even_if_an_earlier_one_did_not(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, scanned_dir: Path
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.commit_files(
        BRANCH, {PLAN: edited_plan_text(scanned_dir, 2)}, user=fake_github.users["carol"]
    )
    refresh_description(repo, Settings(), plan_pr)  # plan-check, after the push
    fake_github.review(plan_pr, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert approval.ok, approval.reason
    assert "1 dropped in review" in approval.reason


def test_commits_that_leave_the_plan_file_unchanged_keep_the_approval(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.commit_files(BRANCH, {PLAN_MD: "re-rendered\n"}, user=fake_github.users["carol"])

    assert approve(repo, target, fake_github, fake_github.merge(plan_pr)).ok


@pytest.mark.parametrize(
    ("later_state", "ok"), [("CHANGES_REQUESTED", False), ("DISMISSED", False), ("COMMENTED", True)]
)
def test_a_reviewers_latest_verdict_is_what_counts(
    repo: Repository,
    target: GitHubTarget,
    fake_github: FakeGitHub,
    plan_pr: int,
    later_state: str,
    ok: bool,
) -> None:
    fake_github.review(plan_pr, "bob", "APPROVED")
    fake_github.review(plan_pr, "bob", later_state)

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert approval.ok is ok
    if not ok:
        assert f"bob's latest review is {later_state.lower().replace('_', ' ')}" in approval.reason


def test_an_approval_by_someone_without_write_access_does_not_count(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.add_user("visitor", permission="read")
    fake_github.review(plan_pr, "visitor")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok
    assert "visitor has read access, not write" in approval.reason


def test_required_approvals_counts_distinct_people(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.review(plan_pr, "bob")
    merge_one = fake_github.merge(plan_pr)

    assert "1 of 2 required" in approve(repo, target, fake_github, merge_one, 2).reason
    fake_github.review(plan_pr, "carol", commit_id=fake_github.head_sha(plan_pr))
    approval = approve(repo, target, fake_github, merge_one, 2)
    assert approval.ok and sorted(approval.approvers) == ["bob", "carol"]


def test_a_commit_of_an_open_pr_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")

    approval = approve(repo, target, fake_github, fake_github.head_sha(plan_pr))

    assert not approval.ok
    assert f"PR #{plan_pr} is not merged" in approval.reason


def test_a_pr_merged_into_another_branch_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, scanned_dir: Path
) -> None:
    fake_github.add_user("bob")
    fake_github.commit_files("release", {"VERSION": "1\n"})
    fake_github.commit_files("plan-for-release", {PLAN: (scanned_dir / "plan.json").read_text()})
    number = fake_github.open_pull("plan-for-release", "release", login="alice")
    fake_github.review(number, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(number))

    assert not approval.ok
    assert "no pull request merged into the default branch" in approval.reason


def test_a_direct_push_to_the_default_branch_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, scanned_dir: Path
) -> None:
    pushed = fake_github.commit_files("main", {PLAN: (scanned_dir / "plan.json").read_text()})

    approval = approve(repo, target, fake_github, pushed)

    assert not approval.ok and approval.pr_number is None


def test_a_commit_from_inside_a_merged_pr_is_not_its_merge(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    head = fake_github.head_sha(plan_pr)
    fake_github.merge(plan_pr)

    approval = approve(repo, target, fake_github, head)

    assert not approval.ok
    assert f"is not the commit that merged PR #{plan_pr}" in approval.reason


def test_a_merged_pr_that_did_not_change_the_plan_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.merge(plan_pr)
    fake_github.commit_files("docs", {"plans/p1/plan.md": "docs\n"})
    docs = fake_github.open_pull("docs", "main", login="alice")
    fake_github.review(docs, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(docs))

    assert not approval.ok
    assert f"PR #{docs} did not add or change `{PLAN}`" in approval.reason


def test_an_unknown_commit_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub
) -> None:
    approval = approve(repo, target, fake_github, "0" * 40)

    assert not approval.ok and "is not in acme/infra" in approval.reason


# --- attacks: what an insider with write access tries ------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["cleaner/applier.py", ".github/workflows/apply.yml", "pyproject.toml", "plans/p1/notes.txt"],
)
def test_an_approval_does_not_carry_code_workflows_or_settings_pushed_after_it(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, path: str
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.commit_files(
        BRANCH, {path: "# changed after the approval\n"}, user=fake_github.users["carol"]
    )

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok
    assert f"changed 1 file(s) outside the plan folders (`{path}`)" in approval.reason


def test_a_nested_plan_folder_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, scanned_dir: Path
) -> None:
    nested = "plans/x/y/plan.json"
    fake_github.commit_files(BRANCH, {nested: (scanned_dir / "plan.json").read_text()})
    fake_github.review(plan_pr, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr), path=nested)

    assert not approval.ok
    assert f"`{nested}`" in approval.reason and "outside the plan folders" in approval.reason


def test_the_editor_of_the_plan_cannot_approve_it(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, scanned_dir: Path
) -> None:
    fake_github.commit_files(
        BRANCH, {PLAN: edited_plan_text(scanned_dir, 1)}, user=fake_github.users["carol"]
    )
    fake_github.review(plan_pr, "carol")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok
    assert "carol authored or committed a commit of the pull request" in approval.reason


def test_a_commit_attributable_to_no_account_makes_the_pr_unapprovable(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, scanned_dir: Path
) -> None:
    # Anyone can write any name and e-mail into a commit; one that maps to no account hides its author.
    fake_github.commit_files(
        BRANCH, {PLAN: edited_plan_text(scanned_dir, 1)}, name="Bob", email="bob@example.invalid"
    )
    fake_github.review(plan_pr, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok
    assert "not attributable to a GitHub account" in approval.reason
    assert "bob@example.invalid" in approval.reason


def test_an_approval_before_an_edit_that_adds_a_version_does_not_count_and_the_addition_is_named(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, scanned_dir: Path
) -> None:
    fake_github.review(plan_pr, "bob")
    document = json.loads((scanned_dir / "plan.json").read_text())
    added = dict(
        document["delete"][0], version="7", function_arn=document["delete"][0]["function_arn"][:-1] + "7"
    )
    document["delete"].append(added)
    fake_github.commit_files(BRANCH, {PLAN: json.dumps(document, indent=2)}, user=fake_github.users["carol"])
    fake_github.review(plan_pr, "bob")  # even approved again after the edit

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok
    assert "not a removals-only subset of the scanner's plan" in approval.reason
    assert "fn-000:7 (us-east-1) was not proposed by the scan" in approval.reason


def test_a_plan_whose_settings_were_loosened_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, scanned_dir: Path
) -> None:
    document = json.loads((scanned_dir / "plan.json").read_text())
    document["settings"]["min_age_days"] = 0
    fake_github.commit_files(BRANCH, {PLAN: json.dumps(document, indent=2)}, user=fake_github.users["carol"])
    fake_github.review(plan_pr, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok and "settings was changed" in approval.reason


def test_a_hand_written_plan_without_a_scan_artifact_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, scanned_dir: Path
) -> None:
    fake_github.add_user("bob")
    number = plan_pr_by_hand(fake_github, scanned_dir, "carol", BOT)
    fake_github.review(number, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(number))

    assert not approval.ok
    assert "no artifact `plan-p1` exists" in approval.reason


@pytest.mark.parametrize(
    ("run", "why"),
    [
        ({"head_branch": "carol/scan"}, "on branch 'carol/scan', not 'main'"),
        ({"path": ".github/workflows/other.yml"}, "uploaded by .github/workflows/other.yml"),
        ({"event": "pull_request"}, "triggered by pull_request"),
        ({"event": "push"}, "triggered by push"),
        ({"head_repository": "mallory/infra"}, "mallory/infra's code"),
    ],
)
def test_a_plan_from_an_artifact_not_made_by_the_scan_workflow_on_the_default_branch_is_refused(
    repo: Repository,
    target: GitHubTarget,
    fake_github: FakeGitHub,
    scanned_dir: Path,
    run: dict[str, str],
    why: str,
) -> None:
    fake_github.upload_plan_artifact(scanned_dir, **run)
    fake_github.add_user("bob")
    number = plan_pr_by_hand(fake_github, scanned_dir, "carol", BOT)
    fake_github.review(number, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(number))

    assert not approval.ok
    assert "no scan run on the default branch produced `plan-p1`" in approval.reason
    assert why in approval.reason


def test_an_expired_scan_artifact_is_refused(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    for artifact in fake_github.artifacts.values():
        artifact.expired = True
    fake_github.review(plan_pr, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok and "has expired" in approval.reason


def test_two_scan_artifacts_of_one_plan_are_ambiguous(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int, scanned_dir: Path
) -> None:
    fake_github.upload_plan_artifact(scanned_dir, event="workflow_dispatch")
    fake_github.review(plan_pr, "bob")

    approval = approve(repo, target, fake_github, fake_github.merge(plan_pr))

    assert not approval.ok and "ambiguous" in approval.reason


def test_the_artifact_download_never_sends_the_token_to_the_storage_host(
    repo: Repository, target: GitHubTarget, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")

    assert approve(repo, target, fake_github, fake_github.merge(plan_pr)).ok
    assert fake_github.storage_authorizations == []


def test_comment_on_pr_posts_the_text_cut_to_githubs_limit(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    url = comment_on_pr(repo, plan_pr, "Applied: 3 deleted.\n" + "| row |\n" * 20_000)

    [comment] = fake_github.pulls[plan_pr].comments
    assert url.endswith(f"#issuecomment-{comment.id}")
    assert comment.body.startswith("Applied: 3 deleted.") and len(comment.body) <= 65_536
    assert comment.user.login == BOT.login
