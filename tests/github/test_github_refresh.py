"""`refresh-pr` after a person pushed an edit of the plan, end to end through the real CLI (in-process),
the fake GitHub and a moto account: scan, open-pr, a reviewer's commit that drops a version, then the
command plan-check runs. And what it leaves alone: a plan that is not removals-only, a pull request
that is not the plan pull request, a branch that moved on, a description that is already right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes.plans import as_plan_md
from plan_scene import BRANCH, PLAN, PLAN_MD, Scene
from test_github_keep import delete_versions

from cleaner.exit_codes import ExitCode
from cleaner.validate import without_dropped_by


def refresh(scene: Scene, head_sha: str | None = None, pr: int | None = None) -> tuple[ExitCode, str]:
    """plan-check's step: the base branch's snapstart-cleaner, the job's token, the validated head."""
    job = scene.root / "plan-check-job"
    job.mkdir(exist_ok=True)
    number = pr or scene.number
    sha = head_sha or scene.fake.head_sha(number)
    return scene.run(job, "refresh-pr", "--pr", str(number), "--head-sha", sha)


def push_edit(scene: Scene, keep_versions: list[str], login: str = "carol") -> str:
    """What a reviewer does in a clone: drop versions from plan.json, `render --against` the scan's
    plan, commit both files and push."""
    document = scene.scanned_document()
    entries = document["delete"]
    assert isinstance(entries, list)
    document["delete"] = [e for e in entries if e["version"] not in keep_versions]
    clone = scene.root / login / "plans" / "p1"
    clone.mkdir(parents=True, exist_ok=True)
    (clone / "plan.json").write_text(json.dumps(document, indent=2) + "\n")
    code, output = scene.run(
        scene.root, "render", str(clone / "plan.json"), "--against", str(scene.scanned / "plan.json")
    )
    assert code == ExitCode.OK, output
    return scene.fake.commit_files(
        BRANCH,
        {PLAN: (clone / "plan.json").read_text(), PLAN_MD: (clone / "plan.md").read_text()},
        user=scene.fake.users[login],
        message="Keep api:2",
    )


def patches(scene: Scene) -> int:
    return scene.fake.requests.count(("PATCH", f"/repos/acme/infra/pulls/{scene.number}"))


def to_delete_section(body: str) -> str:
    return body.split("## To delete", 1)[1]


def test_a_pushed_edit_is_described_with_the_dropped_version_under_dropped_in_review(scene: Scene) -> None:
    pull = scene.fake.pulls[scene.number]
    assert "delete 3 versions" in pull.title and "`api` (us-east-1): 2" not in pull.body
    head = push_edit(scene, keep_versions=["2"])

    code, output = refresh(scene, head)

    assert code == ExitCode.OK, output
    assert "re-rendered the title and description" in output and "2 versions to delete, 1 dropped" in output
    assert delete_versions(scene.fake.file_at(BRANCH, PLAN)) == ["1", "3"]  # the branch is untouched
    assert scene.fake.head_sha(scene.number) == head
    # The description is the page the reviewer rendered: same plan, same code, same original.
    # (and who dropped it, which only the pull request's commits say)
    assert without_dropped_by(as_plan_md(pull.body)) == scene.fake.file_at(BRANCH, PLAN_MD)
    dropped = pull.body.split("## Dropped in review", 1)[1].split("## To delete", 1)[0]
    assert "- `api` (us-east-1): 2 — by carol\n" in dropped
    assert "**2 SnapStart versions to delete**" in pull.body
    assert "delete 2 versions" in pull.title and "plan p1" in pull.title


def test_on_open_prs_own_commit_the_rebuild_is_open_prs_description_byte_for_byte(scene: Scene) -> None:
    # plan-check also runs on the bot's own push: what it rebuilds is what open-pr wrote, so it writes
    # nothing.
    pull = scene.fake.pulls[scene.number]
    title, body, before = pull.title, pull.body, patches(scene)

    code, output = refresh(scene)

    assert code == ExitCode.OK, output
    assert "already match the plans" in output and "3 versions to delete, 0 dropped" in output
    assert (pull.title, pull.body) == (title, body)
    assert patches(scene) == before


def test_after_keep_the_description_keep_wrote_is_already_right(scene: Scene) -> None:
    # plan-check also runs on keep's push: keep's description is the one refresh-pr would write.
    comment = scene.fake.comment(scene.number, "carol", "/keep api:2")
    assert scene.keep(comment.id)[0] == ExitCode.OK
    before = patches(scene)

    code, output = refresh(scene)

    assert code == ExitCode.OK, output
    assert "already match the plans" in output and "2 versions to delete, 1 dropped" in output
    assert patches(scene) == before


def test_running_it_twice_writes_once(scene: Scene) -> None:
    head = push_edit(scene, keep_versions=["2"])
    assert refresh(scene, head)[0] == ExitCode.OK
    after_first = patches(scene)
    body = scene.fake.pulls[scene.number].body

    code, output = refresh(scene, head)

    assert code == ExitCode.OK, output
    assert "already match" in output
    assert patches(scene) == after_first
    assert scene.fake.pulls[scene.number].body == body


def test_a_keep_then_a_persons_push_are_both_dropped_in_review(scene: Scene) -> None:
    comment = scene.fake.comment(scene.number, "bob", "/keep api:1")
    assert scene.keep(comment.id)[0] == ExitCode.OK
    head = push_edit(scene, keep_versions=["1", "2"])

    code, output = refresh(scene, head)

    assert code == ExitCode.OK, output
    pull = scene.fake.pulls[scene.number]
    dropped = pull.body.split("## Dropped in review", 1)[1].split("## To delete", 1)[0]
    assert "- `api` (us-east-1): 1 — by bob\n- `api` (us-east-1): 2 — by carol\n" in dropped
    assert "delete 1 version " in pull.title


def assert_untouched(scene: Scene, title: str, body: str, patched: int) -> None:
    pull = scene.fake.pulls[scene.number]
    assert (pull.title, pull.body) == (title, body)
    assert patches(scene) == patched


def test_a_plan_that_is_not_removals_only_is_refused_and_the_description_left_alone(scene: Scene) -> None:
    pull = scene.fake.pulls[scene.number]
    title, body, patched = pull.title, pull.body, patches(scene)
    # Version 5 moved from keep to delete by hand: a description must not present that as reviewed.
    document = scene.document_with_version_5_added()
    head = scene.fake.commit_files(
        BRANCH, {PLAN: json.dumps(document, indent=2)}, user=scene.fake.users["carol"]
    )

    code, output = refresh(scene, head)

    assert code == ExitCode.FAILURES, output  # keep's exit code for the same refusal
    assert "is not a removals-only subset of the plan the scan proposed" in output
    assert_untouched(scene, title, body, patched)


def test_a_pull_request_that_is_not_the_plan_pull_request_is_refused(scene: Scene) -> None:
    scene.fake.commit_files("feature", {"plans/p9/plan.json": "{}\n"})
    other = scene.fake.open_pull("feature", "main")
    pull = scene.fake.pulls[other]
    title, body = pull.title, pull.body

    code, output = refresh(scene, pr=other)

    assert code == ExitCode.BAD_INPUT, output
    assert f"pull request #{other} is not the plan pull request" in output
    assert (pull.title, pull.body) == (title, body)
    assert ("PATCH", f"/repos/acme/infra/pulls/{other}") not in scene.fake.requests


def test_a_closed_plan_pull_request_is_refused(scene: Scene) -> None:
    scene.fake.pulls[scene.number].state = "closed"

    code, output = refresh(scene)

    assert code == ExitCode.BAD_INPUT, output
    assert "is closed" in output


def test_an_older_check_leaves_the_description_to_the_check_of_the_newer_push(scene: Scene) -> None:
    older = push_edit(scene, keep_versions=["2"])
    push_edit(scene, keep_versions=["2", "3"])
    pull = scene.fake.pulls[scene.number]
    title, body, patched = pull.title, pull.body, patches(scene)

    code, output = refresh(scene, older)

    assert code == ExitCode.OK, output
    assert f"the branch moved on from {older[:12]}" in output
    assert_untouched(scene, title, body, patched)


def test_a_push_while_it_reads_leaves_the_description_to_that_pushs_check(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = scene.fake
    head = push_edit(scene, keep_versions=["2"])
    pull = fake.pulls[scene.number]
    title, body, patched = pull.title, pull.body, patches(scene)
    handle = fake.handle
    pushed: list[str] = []

    def push_after_the_last_read(method: str, target: str, data: Any, authorization: str) -> tuple[int, Any]:
        answer = handle(method, target, data, authorization)
        if method == "GET" and "/contents/" in target and not pushed:
            pushed.append(fake.commit_files(BRANCH, {PLAN_MD: "x\n"}, user=fake.users["bob"]))
        return answer

    monkeypatch.setattr(fake, "handle", push_after_the_last_read)

    code, output = refresh(scene, head)

    assert code == ExitCode.OK, output
    assert f"moved on from {head[:12]} to {pushed[0][:12]}" in output
    assert_untouched(scene, title, body, patched)


def test_a_bad_head_sha_is_bad_input(scene: Scene) -> None:
    code, output = refresh(scene, head_sha="main; rm -rf /")

    assert code == ExitCode.BAD_INPUT, output
    assert "--head-sha" in output


def test_the_settings_named_by_config_choose_the_plan_branch(scene: Scene, tmp_path: Path) -> None:
    # plan-check passes the base branch's pyproject.toml: the branch name comes from there.
    config = tmp_path / "base-pyproject.toml"
    config.write_text('[tool.cleaner.github]\npr_branch = "elsewhere"\n')
    job = scene.root / "plan-check-job"
    job.mkdir(exist_ok=True)

    code, output = scene.run(job, "refresh-pr", "--pr", str(scene.number), "--config", str(config))

    assert code == ExitCode.BAD_INPUT, output
    assert "branch `elsewhere`" in output


@pytest.mark.parametrize("state", ["other pull request", "closed"])
def test_after_every_plan_check_a_pull_request_that_is_not_the_open_plan_pr_is_skipped(
    scene: Scene, state: str
) -> None:
    # refresh.yml runs after every pull request's passed plan-check (code pull requests too, and a plan
    # pull request merged before its run starts): those runs end green with nothing written.
    number = scene.number
    if state == "closed":
        scene.fake.pulls[number].state = "closed"
    else:
        scene.fake.commit_files("feature", {"README.md": "x\n"})
        number = scene.fake.open_pull("feature", "main")
    before = len(scene.fake.requests)

    code, output = scene.run(scene.root, "refresh-pr", "--pr", str(number), "--files", "--skip-other-prs")

    assert code == ExitCode.OK, output
    assert f"PR #{number}: skipped: pull request #{number} is" in output
    assert [r for r in scene.fake.requests[before:] if r[0] != "GET"] == []
