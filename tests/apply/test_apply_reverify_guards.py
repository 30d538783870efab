"""Re-verification cannot be narrowed by the plan: attacks from issue 8 played through the real CLI.

A plan is a file a person can write. Whatever its settings say, apply must read usage over the
repository's lookback too, delete only SnapStart versions, and judge each entry under both the plan's
and the repository's settings without mistaking their disagreement for a failed check."""

from __future__ import annotations

import json

from cleaner.exit_codes import ExitCode
from tests.apply.conftest import Loop


def _scan(loop: Loop, *flags: str) -> list[str]:
    code, output = loop.run("scan", "--region", "us-east-1", "--plan-id", "p1", *flags)
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
