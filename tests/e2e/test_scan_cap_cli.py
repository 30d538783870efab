"""Issue 21's acceptance: a scan's cost is bounded by the plan it can propose. `scan` through the real
command line (in-process, `cleaner.cli.program`) against a moto server on 127.0.0.1, with GetFunction and
GetPolicy counted where they arrive: on the server.

The account: 60 functions x 25 weekly deploys = 1,500 SnapStart versions, 1,320 of them candidates (all
but the newest three of each), priced differently by memory and runtime. With the default
max_deletions_per_apply (500) the scan reads the state and policy of about 1.1 x 500 versions, not
1,320, and its 500 deletions save as much as the 500 largest of a scan that checks every version."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from cleaner.aws import session as aws_session_module
from cleaner.aws.ratelimit import RateLimiter
from cleaner.cli import Environment, program
from cleaner.demo.mix import FunctionSpec, seed_account
from cleaner.exit_codes import ExitCode
from cleaner.plan import Plan, load_plan
from cleaner.planner import entry_rank
from cleaner.reasons import Reason
from cleaner.settings import ApplyLimits

pytestmark = pytest.mark.e2e

FUNCTIONS, VERSIONS = 60, 25
CAP = ApplyLimits().max_deletions_per_apply  # the default, 500
RUNTIMES = ("python3.12", "python3.12", "dotnet8", "java21")  # Java: no cache charge, ranked last


def account_specs() -> list[FunctionSpec]:
    """60 x 25 versions, one deploy a week: versions 1-22 of each are 15 days old or more and not
    among the newest three, nothing else protects them: 1,320 candidates."""
    ages = [float(1 + (VERSIONS - number) * 7) for number in range(1, VERSIONS + 1)]
    return [
        FunctionSpec(
            name=f"fn-{index:03d}",
            profile="idle",
            runtime=RUNTIMES[index % len(RUNTIMES)],
            memory_mb=128 + 64 * (index % 30),
            ages_days=ages,
            snapstart=[True] * VERSIONS,
            latest_snapstart=True,
        )
        for index in range(FUNCTIONS)
    ]


class ServerCounts:
    """GetFunction and GetPolicy requests as the moto server answers them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.awslambda.responses import LambdaResponse

        self.seen: dict[str, int] = {"GetFunction": 0, "GetPolicy": 0}
        self._lock = threading.Lock()
        for operation, method in (("GetFunction", "get_function"), ("GetPolicy", "get_policy")):
            monkeypatch.setattr(
                LambdaResponse, method, self._counting(operation, getattr(LambdaResponse, method))
            )

    def _counting(self, operation: str, answer: Callable[..., Any]) -> Callable[..., Any]:
        def counted(response: Any) -> Any:
            with self._lock:
                self.seen[operation] += 1
            return answer(response)

        return counted

    def take(self) -> dict[str, int]:
        with self._lock:
            taken, self.seen = self.seen, dict.fromkeys(self.seen, 0)
        return taken


def run_scan(folder: Path, now: datetime, settings: str = "") -> tuple[Plan, dict[str, Any]]:
    folder.mkdir()
    (folder / "pyproject.toml").write_text(f"[tool.cleaner]\n{settings}")
    stdout, stderr = io.StringIO(), io.StringIO()
    env = Environment(
        stdout=stdout, stderr=stderr, cwd=folder, environ={}, clock=lambda: now, aws_session=boto3.Session
    )
    argv = ["scan", "--region", "us-east-1", "--plan-id", "p", "--now", now.isoformat(), "--format", "json"]
    code = program(argv, env)
    assert code == ExitCode.OK, stdout.getvalue() + stderr.getvalue()
    printed = json.loads(stdout.getvalue())
    return load_plan(folder / "plans" / "p" / "plan.json"), printed


def test_a_scan_checks_about_the_plans_worth_of_versions_and_proposes_the_largest_savings(
    moto_server: str, tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    # The client-side limiter is not the subject (tests/integration/test_ratelimit.py is): at the default
    # 10 GetPolicy a second this test would wait a minute per scan.
    monkeypatch.setattr(aws_session_module, "RateLimiter", lambda rates: RateLimiter({}))
    seed_account(boto3.Session(region_name="us-east-1"), account_specs(), now, lambda _: None)
    server = ServerCounts(monkeypatch)

    capped, printed = run_scan(tmp_path / "capped", now)
    capped_calls = server.take()
    everything, _ = run_scan(tmp_path / "everything", now, "max_deletions_per_apply = 100000\n")
    everything_calls = server.take()

    # Checking every version: one GetFunction and one GetPolicy per candidate, 1,320 of each.
    assert len(everything.delete) == FUNCTIONS * (VERSIONS - 3) == 1_320
    assert everything_calls == {"GetFunction": 1_320, "GetPolicy": 1_320}
    # Stopping once the plan is full: 500 + a tenth, well within 1.2 x 500.
    assert CAP <= capped_calls["GetFunction"] <= 1.2 * CAP, capped_calls
    assert CAP <= capped_calls["GetPolicy"] <= 1.2 * CAP, capped_calls

    # The same 500 versions as the 500 largest savings of checking everything, so the same savings.
    top = sorted(everything.delete, key=entry_rank)[:CAP]
    assert len(capped.delete) == CAP
    assert {e.key for e in capped.delete} == {e.key for e in top}
    assert capped.summary.estimated_monthly_savings_usd == round(
        sum(e.estimated_monthly_cost_usd for e in top), 2
    )

    # What was checked and found to qualify beyond the cap, and what was never checked, said apart.
    checked = capped_calls["GetFunction"]
    reasons = capped.summary.keep_reasons
    assert reasons[Reason.OVER_DELETION_CAP] == checked - CAP
    assert reasons[Reason.NOT_CHECKED_PLAN_FULL] == 1_320 - checked == capped.summary.not_checked_count
    assert printed["summary"]["not_checked_count"] == 1_320 - checked
    page = (tmp_path / "capped" / "plans" / "p" / "plan.md").read_text()
    assert f"up to {1_320 - checked} more not checked yet (the plan was full)" in page
