"""Re-verification cannot be narrowed by the plan: attacks from issue 8 played through the real CLI.

A plan is a file a person can write. Whatever its settings say, apply must read usage over the
repository's lookback too, delete only SnapStart versions, and judge each entry under both the plan's
and the repository's settings without mistaking their disagreement for a failed check."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import boto3
import pytest

from cleaner.demo.account import SimulatedAccount
from cleaner.exit_codes import ExitCode
from tests.apply.conftest import Loop, aws_error, for_version


def _scan(loop: Loop, *flags: str) -> list[str]:
    code, output = loop.run("scan", "--region", "us-east-1", "--plan-id", "p1", "--replace", *flags)
    assert code == ExitCode.OK, output
    return [e["version"] for e in json.loads(loop.plan_path.read_text())["delete"]]


def test_apply_reads_usage_over_the_repository_lookback_when_the_plan_asks_for_less(loop: Loop) -> None:
    # Version 1 was invoked 5 days ago; the repository's lookback is 14 days (the default min_age_days).
    loop.account.invocations("api", 3, days_ago=5, version="1")
    # A scan dispatched with lookback_days=1 does not see it, and proposes version 1 anyway.
    assert _scan(loop, "--keep-last-n", "3", "--lookback-days", "1") == ["1", "2", "3"]

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    outcome, reasons = loop.outcomes()["1"]
    assert (outcome, reasons) == ("skipped", ["invoked_since_scan"]), output
    assert "1" in loop.versions()
    assert {v: o for v, (o, _) in loop.outcomes().items() if v != "1"} == {"2": "deleted", "3": "deleted"}


def test_apply_reads_usage_over_the_plan_lookback_when_the_repository_asks_for_less(loop: Loop) -> None:
    # The other way round: the plan was scanned over 30 days, the repository now says 2.
    (loop.workdir / "pyproject.toml").write_text("[tool.cleaner]\nlookback_days = 2\n")
    assert _scan(loop, "--keep-last-n", "3", "--lookback-days", "30") == ["1", "2", "3"]
    loop.account.invocations("api", 3, days_ago=20, version="2")  # after the scan's data, inside 30 days

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert loop.outcomes()["2"] == ("skipped", ["invoked_since_scan"]), output
    assert loop.versions() == ["2", "4", "5", "6"]


def _add_entry_by_hand(loop: Loop, function: str, version: str) -> None:
    """What a person with write access could push: an entry copied from a real one, pointed at another
    version, with that version's live code hash and LastModified so nothing looks changed."""
    live = loop.session.client("lambda").get_function_configuration(FunctionName=function, Qualifier=version)
    document = json.loads(loop.plan_path.read_text())
    entry = dict(document["delete"][0])
    entry.update(
        function_name=function,
        version=version,
        function_arn=live["FunctionArn"],
        code_sha256=live["CodeSha256"],
        last_modified=live["LastModified"].replace("+0000", "Z"),
        runtime=live["Runtime"],
        memory_mb=live["MemorySize"],
    )
    document["delete"].append(entry)
    loop.plan_path.write_text(json.dumps(document, indent=2) + "\n")
    assert loop.run("render", str(loop.plan_path))[0] == ExitCode.OK


def test_apply_never_deletes_a_version_without_snapstart_added_to_the_plan_by_hand(loop: Loop) -> None:
    loop.account.function("legacy", [100, 90, 80, 70, 60, 50], snapstart=False)
    _add_entry_by_hand(loop, "legacy", "1")

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output  # kept and reported, like drift
    entry = next(e for e in loop.result()["entries"] if e["function_name"] == "legacy")
    assert (entry["outcome"], entry["reasons"]) == ("skipped", ["not_snapstart"])
    assert "PublishedVersions" in entry["message"]
    assert loop.versions("legacy") == ["1", "2", "3", "4", "5", "6"]
    assert loop.versions() == ["4", "5", "6"]  # the SnapStart entries still go


def test_a_version_published_after_snapstart_was_turned_off_is_not_deleted(loop: Loop) -> None:
    # SnapStart is a property of each version: the function's newer versions having it proves nothing.
    loop.account.function("mixed", [100, 90, 80, 70, 60, 50], snapstart=[True, False, True, True, True, True])
    _add_entry_by_hand(loop, "mixed", "2")

    code, output = loop.run("apply", str(loop.plan_path), "--dry-run")

    assert code == ExitCode.OK, output
    entry = next(e for e in loop.result()["entries"] if e["function_name"] == "mixed")
    assert (entry["outcome"], entry["reasons"]) == ("skipped", ["not_snapstart"])


@pytest.fixture
def young(account: SimulatedAccount, aws_session: boto3.Session, now: datetime, tmp_path: Path) -> Loop:
    """Versions 10..5 days old, scanned with --min-age-days 0: the plan proposes 1, 2 and 3, which the
    repository's default min_age_days (14) keeps."""
    account.function("api", [10, 9, 8, 7, 6, 5])
    state = Loop(account, aws_session, tmp_path, [now], {})
    assert _scan(state, "--keep-last-n", "3", "--min-age-days", "0") == ["1", "2", "3"]
    return state


def test_an_entry_the_repository_settings_keep_is_skipped_for_that_reason_not_check_incomplete(
    young: Loop,
) -> None:
    code, output = young.run("apply", str(young.plan_path))

    assert code == ExitCode.OK, output
    assert young.outcomes() == dict.fromkeys(["1", "2", "3"], ("skipped", ["too_recent"])), output
    assert "not checked" not in json.dumps(young.result())
    assert young.versions() == ["1", "2", "3", "4", "5", "6"]


def test_an_entry_the_plan_settings_keep_is_skipped_for_that_reason_not_check_incomplete(loop: Loop) -> None:
    # The plan excludes a function the repository does not: each side keeps what it keeps.
    _scan(loop, "--keep-last-n", "3")
    document = json.loads(loop.plan_path.read_text())
    document["settings"]["exclude"] = ["api"]
    loop.plan_path.write_text(json.dumps(document, indent=2) + "\n")

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert loop.outcomes() == dict.fromkeys(["1", "2", "3"], ("skipped", ["excluded_by_filter"])), output
    assert loop.versions() == ["1", "2", "3", "4", "5", "6"]


def test_a_failed_last_check_still_fails_the_entry_when_both_settings_would_delete(loop: Loop) -> None:
    denied = aws_error(403, "AccessDeniedException", "not authorized to perform: lambda:GetPolicy")
    loop.session.events.register("before-call.lambda.GetPolicy", for_version("2", denied))

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.FAILURES, output
    outcome, reasons = loop.outcomes()["2"]
    assert (outcome, reasons) == ("failed", ["check_incomplete"])
    assert "lambda:GetPolicy" in json.dumps(loop.result())
    assert loop.versions() == ["2", "4", "5", "6"]


def test_a_failed_check_is_still_reported_when_the_other_settings_keep_the_entry(young: Loop) -> None:
    denied = aws_error(403, "AccessDeniedException", "not authorized to perform: lambda:ListAliases")
    young.session.events.register("before-call.lambda.ListAliases", denied)

    code, output = young.run("apply", str(young.plan_path))

    # Kept for a reason either way; the failed call stays visible next to it.
    assert code == ExitCode.OK, output
    assert young.outcomes() == dict.fromkeys(["1", "2", "3"], ("skipped", ["too_recent", "check_incomplete"]))
    assert "lambda:ListAliases" in json.dumps(young.result())
    assert young.versions() == ["1", "2", "3", "4", "5", "6"]
