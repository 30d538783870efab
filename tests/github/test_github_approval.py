"""`check_approval`: approval established through the GitHub API alone (real PyGithub, fake GitHub)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.github_server import FakeGitHub
from fakes.plans import make_plan, write_plan
from github.Repository import Repository

from cleaner.commands.open_pr import read_plan_files
from cleaner.github.approval import check_approval, comment_on_pr
from cleaner.github.plan_pr import publish_plan
from cleaner.settings import GitHubSettings

PLAN = "plans/p1/plan.json"
BRANCH = "snapstart-cleaner/plan"


@pytest.fixture
def plan_pr(repo: Repository, fake_github: FakeGitHub, tmp_path: Path) -> int:
    """The plan PR as open-pr opens it (by github-actions[bot]), with bob and carol able to approve."""
    fake_github.add_user("bob")
    fake_github.add_user("carol")
    files = read_plan_files(write_plan(tmp_path, make_plan("p1")), "plans")
    result = publish_plan(repo, files, GitHubSettings())
    assert result.number is not None
    return result.number


def test_a_merged_pr_approved_after_the_last_plan_edit_is_approved(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    merge = fake_github.merge(plan_pr)

    approval = check_approval(repo, merge, PLAN, 1)

    assert approval.ok, approval.reason
    assert (approval.pr_number, approval.approvers) == (plan_pr, ["bob"])
    assert f"PR #{plan_pr}" in approval.reason and "approved by bob" in approval.reason


def test_a_squash_merge_is_approved_like_a_merge_commit(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")

    assert check_approval(repo, fake_github.merge(plan_pr, method="squash"), PLAN, 1).ok


def test_a_merge_without_any_review_is_refused(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    approval = check_approval(repo, fake_github.merge(plan_pr), PLAN, 1)

    assert not approval.ok
    assert approval.pr_number == plan_pr
    assert "0 of 1 required approving reviews" in approval.reason


def test_the_pr_authors_own_approval_does_not_count(repo: Repository, fake_github: FakeGitHub) -> None:
    fake_github.add_user("alice")
    fake_github.commit_files("alice/plan", {PLAN: "{}\n"}, user=fake_github.users["alice"])
    number = fake_github.open_pull("alice/plan", "main", login="alice")
    fake_github.review(number, "alice")

    approval = check_approval(repo, fake_github.merge(number), PLAN, 1)

    assert not approval.ok
    assert "alice opened the pull request" in approval.reason


@pytest.mark.parametrize(
    ("login", "account_type"), [("helper-app[bot]", "Bot"), ("renovate", "Bot"), ("ci[bot]", "User")]
)
def test_a_bot_approval_does_not_count(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int, login: str, account_type: str
) -> None:
    fake_github.review(plan_pr, login, type=account_type)

    approval = check_approval(repo, fake_github.merge(plan_pr), PLAN, 1)

    assert not approval.ok
    assert f"{login} is a bot" in approval.reason


def test_an_approval_of_an_earlier_version_of_the_plan_does_not_count(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.commit_files(BRANCH, {PLAN: "{}\n"}, user=fake_github.users["carol"])

    approval = check_approval(repo, fake_github.merge(plan_pr), PLAN, 1)

    assert not approval.ok
    assert "bob approved an earlier version of plans/p1/plan.json" in approval.reason


def test_an_approval_after_the_edit_counts_even_if_an_earlier_one_did_not(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.commit_files(BRANCH, {PLAN: "{}\n"}, user=fake_github.users["carol"])
    fake_github.review(plan_pr, "bob")

    assert check_approval(repo, fake_github.merge(plan_pr), PLAN, 1).ok


def test_commits_that_leave_the_plan_file_unchanged_keep_the_approval(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.commit_files(BRANCH, {"plans/p1/plan.md": "re-rendered\n", "README.md": "more\n"})

    assert check_approval(repo, fake_github.merge(plan_pr), PLAN, 1).ok


@pytest.mark.parametrize(
    ("later_state", "ok"), [("CHANGES_REQUESTED", False), ("DISMISSED", False), ("COMMENTED", True)]
)
def test_a_reviewers_latest_verdict_is_what_counts(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int, later_state: str, ok: bool
) -> None:
    fake_github.review(plan_pr, "bob", "APPROVED")
    fake_github.review(plan_pr, "bob", later_state)

    approval = check_approval(repo, fake_github.merge(plan_pr), PLAN, 1)

    assert approval.ok is ok
    if not ok:
        assert f"bob's latest review is {later_state.lower().replace('_', ' ')}" in approval.reason


def test_an_approval_by_someone_without_write_access_does_not_count(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.add_user("visitor", permission="read")
    fake_github.review(plan_pr, "visitor")

    approval = check_approval(repo, fake_github.merge(plan_pr), PLAN, 1)

    assert not approval.ok
    assert "visitor has read access, not write" in approval.reason


def test_required_approvals_counts_distinct_people(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.review(plan_pr, "bob")
    merge_one = fake_github.merge(plan_pr)

    assert "1 of 2 required" in check_approval(repo, merge_one, PLAN, 2).reason
    fake_github.review(plan_pr, "carol", commit_id=fake_github.head_sha(plan_pr))
    approval = check_approval(repo, merge_one, PLAN, 2)
    assert approval.ok and sorted(approval.approvers) == ["bob", "carol"]


def test_a_commit_of_an_open_pr_is_refused(repo: Repository, fake_github: FakeGitHub, plan_pr: int) -> None:
    fake_github.review(plan_pr, "bob")

    approval = check_approval(repo, fake_github.head_sha(plan_pr), PLAN, 1)

    assert not approval.ok
    assert f"PR #{plan_pr} is not merged" in approval.reason


def test_a_pr_merged_into_another_branch_is_refused(repo: Repository, fake_github: FakeGitHub) -> None:
    fake_github.add_user("bob")
    fake_github.commit_files("release", {"VERSION": "1\n"})
    fake_github.commit_files("plan-for-release", {PLAN: "{}\n"})
    number = fake_github.open_pull("plan-for-release", "release", login="alice")
    fake_github.review(number, "bob")

    approval = check_approval(repo, fake_github.merge(number), PLAN, 1)

    assert not approval.ok
    assert "no pull request merged into the default branch" in approval.reason


def test_a_direct_push_to_the_default_branch_is_refused(repo: Repository, fake_github: FakeGitHub) -> None:
    pushed = fake_github.commit_files("main", {PLAN: "{}\n"})

    approval = check_approval(repo, pushed, PLAN, 1)

    assert not approval.ok and approval.pr_number is None


def test_a_commit_from_inside_a_merged_pr_is_not_its_merge(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    head = fake_github.head_sha(plan_pr)
    fake_github.merge(plan_pr)

    approval = check_approval(repo, head, PLAN, 1)

    assert not approval.ok
    assert f"is not the commit that merged PR #{plan_pr}" in approval.reason


def test_a_merged_pr_that_did_not_change_the_plan_is_refused(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    fake_github.review(plan_pr, "bob")
    fake_github.merge(plan_pr)
    fake_github.commit_files("docs", {"README.md": "docs\n"})
    docs = fake_github.open_pull("docs", "main", login="alice")
    fake_github.review(docs, "bob")

    approval = check_approval(repo, fake_github.merge(docs), PLAN, 1)

    assert not approval.ok
    assert f"PR #{docs} did not add or change {PLAN}" in approval.reason


def test_an_unknown_commit_is_refused(repo: Repository) -> None:
    approval = check_approval(repo, "0" * 40, PLAN, 1)

    assert not approval.ok and "is not in acme/infra" in approval.reason


def test_comment_on_pr_posts_the_text_cut_to_githubs_limit(
    repo: Repository, fake_github: FakeGitHub, plan_pr: int
) -> None:
    url = comment_on_pr(repo, plan_pr, "Applied: 3 deleted.\n" + "| row |\n" * 20_000)

    [comment] = fake_github.pulls[plan_pr].comments
    assert url.endswith(f"#issuecomment-{comment.id}")
    assert comment.body.startswith("Applied: 3 deleted.") and len(comment.body) <= 65_536
    assert comment.user.login == "github-actions[bot]"
