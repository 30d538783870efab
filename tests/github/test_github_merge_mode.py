"""Merge says what it does (issue 19): the description, rendered by jobs given SNAPSTART_DRY_RUN, says
either "Merging deletes N versions" or that merging is a dry run; when the variable changes between the
pull request and the merge, apply follows the variable, accepts the page rendered in the other mode, and
its comment says what changed."""

from __future__ import annotations

from plan_scene import ALL_VERSIONS, Scene

from cleaner.exit_codes import ExitCode


def describe_with(scene: Scene, value: str) -> str:
    """plan-check's refresh with the repository variable as `value`; the description it writes."""
    scene.environ["SNAPSTART_DRY_RUN"] = value
    code, output = scene.refresh()
    assert code == ExitCode.OK, output
    return scene.fake.pulls[scene.number].body


def test_a_page_that_said_dry_run_is_applied_for_real_once_the_variable_is_false(scene: Scene) -> None:
    body = describe_with(scene, "")  # the variable not set: apply.yml runs a dry run
    assert "> **Merging is a dry run: nothing is deleted.** To delete, set `SNAPSTART_DRY_RUN`" in body
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))  # the variable is `false` by now

    assert code == ExitCode.OK, output
    assert scene.versions() == ["4", "5", "6"]
    comment = scene.last_comment()
    assert "**Mode changed since review:** The page said merging is a dry run" in comment
    assert "so it deleted" in comment


def test_a_page_that_said_deletes_is_a_dry_run_once_the_variable_is_no_longer_false(scene: Scene) -> None:
    body = describe_with(scene, "false")
    assert "> **Merging deletes 3 versions** (`SNAPSTART_DRY_RUN` is `false`)" in body
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number), dry_run=True)

    assert code == ExitCode.OK, output
    assert scene.versions() == ALL_VERSIONS
    comment = scene.last_comment()
    assert comment.startswith("# SnapStart Cleaner apply (dry run)")
    assert "The page said merging deletes" in comment and "nothing was deleted" in comment


def test_a_page_in_the_mode_apply_runs_in_says_nothing_about_the_mode(scene: Scene) -> None:
    describe_with(scene, "false")
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert code == ExitCode.OK, output
    assert "Mode changed" not in scene.last_comment()
