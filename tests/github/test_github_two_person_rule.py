"""The two-person rule played by an attacker with write access, through the real CLI (in-process), the
fake GitHub and a moto account: each attack ends with nothing deleted, exit 1 (2 for bad input) and a
comment on the merged PR that says exactly why. The scan workflow is simulated as it runs: `scan`, the
plan folder uploaded as artifact `plan-<plan-id>` by a scheduled run of scan.yml on main, `open-pr`
with the App's token."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fakes.github_server import ACTIONS_BOT
from plan_scene import ALL_VERSIONS, BRANCH, PLAN, PLAN_MD, Scene, assert_refused

from cleaner.exit_codes import ExitCode


def test_the_approved_plan_as_the_scan_proposed_it_is_deleted(scene: Scene) -> None:
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert code == ExitCode.OK, output
    assert scene.versions() == ["4", "5", "6"]
    assert "artifact `plan-p1` of scan run" in scene.last_comment()


# --- 1. an approval reused for code nobody reviewed ----------------------------------------------------


@pytest.mark.parametrize("path", ["cleaner/applier.py", ".github/workflows/apply.yml", "pyproject.toml"])
def test_code_pushed_after_the_approval_does_not_ride_on_it(scene: Scene, path: str) -> None:
    scene.fake.review(scene.number, "bob")
    scene.fake.commit_files(BRANCH, {path: "# unreviewed\n"}, user=scene.fake.users["carol"])

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, f"outside the plan folders (`{path}`)")


# --- 2. the editor approves their own edit -------------------------------------------------------------


def test_the_person_who_edited_the_plan_cannot_approve_it(scene: Scene) -> None:
    document = scene.scanned_document()
    document["delete"] = document["delete"][:2]  # type: ignore[index]
    edited = scene.root / "carol" / "plans" / "p1"
    edited.mkdir(parents=True)
    (edited / "plan.json").write_text(json.dumps(document, indent=2) + "\n")
    assert scene.run(scene.root, "render", str(edited / "plan.json"))[0] == ExitCode.OK
    scene.fake.commit_files(
        BRANCH,
        {PLAN: (edited / "plan.json").read_text(), PLAN_MD: (edited / "plan.md").read_text()},
        user=scene.fake.users["carol"],
    )
    scene.fake.review(scene.number, "carol")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "carol authored or committed a commit of the pull request")


def test_a_hand_written_plan_that_adds_a_version_is_refused_even_when_someone_else_approves(
    scene: Scene,
) -> None:
    # Version 5 moved from `keep` to `delete`: schema-valid, and exactly what the scan refused to propose.
    document = scene.document_with_version_5_added()
    scene.fake.commit_files(BRANCH, {PLAN: json.dumps(document, indent=2)}, user=scene.fake.users["carol"])
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "api:5 (us-east-1) was not proposed by the scan")


def test_who_asked_the_bot_to_drop_a_version_cannot_approve_the_plan(scene: Scene) -> None:
    comment = scene.fake.comment(scene.number, "carol", "/keep api:2")
    assert scene.keep(comment.id)[0] == ExitCode.OK
    scene.fake.review(scene.number, "carol")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "carol authored or committed a commit of the pull request, or asked")


def test_a_drop_one_person_asked_for_is_applied_after_another_approves(scene: Scene) -> None:
    comment = scene.fake.comment(scene.number, "carol", "/keep api:2")
    assert scene.keep(comment.id)[0] == ExitCode.OK
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert code == ExitCode.OK, output
    assert scene.versions() == ["2", "4", "5", "6"]


# --- 3. the "original" is whatever was first added on the branch ----------------------------------------


def test_a_plan_folder_swapped_for_one_the_scan_never_made_is_refused(scene: Scene) -> None:
    document = scene.scanned_document()
    document["plan_id"] = "p2"
    scene.fake.commit_files(
        BRANCH,
        {PLAN: None, PLAN_MD: None, "plans/p2/plan.json": json.dumps(document, indent=2)},
        user=scene.fake.users["carol"],
    )
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "no artifact `plan-p2` exists")


def test_a_nested_plan_is_refused(scene: Scene) -> None:
    scene.fake.commit_files(
        BRANCH,
        {PLAN: None, PLAN_MD: None, "plans/x/y/plan.json": (scene.scanned / "plan.json").read_text()},
        user=scene.fake.users["carol"],
    )
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "`plans/x/y/plan.json`")


# --- 4. approving as the bot -----------------------------------------------------------------------------


def test_an_approval_with_the_workflow_token_does_not_count(scene: Scene) -> None:
    scene.fake.review(scene.number, ACTIONS_BOT.login)

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "github-actions\\[bot\\] is a bot")  # escaped in Markdown


def test_an_approval_with_the_bot_accounts_token_does_not_count(scene: Scene) -> None:
    # The PR token's account is a plain user to GitHub; [tool.cleaner] bot_logins names it.
    scene.fake.add_user("cleaner-bot")
    scene.fake.review(scene.number, "cleaner-bot")

    code, output = scene.apply(
        scene.fake.merge(scene.number), pyproject='[tool.cleaner]\nbot_logins = ["cleaner-bot"]\n'
    )

    assert_refused(scene, code, output, "cleaner-bot is a bot")


# --- and the rest of the rule ------------------------------------------------------------------------


def test_an_approval_without_write_access_does_not_count(scene: Scene) -> None:
    scene.fake.add_user("visitor", permission="read")
    scene.fake.review(scene.number, "visitor")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "visitor has read access, not write")


def _artifact_from_a_branch(scene: Scene) -> None:
    artifact = next(iter(scene.fake.artifacts.values()))
    artifact.run.head_branch = "carol/scan"


def _artifact_expired(scene: Scene) -> None:
    next(iter(scene.fake.artifacts.values())).expired = True


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        (_artifact_from_a_branch, "on branch 'carol/scan', not 'main'"),
        (_artifact_expired, "has expired"),
    ],
)
def test_a_plan_without_trustworthy_provenance_is_refused(
    scene: Scene, tamper: Callable[[Scene], None], why: str
) -> None:
    tamper(scene)
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, why)


def test_a_limit_refusal_is_said_on_the_pr(scene: Scene) -> None:
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(
        scene.fake.merge(scene.number), pyproject="[tool.cleaner]\nmax_deletions_per_apply = 2\n"
    )

    assert code == ExitCode.BAD_INPUT, output
    assert scene.versions() == ALL_VERSIONS
    comment = scene.last_comment()
    assert "Apply refused" in comment and "exceed max_deletions_per_apply (2)" in comment


def test_a_file_name_chosen_to_hide_the_refusal_is_escaped_in_the_comment(scene: Scene) -> None:
    scene.fake.review(scene.number, "bob")
    scene.fake.commit_files(BRANCH, {"docs/x<!--|`.md": "hidden\n"}, user=scene.fake.users["carol"])

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "outside the plan folders")
    comment = scene.last_comment()
    assert "<!--" not in comment and "&lt;!--" in comment
    assert "**failed** `only_plan_files`" in comment and "passed `approvals`" in comment
