"""Issue 19's acceptance: a writer drops a version in GitHub's web editor (one commit that removes one
entry of plan.json and touches nothing else: the summary and plan.md go stale), plan-check passes, the
bot re-renders the summary, plan.md and the description as it does after `/keep`, the page says who
dropped the version, that writer's approval does not count, another writer's does, and apply deletes
the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes.github_server import ACTIONS_TOKEN
from plan_scene import ALL_VERSIONS, BRANCH, PLAN, PLAN_MD, Scene, assert_refused
from test_github_keep import delete_versions

from cleaner.exit_codes import ExitCode
from cleaner.plan import parse_plan, summarize


def web_edit_dropping(scene: Scene, version: str, login: str = "carol") -> str:
    """What the browser commits: plan.json at the head with one entry of `delete` cut out, nothing else
    (its summary still counts the entry; plan.md is not touched). Returns the commit's sha."""
    text = scene.fake.file_at(BRANCH, PLAN)
    assert text is not None
    document = json.loads(text)
    document["delete"] = [e for e in document["delete"] if e["version"] != version]
    edited = json.dumps(document, indent=2) + "\n"
    return scene.fake.commit_files(
        BRANCH, {PLAN: edited}, user=scene.fake.users[login], message="Update plan.json", web_edit=True
    )


def plan_check(scene: Scene) -> tuple[ExitCode, str]:
    """plan-check's validation: the branch's plan folder checked out, validated against the plan the
    bot's first commit added."""
    checkout = scene.root / f"check-{scene.fake.head_sha(scene.number)[:8]}"
    folder = checkout / "plans" / "p1"
    folder.mkdir(parents=True)
    for path in (PLAN, PLAN_MD):
        text = scene.fake.file_at(BRANCH, path)
        assert text is not None
        (checkout / path).write_text(text)
    first = scene.fake.pull_commits(scene.number)[0].sha
    original = scene.fake.file_at(first, PLAN)
    assert original is not None
    (checkout / "original.json").write_text(original)
    return scene.run(checkout, "validate", PLAN, "--against", "original.json")


def bot_rerender(scene: Scene) -> tuple[ExitCode, str]:
    """The bot's job after plan-check passed: `refresh-pr --files` with the App's token."""
    head = scene.fake.head_sha(scene.number)
    return scene.run(scene.root, "refresh-pr", "--pr", str(scene.number), "--head-sha", head, "--files")


def test_a_web_edit_passes_plan_check_is_rerendered_and_credited_and_its_writer_cannot_approve(
    scene: Scene,
) -> None:
    stale_md = scene.fake.file_at(BRANCH, PLAN_MD)
    web_edit_dropping(scene, "2")
    assert scene.fake.file_at(BRANCH, PLAN_MD) == stale_md

    code, output = plan_check(scene)
    assert code == ExitCode.OK, output
    assert "stale" in output  # said, not failed

    code, output = bot_rerender(scene)
    assert code == ExitCode.OK, output
    commits = scene.fake.pull_commits(scene.number)
    assert len(commits) == 3 and commits[-1].user.login == commits[0].user.login  # the bot's
    plan = parse_plan(scene.fake.file_at(BRANCH, PLAN) or "", PLAN)
    assert [e.version for e in plan.delete] == ["1", "3"] and plan.summary == summarize(
        plan.delete, plan.keep
    )
    page = scene.fake.file_at(BRANCH, PLAN_MD) or ""
    body = scene.fake.pulls[scene.number].body
    for text in (page, body):
        dropped = text.split("## Dropped in review", 1)[1].split("## To delete", 1)[0]
        assert "- `api` (us-east-1): 2 — by carol\n" in dropped, dropped
        assert "**2 SnapStart versions to delete**" in text
    # plan-check on the bot's push: in sync now, and a second run has nothing to commit.
    assert plan_check(scene)[0] == ExitCode.OK and "stale" not in scene.stdout
    assert bot_rerender(scene)[0] == ExitCode.OK
    assert len(scene.fake.pull_commits(scene.number)) == 3

    scene.fake.review(scene.number, "carol")
    code, output = scene.apply(scene.fake.merge(scene.number))

    assert_refused(scene, code, output, "carol authored or committed a commit of the pull request")
    assert scene.versions() == ALL_VERSIONS


def test_after_a_web_edit_another_writers_approval_counts_and_apply_deletes_the_rest(scene: Scene) -> None:
    web_edit_dropping(scene, "2")
    assert plan_check(scene)[0] == ExitCode.OK
    assert bot_rerender(scene)[0] == ExitCode.OK
    scene.fake.review(scene.number, "carol")
    scene.fake.review(scene.number, "bob")

    code, output = scene.apply(scene.fake.merge(scene.number))

    assert code == ExitCode.OK, output
    assert scene.versions() == ["2", "4", "5", "6"]
    comment = scene.last_comment()
    assert (
        "**2 deleted**" in comment
        and "approved by bob" in comment
        and "carol" not in comment.split("approved by", 1)[1].split(" after", 1)[0]
    )


def test_the_workflow_token_cannot_rerender_the_files(scene: Scene) -> None:
    # plan-check's own token makes commits GitHub does not sign as the bot: nothing is committed.
    web_edit_dropping(scene, "2")
    head = scene.fake.head_sha(scene.number)
    code, output = scene.run(
        scene.root, "refresh-pr", "--pr", str(scene.number), "--files", GITHUB_TOKEN=ACTIONS_TOKEN
    )
    assert code == ExitCode.FAILURES, output
    assert scene.fake.head_sha(scene.number) == head
    assert delete_versions(scene.fake.file_at(BRANCH, PLAN)) == ["1", "3"]


def test_a_push_while_the_bot_rerenders_is_left_to_that_pushs_run(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    # refresh.yml runs after every plan-check: when the branch moves between its read and its commit,
    # the newer push's own run re-renders, so this one ends without writing and without failing.
    web_edit_dropping(scene, "2")
    head = scene.fake.head_sha(scene.number)
    fake, handle, pushed = scene.fake, scene.fake.handle, []

    def push_after_the_bots_commit(
        method: str, target: str, body: Any, authorization: str
    ) -> tuple[int, Any]:
        answer = handle(method, target, body, authorization)
        if method == "POST" and target.endswith("/git/commits") and not pushed:
            pushed.append(web_edit_dropping(scene, "3", login="bob"))
        return answer

    monkeypatch.setattr(fake, "handle", push_after_the_bots_commit)
    body = fake.pulls[scene.number].body

    code, output = scene.run(
        scene.root, "refresh-pr", "--pr", str(scene.number), "--head-sha", head, "--files"
    )

    assert code == ExitCode.OK, output
    assert "moved" in output and "nothing changed" in output
    assert fake.head_sha(scene.number) == pushed[0]
    assert fake.pulls[scene.number].body == body


def test_the_bot_never_commits_a_rerender_of_a_plan_a_person_added_a_version_to(scene: Scene) -> None:
    # The attacker's PR rewrites its own plan-check.yml to pass, so refresh.yml starts: the bot must not
    # dress an added version up as its own re-render (apply would refuse the plan anyway).
    document = scene.document_with_version_5_added()
    head = scene.fake.commit_files(
        BRANCH, {PLAN: json.dumps(document, indent=2) + "\n"}, user=scene.fake.users["carol"], web_edit=True
    )
    body = scene.fake.pulls[scene.number].body

    code, output = scene.run(
        scene.root, "refresh-pr", "--pr", str(scene.number), "--head-sha", head, "--files"
    )

    assert code == ExitCode.FAILURES, output
    assert "is not a removals-only subset of the plan the scan proposed" in output
    assert scene.fake.head_sha(scene.number) == head
    assert scene.fake.pulls[scene.number].body == body
