"""A scanned account ready to apply: function `api` with six SnapStart versions (100..50 days old);
with keep_last_n=3 the scan proposes versions 1, 2 and 3."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from cleaner.cli import Environment, program
from cleaner.demo.account import SimulatedAccount
from cleaner.exit_codes import ExitCode


@dataclass
class Loop:
    account: SimulatedAccount
    session: boto3.Session
    workdir: Path
    clock: list[datetime]
    environ: dict[str, str]

    @property
    def plan_path(self) -> Path:
        return self.workdir / "plans" / "p1" / "plan.json"

    def env(self) -> tuple[Environment, StringIO, StringIO]:
        out, err = StringIO(), StringIO()
        env = Environment(
            stdout=out,
            stderr=err,
            cwd=self.workdir,
            environ=self.environ,
            clock=lambda: self.clock[0],
            aws_session=lambda: self.session,
        )
        return env, out, err

    def run(self, *argv: str) -> tuple[ExitCode, str]:
        env, out, err = self.env()
        code = program(list(argv), env)
        return code, out.getvalue() + err.getvalue()

    def versions(self, function: str = "api") -> list[str]:
        client = self.session.client("lambda")
        found = client.list_versions_by_function(FunctionName=function)["Versions"]
        return [v["Version"] for v in found if v["Version"] != "$LATEST"]

    def result(self) -> dict[str, Any]:
        return json.loads((self.plan_path.parent / "apply-result.json").read_text())

    def outcomes(self) -> dict[str, tuple[str, list[str]]]:
        return {e["version"]: (e["outcome"], e["reasons"]) for e in self.result()["entries"]}

    def drop_from_plan(self, *versions: str) -> None:
        document = json.loads(self.plan_path.read_text())
        document["delete"] = [e for e in document["delete"] if e["version"] not in versions]
        self.plan_path.write_text(json.dumps(document, indent=2) + "\n")
        assert self.run("render", str(self.plan_path))[0] == ExitCode.OK


@pytest.fixture
def loop(account: SimulatedAccount, aws_session: boto3.Session, now: datetime, tmp_path: Path) -> Loop:
    account.function("api", [100, 90, 80, 70, 60, 50])
    state = Loop(account, aws_session, tmp_path, [now], {})
    code, output = state.run("scan", "--region", "us-east-1", "--plan-id", "p1", "--keep-last-n", "3")
    assert code == ExitCode.OK, output
    planned = [e["version"] for e in json.loads(state.plan_path.read_text())["delete"]]
    assert planned == ["1", "2", "3"]
    return state


def aws_error(status: int, code: str, message: str) -> Callable[..., Any]:
    """A `before-call` answer: the call fails with this AWS error, without reaching moto."""

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        body = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://lambda.invalid", status, {}, None), body  # type: ignore[arg-type]

    return answer


def for_version(version: str, answer: Callable[..., Any]) -> Callable[..., Any]:
    """Apply `answer` only to calls whose Qualifier is `version`."""

    def hook(params: dict[str, Any], **kwargs: Any) -> Any:
        query = params.get("query_string") or {}
        if isinstance(query, dict) and query.get("Qualifier") == version:
            return answer(params=params, **kwargs)
        return None

    return hook
