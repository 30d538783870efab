"""Identities nobody can type: attacks by a writer on who the bot is, what a /keep asked for, what the
page says and which plan runs, each played through the real CLI (in-process) against the fake GitHub
and a moto account, each ending with nothing deleted and the reason on the pull request.

GitHub signs a commit itself only when a GitHub App makes it through the API with no custom identity
("Signature verification for bots"); a writer can push a commit carrying the App's e-mail, which GitHub
then attributes to the App, unsigned. So the bot's commits are the verified ones, and a commit that
claims a bot without GitHub's signature makes the pull request unapprovable."""

from __future__ import annotations

from fakes.github_server import BOT
from plan_scene import ALL_VERSIONS, BRANCH, PLAN, Scene, assert_refused
from test_github_keep import delete_versions

from cleaner.exit_codes import ExitCode

# --- 1. forged bot commits ----------------------------------------------------------------------------------


def test_a_commit_forged_as_the_bot_makes_the_pr_unapprovable(scene: Scene) -> None:
    # carol drops version 3 and commits as the App's no-reply address: GitHub attributes it to the App.
    forged = scene.fake.commit_files(BRANCH, scene.edited_files(["3"]), user=BOT, message="Keep api:3")
    assert scene.refresh()[0] == ExitCode.OK  # plan-check re-renders the page after the push
    scene.fake.review(scene.number, "carol")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "**failed** `verified_bot_commits`")
    assert forged[:12] in scene.last_comment()


def test_a_branch_force_pushed_as_the_bot_is_unapprovable(scene: Scene) -> None:
    # bob asks to keep version 2; carol force-pushes the branch "as the bot" back to the scan's plan,
    # erasing bob's request; dave's honest /keep then makes the App the last pusher.
    first = scene.fake.pull_commits(scene.number)[0].sha
    assert scene.keep(scene.fake.comment(scene.number, "bob", "/keep api:2").id)[0] == ExitCode.OK
    scene.fake.commit_files(BRANCH, scene.edited_files([]), user=BOT, message="Plan p1", force_from=first)
    scene.fake.add_user("dave")
    assert scene.keep(scene.fake.comment(scene.number, "dave", "/keep api:3").id)[0] == ExitCode.OK
    assert delete_versions(scene.fake.file_at(BRANCH, PLAN)) == ["1", "2"]
    scene.fake.review(scene.number, "carol")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "**failed** `verified_bot_commits`")


def test_a_forged_requested_by_trailer_frames_nobody(scene: Scene) -> None:
    # carol's forged "bot" commit names bob as the one who asked: bob's approval is not turned away for
    # it (the PR is unapprovable for the forged commit itself).
    scene.fake.commit_files(
        BRANCH, scene.edited_files(["3"]), user=BOT, message="Plan p1: keep api:3\n\nRequested-by: bob\n"
    )
    assert scene.refresh()[0] == ExitCode.OK
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "**failed** `verified_bot_commits`")
    assert "bob authored or committed" not in scene.last_comment()


# --- 2. edited /keep comments -------------------------------------------------------------------------------


def test_keep_refuses_a_comment_edited_after_it_was_posted(scene: Scene) -> None:
    head = scene.fake.head_sha(scene.number)
    comment = scene.fake.comment(scene.number, "bob", "/keep api:2")
    scene.fake.edit_comment(comment, "/keep api:3")  # carol, with write access, edits bob's comment

    code, output = scene.keep(comment.id)

    assert code == ExitCode.FAILURES, output
    assert scene.fake.head_sha(scene.number) == head
    assert delete_versions(scene.fake.file_at(BRANCH, PLAN)) == ["1", "2", "3"]
    reply = scene.last_comment()
    assert reply.startswith("@bob ") and "edited after it was posted" in reply and "post a new" in reply


# --- 3. a description that lies -----------------------------------------------------------------------------


def test_a_description_that_does_not_match_the_plan_is_refused(scene: Scene) -> None:
    pull = scene.fake.pulls[scene.number]
    assert pull.body is not None and "delete 3 versions" in pull.title
    scene.fake.edit_description(
        scene.number, title=pull.title.replace("3 versions", "1 version"), body=pull.body[:200]
    )
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "**failed** `page_is_the_plan`")


def test_an_edited_description_is_rendered_again_from_the_plan(scene: Scene) -> None:
    pull = scene.fake.pulls[scene.number]
    title, body = pull.title, pull.body
    scene.fake.edit_description(scene.number, title="Delete 1 version", body="Nothing much.")

    code, output = scene.refresh()  # plan-check on `edited`

    assert code == ExitCode.OK, output
    assert (pull.title, pull.body) == (title, body)


# --- 4. replay ----------------------------------------------------------------------------------------------


def test_a_plan_folder_merged_before_is_not_applied_again(scene: Scene) -> None:
    assert scene.keep(scene.fake.comment(scene.number, "carol", "/keep api:2").id)[0] == ExitCode.OK
    scene.fake.review(scene.number, "bob")
    code, output = scene.apply(first_merge := scene.fake.merge(scene.number))
    assert code == ExitCode.OK, output
    assert scene.versions() == ["2", "4", "5", "6"]
    # carol restores the scan's plan (version 2 back in `delete`) in a pull request of her own.
    scene.fake.commit_files("carol/again", scene.edited_files([]), user=scene.fake.users["carol"])
    scene.number = scene.fake.open_pull("carol/again", "main", login="carol")
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert code == ExitCode.FAILURES, output
    assert scene.versions() == ["2", "4", "5", "6"]
    comment = scene.last_comment()
    assert "**failed** `applied_once`" in comment and f"merged before in {first_merge[:12]}" in comment


# --- 5. provenance by commit --------------------------------------------------------------------------------


def test_an_artifact_whose_run_commit_is_not_on_the_default_branch_is_refused(scene: Scene) -> None:
    # A scan run of a tag named like the default branch reports head_branch "main" and a commit of its own.
    elsewhere = scene.fake.commit_files(
        "carol/tag", {"cleaner/x.py": "# mine\n"}, user=scene.fake.users["carol"]
    )
    next(iter(scene.fake.artifacts.values())).run.head_sha = elsewhere
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, f"commit {elsewhere[:12]}, which is not on `main`")


# --- and the honest loop ------------------------------------------------------------------------------------


def test_the_honest_loop_deletes_exactly_the_reviewed_plan(scene: Scene) -> None:
    assert scene.keep(scene.fake.comment(scene.number, "carol", "/keep api:2").id)[0] == ExitCode.OK
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert code == ExitCode.OK, output
    assert scene.versions() == ["2", "4", "5", "6"]
    assert "**2 deleted**" in scene.last_comment()


def test_a_writers_web_edit_makes_that_writer_ineligible(scene: Scene) -> None:
    scene.fake.commit_files(BRANCH, scene.edited_files(["3"]), user=scene.fake.users["carol"], web_edit=True)
    assert scene.refresh()[0] == ExitCode.OK
    scene.fake.review(scene.number, "carol")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "carol authored or committed a commit of the pull request")
    assert scene.versions() == ALL_VERSIONS


def test_a_writers_web_edit_is_applied_after_someone_else_approves(scene: Scene) -> None:
    scene.fake.commit_files(BRANCH, scene.edited_files(["3"]), user=scene.fake.users["carol"], web_edit=True)
    assert scene.refresh()[0] == ExitCode.OK
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert code == ExitCode.OK, output
    assert scene.versions() == ["3", "4", "5", "6"]
