"""apply: delete exactly the planned versions, each re-verified against live (moto) state."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from cleaner.apply_result import ApplyResult
from cleaner.exit_codes import ExitCode
from tests.apply.conftest import Loop, aws_error, for_version


def test_deletes_exactly_the_planned_versions_and_writes_the_result(loop: Loop) -> None:
    loop.drop_from_plan("2")  # a reviewer kept version 2

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert loop.versions() == ["2", "4", "5", "6"]
    assert loop.outcomes() == {"1": ("deleted", []), "3": ("deleted", [])}
    result = ApplyResult.model_validate(loop.result())
    assert result.counts == {"deleted": 2}
    assert "- `api` (us-east-1) deleted: 1, 3" in (loop.plan_path.parent / "apply-result.md").read_text()


def test_dry_run_checks_everything_and_deletes_nothing(loop: Loop) -> None:
    code, output = loop.run("apply", str(loop.plan_path), "--dry-run")

    assert code == ExitCode.OK, output
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]
    assert {v: o for v, (o, _) in loop.outcomes().items()} == dict.fromkeys(["1", "2", "3"], "would_delete")
    assert "(dry run)" in output


def _alias_primary(loop: Loop) -> None:
    loop.account.alias("api", "rollback", "1")


def _alias_weighted(loop: Loop) -> None:
    loop.account.alias("api", "live", "6", weights={"1": 0.05})


def _mapping(loop: Loop) -> None:
    loop.account.event_source_mapping("api", "1", "orders")


def _policy(loop: Loop) -> None:
    loop.account.permission("api", "1")


def _tag(loop: Loop) -> None:
    client = loop.session.client("lambda")
    arn = client.get_function(FunctionName="api")["Configuration"]["FunctionArn"].replace(":$LATEST", "")
    client.tag_resource(Resource=arn, Tags={"snapstart-cleaner:keep": ""})


def _invoked_directly(loop: Loop) -> None:
    loop.account.invocations("api", 3, days_ago=0.5, version="1")


def _invoked_through_alias(loop: Loop) -> None:
    loop.account.alias("api", "live", "6")
    loop.account.invocations("api", 2, days_ago=0.5, alias="live", executed_version="1")


def _unqualified_traffic(loop: Loop) -> None:
    loop.account.invocations("api", 2, days_ago=0.5, unqualified=True)


def _version_deleted(loop: Loop) -> None:
    loop.session.client("lambda").delete_function(FunctionName="api", Qualifier="1")


def _function_deleted(loop: Loop) -> None:
    loop.session.client("lambda").delete_function(FunctionName="api")


def _function_recreated(loop: Loop) -> None:
    # Same name, same version numbers, different versions: deleting "1" now would hit the wrong one.
    loop.session.client("lambda").delete_function(FunctionName="api")
    loop.account.function("api", [30, 29, 28, 27, 26, 25], memory_mb=512)


def _newer_versions_deleted(loop: Loop) -> None:
    # With 4, 5 and 6 gone, versions 1-3 are now the newest three: keep_last_n protects them again.
    for version in ("4", "5", "6"):
        loop.session.client("lambda").delete_function(FunctionName="api", Qualifier=version)


@pytest.mark.parametrize(
    ("drift", "outcome", "reason"),
    [
        (_alias_primary, "skipped", "alias_protected"),
        (_alias_weighted, "skipped", "alias_protected"),
        (_mapping, "skipped", "event_source_mapping_protected"),
        (_policy, "skipped", "resource_policy_protected"),
        (_tag, "skipped", "tag_protected"),
        (_invoked_directly, "skipped", "invoked_since_scan"),
        (_invoked_through_alias, "skipped", "invoked_since_scan"),
        (_unqualified_traffic, "skipped", "function_level_activity_uncertain"),
        (_version_deleted, "already_deleted", None),
        (_function_deleted, "already_deleted", None),
        (_function_recreated, "skipped", "version_changed"),
        (_newer_versions_deleted, "skipped", "protected_kept_last_n"),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)).strip("_"),
)
def test_a_version_that_drifted_since_the_scan_is_never_deleted(
    loop: Loop, drift: Any, outcome: str, reason: str | None
) -> None:
    drift(loop)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output  # drift is reported, not an error
    got_outcome, got_reasons = loop.outcomes()["1"]
    assert got_outcome == outcome, output
    if reason is not None:
        assert reason in got_reasons
    if drift in (_function_deleted, _function_recreated):
        return
    remaining = loop.versions()
    assert ("1" in remaining) == (outcome == "skipped")


def test_one_failed_deletion_does_not_stop_the_others_and_a_rerun_finishes_the_job(loop: Loop) -> None:
    failing = for_version("2", aws_error(400, "InvalidParameterValueException", "simulated failure"))
    loop.session.events.register("before-call.lambda.DeleteFunction", failing)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.FAILURES, output
    assert loop.outcomes()["2"][0] == "failed"
    assert "simulated failure" in json.dumps(loop.result())
    assert loop.versions() == ["2", "4", "5", "6"]

    loop.session.events.unregister("before-call.lambda.DeleteFunction", failing)
    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert loop.outcomes() == {
        "1": ("already_deleted", []),
        "2": ("deleted", []),
        "3": ("already_deleted", []),
    }
    assert loop.versions() == ["4", "5", "6"]


def test_throttled_deletions_are_retried_until_they_succeed(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    throttled = {"count": 0}
    this_thread = threading.local()  # deletions run in a pool: the flag is per request's thread

    lock = threading.Lock()

    def throttle(request: Any, **_: Any) -> AWSResponse | None:
        with lock:
            if throttled["count"] >= 2:
                return None
            throttled["count"] += 1
        this_thread.answered = True
        body = json.dumps({"Type": "User", "message": "Rate exceeded"}).encode()

        class Raw:
            def stream(self, **_: Any) -> Any:
                yield body

        headers = {"x-amzn-ErrorType": "TooManyRequestsException", "Content-Type": "application/json"}
        return AWSResponse(request.url, 429, headers, Raw())

    # botocore hands before-send to every handler, moto's included, and takes the first answer: moto
    # must not carry out a request the throttle says never got through.
    moto_answer = BotocoreStubber.__call__

    def unless_throttled(stubber: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(this_thread, "answered", False):
            this_thread.answered = False
            return None
        return moto_answer(stubber, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", unless_throttled)
    loop.session.events.register_first("before-send.lambda.DeleteFunction", throttle)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert throttled["count"] == 2
    assert loop.versions() == ["4", "5", "6"]
    entries = {e["version"]: (e["outcome"], e["message"]) for e in loop.result()["entries"]}
    assert entries == dict.fromkeys(["1", "2", "3"], ("deleted", ""))  # not "an attempt's answer was lost"


def test_aws_refusing_a_deletion_is_reported_with_its_message_and_not_an_error(loop: Loop) -> None:
    refusal = aws_error(409, "ResourceConflictException", "Cannot delete version 1: an alias points at it")
    loop.session.events.register("before-call.lambda.DeleteFunction", for_version("1", refusal))

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    entry = next(e for e in loop.result()["entries"] if e["version"] == "1")
    assert (entry["outcome"], entry["reasons"]) == ("skipped", ["aws_refused"])
    assert "an alias points at it" in entry["message"]


def test_a_check_that_cannot_complete_keeps_the_version_and_fails_the_run(loop: Loop) -> None:
    denied = aws_error(403, "AccessDeniedException", "not authorized to perform: lambda:ListAliases")
    loop.session.events.register("before-call.lambda.ListAliases", denied)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.FAILURES, output
    assert {o for o, _ in loop.outcomes().values()} == {"failed"}
    assert all("check_incomplete" in reasons for _, reasons in loop.outcomes().values())
    assert "lambda:ListAliases" in json.dumps(loop.result())
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]


def test_a_plan_older_than_plan_max_age_days_is_refused(loop: Loop) -> None:
    loop.clock[0] += timedelta(days=15)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.BAD_INPUT
    assert "plan_max_age_days" in output
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]
    assert not (loop.plan_path.parent / "apply-result.json").exists()


def test_a_plan_over_the_blast_radius_cap_is_refused(loop: Loop) -> None:
    code, output = loop.run("apply", str(loop.plan_path), "--max-deletions", "2")

    assert code == ExitCode.BAD_INPUT
    assert "max_deletions_per_apply" in output
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]


def test_limits_come_from_repository_settings_not_from_the_plan(loop: Loop) -> None:
    (loop.workdir / "pyproject.toml").write_text("[tool.cleaner]\nmax_deletions_per_apply = 1\n")

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.BAD_INPUT
    assert "(1)" in output


def test_a_plan_for_another_account_is_refused(loop: Loop) -> None:
    document = json.loads(loop.plan_path.read_text())
    document["account_id"] = "999999999999"
    for entry in document["delete"] + document["keep"]:
        entry["function_arn"] = entry["function_arn"].replace("123456789012", "999999999999")
    loop.plan_path.write_text(json.dumps(document))

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.BAD_INPUT
    assert "999999999999" in output
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "1:2"),
        ('{"schema_version": 7}', "schema_version"),
    ],
)
def test_a_malformed_plan_exits_2_and_deletes_nothing(loop: Loop, content: str, expected: str) -> None:
    loop.plan_path.write_text(content)

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.BAD_INPUT
    assert str(loop.plan_path) in output and expected in output
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]


def test_the_outcome_is_appended_to_the_github_job_summary(loop: Loop, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    loop.environ["GITHUB_STEP_SUMMARY"] = str(summary)

    code, _ = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "SnapStart Cleaner apply" in text and "**3 deleted**" in text


def test_missing_credentials_is_an_access_error_before_anything_is_deleted(
    loop: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    no_credentials = boto3.Session(region_name="us-east-1")
    loop.session, real = no_credentials, loop.session

    code, output = loop.run("apply", str(loop.plan_path))

    loop.session = real
    assert code == ExitCode.ACCESS_ERROR
    assert "credentials" in output
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]
