"""A deletion AWS carried out whose answer was lost (a 5xx or a timeout on the way back) is retried by
botocore and answered 404: it was this run's deletion, and the record must say so (found by the
safety campaign, tests/campaign: the apply reported `already_deleted` for versions it deleted)."""

from __future__ import annotations

import json
from typing import Any

from botocore.awsrequest import AWSResponse

from cleaner.exit_codes import ExitCode
from tests.apply.conftest import Loop


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def _lose_first_answer(loop: Loop) -> dict[str, int]:
    """moto carries out every request (botocore hands `before-send` to each handler, moto's included);
    this hook, registered first, replaces the first answer per URL with a 500."""
    attempts: dict[str, int] = {}

    def lose(request: Any, **_: Any) -> AWSResponse | None:
        attempts[request.url] = attempts.get(request.url, 0) + 1
        if attempts[request.url] > 1:
            return None
        body = json.dumps({"message": "lost on the way back"}).encode()
        headers = {"x-amzn-ErrorType": "ServiceException", "Content-Type": "application/json"}
        return AWSResponse(request.url, 500, headers, _Raw(body))

    loop.session.events.register_first("before-send.lambda.DeleteFunction", lose)
    return attempts


def test_a_deletion_whose_answer_was_lost_is_recorded_as_deleted(loop: Loop) -> None:
    attempts = _lose_first_answer(loop)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert sorted(attempts.values()) == [2, 2, 2]
    assert loop.versions() == ["4", "5", "6"]
    outcomes = loop.outcomes()
    assert {version: outcome for version, (outcome, _) in outcomes.items()} == {
        "1": "deleted",
        "2": "deleted",
        "3": "deleted",
    }
    messages = [e["message"] for e in loop.result()["entries"]]
    assert all("answer was lost" in message for message in messages), messages


def test_a_version_someone_else_deleted_just_before_our_call_is_already_deleted(loop: Loop) -> None:
    """One attempt answered 404 (no retry): not ours, whatever happened."""
    other = loop.session.client("lambda")

    def delete_first(request: Any, **_: Any) -> None:
        if request.url.endswith("Qualifier=2"):
            other.delete_function(FunctionName="api", Qualifier="2")

    loop.session.events.register_first("before-send.lambda.DeleteFunction", delete_first)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert loop.outcomes()["2"][0] == "already_deleted"
    assert loop.outcomes()["1"][0] == "deleted"
