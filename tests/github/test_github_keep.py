"""`/keep FN:V` on the plan pull request, end to end through the real CLI (in-process), the fake GitHub
and a moto account: scan, artifact, open-pr, a reviewer's comment, the keep command, a second person's
approval, merge, apply. And what keep refuses: a commenter without write access, a version not in the
plan, anything that would add a version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import github_server
from fakes.github_server import BOT
from fakes.plans import as_plan_md
from plan_scene import BRANCH, PLAN, PLAN_MD, Scene

from cleaner.exit_codes import ExitCode


def delete_versions(text: str | None) -> list[str]:
    assert text is not None
    return [entry["version"] for entry in json.loads(text)["delete"]]


def test_a_keep_comment_drops_the_version_and_the_rest_is_deleted_after_a_second_approval(
    scene: Scene,
) -> None:
    comment = scene.fake.comment(scene.number, "carol", "/keep api:2")

    code, output = scene.keep(comment.id)

    assert code == ExitCode.OK, output
    commits = scene.fake.pull_commits(scene.number)
    assert len(commits) == 2 and commits[-1].user == BOT and commits[-1].committer_user == BOT
    message = commits[-1].message
    assert message.rstrip().splitlines()[-1] == "Requested-by: carol"
    assert f"#issuecomment-{comment.id}" in message
    assert delete_versions(scene.fake.file_at(BRANCH, PLAN)) == ["1", "3"]
    page = scene.fake.file_at(BRANCH, PLAN_MD)
    assert page is not None and "## Dropped in review" in page
    dropped = page.split("## Dropped in review", 1)[1]
    assert "- `api` (us-east-1): 2 — by carol\n" in dropped.split("## To delete", 1)[0], dropped
    pull = scene.fake.pulls[scene.number]
    assert as_plan_md(pull.body) == page
    assert "delete 2 versions" in pull.title
    reply = scene.last_comment()
    assert (
        reply.startswith("@carol dropped `api:2 (us-east-1)` from the plan") and "carol, who asked" in reply
    )

    scene.fake.review(scene.number, "bob")
    code, output = scene.apply(scene.fake.merge(scene.number))

    assert code == ExitCode.OK, output
    assert scene.versions() == ["2", "4", "5", "6"]


def assert_nothing_changed(scene: Scene, head: str, says: str) -> None:
    assert scene.fake.head_sha(scene.number) == head
    reply = scene.last_comment()
    assert says in reply and "Nothing changed" in reply.replace("nothing changed", "Nothing changed"), reply
    assert delete_versions(scene.fake.file_at(BRANCH, PLAN)) == ["1", "2", "3"]


def test_a_commenter_without_write_access_is_refused(scene: Scene) -> None:
    scene.fake.add_user("visitor", permission="read")
    head = scene.fake.head_sha(scene.number)
    comment = scene.fake.comment(scene.number, "visitor", "/keep api:2")

    code, output = scene.keep(comment.id)

    assert code == ExitCode.FAILURES, output
    assert_nothing_changed(scene, head, "needs write access to this repository; you have read access")


def test_a_version_the_plan_does_not_delete_is_refused(scene: Scene) -> None:
    head = scene.fake.head_sha(scene.number)
    comment = scene.fake.comment(scene.number, "carol", "/keep api:2 api:5")  # 5 is kept already

    code, output = scene.keep(comment.id)

    assert code == ExitCode.FAILURES, output
    assert_nothing_changed(scene, head, "`api:5`: not in the plan")


def test_a_comment_that_is_not_exactly_a_keep_request_is_refused_as_bad_input(scene: Scene) -> None:
    head = scene.fake.head_sha(scene.number)
    comment = scene.fake.comment(scene.number, "carol", "/keep api:2\n/delete api:5")

    code, output = scene.keep(comment.id)

    assert code == ExitCode.BAD_INPUT, output
    assert_nothing_changed(scene, head, "the comment is not a keep request")


def test_keep_refuses_to_re_render_a_plan_someone_added_a_version_to(scene: Scene) -> None:
    # Version 5 moved from keep to delete by hand: a /keep must not dress that up as a reviewed plan.
    document = scene.document_with_version_5_added()
    scene.fake.commit_files(BRANCH, {PLAN: json.dumps(document, indent=2)}, user=scene.fake.users["carol"])
    head = scene.fake.head_sha(scene.number)
    comment = scene.fake.comment(scene.number, "bob", "/keep api:1")

    code, output = scene.keep(comment.id)

    assert code == ExitCode.FAILURES, output
    assert scene.fake.head_sha(scene.number) == head
    assert "not a removals-only subset of the plan the scan proposed" in scene.last_comment()


def test_a_comment_on_another_pull_request_is_bad_input(scene: Scene) -> None:
    scene.fake.commit_files("feature", {"x.txt": "x\n"})
    other = scene.fake.open_pull("feature", "main")
    comment = scene.fake.comment(other, "carol", "/keep api:2")

    code, output = scene.keep(comment.id)

    assert code == ExitCode.BAD_INPUT, output
    assert "is not on pull request" in output


def test_a_push_while_keep_works_leaves_the_branch_as_pushed_and_asks_for_a_retry(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = scene.fake
    handle = fake.handle
    pushed: list[str] = []

    def push_after_keeps_commit(method: str, target: str, body: Any, authorization: str) -> tuple[int, Any]:
        answer = handle(method, target, body, authorization)
        if method == "POST" and target.endswith("/git/commits") and not pushed:
            pushed.append(fake.commit_files(BRANCH, {"plans/p1/notes.md": "x\n"}, user=fake.users["bob"]))
        return answer

    monkeypatch.setattr(fake, "handle", push_after_keeps_commit)
    comment = fake.comment(scene.number, "carol", "/keep api:2")

    code, output = scene.keep(comment.id)

    assert code == ExitCode.FAILURES, output
    assert fake.head_sha(scene.number) == pushed[0]
    assert "branch moved while `/keep` was working: nothing changed; retry" in scene.last_comment()
    assert delete_versions(fake.file_at(BRANCH, PLAN)) == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("login", "kind", "says"),
    [
        ("other-bot", "User", "makes commits GitHub does not sign"),  # a personal token
        ("other-app[bot]", "Bot", "not the account that opened the plan pull request"),
    ],
)
def test_a_token_other_than_the_apps_that_opened_the_pr_records_nothing(
    scene: Scene, login: str, kind: str, says: str
) -> None:
    # Its commit would carry the trailer in a commit the two-person rule does not trust.
    scene.fake.add_user(login, type=kind)
    head = scene.fake.head_sha(scene.number)
    comment = scene.fake.comment(scene.number, "carol", "/keep api:2")

    code, output = scene.run(
        scene.root,
        "keep",
        "--pr",
        str(scene.number),
        "--comment-id",
        str(comment.id),
        GITHUB_TOKEN=f"{login}-token",
    )

    assert code == ExitCode.FAILURES, output
    assert_nothing_changed(scene, head, says)


def test_a_plan_too_large_for_the_contents_api_is_read_through_the_blob_api(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(github_server, "CONTENTS_API_LIMIT", 100)  # every plan is "over 1 MB" now
    comment = scene.fake.comment(scene.number, "carol", "/keep api:3")

    code, output = scene.keep(comment.id)

    assert code == ExitCode.OK, output
    assert delete_versions(scene.fake.file_at(BRANCH, PLAN)) == ["1", "2"]
    assert any(path.startswith("/repos/acme/infra/git/blobs/") for _, path in scene.fake.requests)
