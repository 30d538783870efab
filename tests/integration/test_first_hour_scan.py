"""What the scan says about itself (issue 12): which functions its count counts, and a usage window that
is short only because it followed a small min_age_days."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import boto3
import pytest

from cleaner.aws.ratelimit import CallRecorder
from cleaner.aws.session import AwsContext
from cleaner.demo.account import SimulatedAccount
from cleaner.exit_codes import AccessError, ExitCode
from cleaner.plan import Plan
from cleaner.render import render_plan_markdown
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, ScanSettings
from tests.conftest import free_port

from .support import run_cli_scan


def _scan(session: boto3.Session, now: datetime, **settings: object) -> tuple[Plan, list[str]]:
    said: list[str] = []
    settings_ = ScanSettings(regions=["us-east-1"], **settings)
    plan = scan(AwsContext(session), settings_, now, "t", said.append, limits=ApplyLimits())
    return plan, said


def test_the_function_count_counts_only_functions_with_snapstart_versions_considered(
    aws_session: boto3.Session, account: SimulatedAccount, now: datetime
) -> None:
    account.function("with-snapstart", [60, 50])
    account.function("node", [60, 50], runtime="nodejs20.x", snapstart=False)
    account.lambda_.create_function(  # no published version at all
        FunctionName="unpublished",
        Runtime="python3.12",
        Role=account.role_arn,
        Handler="handler.main",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )
    _, said = _scan(aws_session, now)
    assert "us-east-1: 2 published versions with SnapStart considered, in 1 functions" in said[0]
    assert "(of 4 published versions in all)" in said[0]


def test_a_usage_window_shortened_by_min_age_days_zero_is_said_in_the_summary_and_plan_md(
    aws_session: boto3.Session, account: SimulatedAccount, now: datetime
) -> None:
    account.function("orders", [60, 50])
    plan, _ = _scan(aws_session, now, min_age_days=0, keep_last_n=0)
    notes = [w for w in plan.warnings if "usage was looked at over 1 day only" in w]
    assert len(notes) == 1
    assert "lookback_days is not set, so it follows min_age_days (0)" in notes[0]
    markdown = render_plan_markdown(plan)
    assert "usage looked at over the last 1 day\n" in markdown
    assert "usage was looked at over 1 day only" in markdown


def test_an_explicit_short_lookback_or_a_long_default_one_says_nothing(
    aws_session: boto3.Session, account: SimulatedAccount, now: datetime
) -> None:
    account.function("orders", [60, 50])
    for settings in ({"min_age_days": 0, "lookback_days": 1}, {"min_age_days": 14}):
        plan, _ = _scan(aws_session, now, **settings)
        assert not [w for w in plan.warnings if "usage was looked at" in w], settings


def test_a_local_endpoint_that_does_not_answer_is_said_at_once_with_what_to_start(
    tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sandbox that is not running: the port is closed, so every attempt is refused.
    port = free_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    recorder = CallRecorder()
    aws = AwsContext(boto3.Session(region_name="us-east-1"), recorder=recorder)

    with pytest.raises(AccessError) as raised:
        aws.account_id("us-east-1")

    assert "is the sandbox running? `snapstart-cleaner sandbox`" in raised.value.message
    assert recorder.calls["sts:GetCallerIdentity"] == 3  # not the ten attempts of every other call
    run = run_cli_scan(None, tmp_path, now)
    assert run.code == ExitCode.ACCESS_ERROR and "nothing answers there" in run.stderr
