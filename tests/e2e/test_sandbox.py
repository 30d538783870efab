"""`snapstart-cleaner sandbox`: a local account the real commands can be pointed at, and drift made in it
with `sandbox invoke` and `sandbox alias` that apply then finds."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.cli import run_in_process, subprocess_environ

from cleaner.exit_codes import ExitCode
from cleaner.plan import load_plan

from .sandbox_process import running_sandbox

pytestmark = pytest.mark.e2e


def cli(cwd: Path, environ: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cleaner", *argv],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_drift_made_in_the_sandbox_is_skipped_by_apply_with_its_reason(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sandbox:
        environ = sandbox.environ()
        scan = cli(
            tmp_path, environ, "scan", "--plan-id", "drift", "--min-age-days", "14", "--keep-last-n", "3"
        )
        assert scan.returncode == 0, scan.stderr
        plan = load_plan(tmp_path / "plans/drift/plan.json")
        labels = {f"{e.function_name}:{e.version}" for e in plan.delete}
        assert {"orders-api:1", "reports-api:2"} <= labels

        invoked = cli(tmp_path, environ, "sandbox", "invoke", "orders-api:1", "--count", "3")
        assert invoked.returncode == 0, invoked.stderr
        assert invoked.stdout.startswith("recorded 3 invocations of orders-api:1")
        for version in ("1", "2"):  # created, then moved onto a planned version
            aliased = cli(tmp_path, environ, "sandbox", "alias", "reports-api", "hotfix", version)
            assert aliased.returncode == 0, aliased.stderr
        assert aliased.stdout == "moved alias reports-api:hotfix -> version 2\n"

        applied = cli(tmp_path, environ, "apply", "plans/drift/plan.json")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        entries = json.loads((tmp_path / "plans/drift/apply-result.json").read_text())["entries"]
        outcome = {f"{e['function_name']}:{e['version']}": (e["outcome"], e["reasons"]) for e in entries}
        assert outcome.pop("orders-api:1") == ("skipped", ["invoked_since_scan"])
        assert outcome.pop("reports-api:2") == ("skipped", ["alias_protected"])
        assert {result for result, _ in outcome.values()} == {"deleted"}


def test_invoking_through_an_alias_records_the_version_it_runs(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sandbox:
        run = cli(tmp_path, sandbox.environ(), "sandbox", "invoke", "orders-api:live")
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("recorded 1 invocation of orders-api:live (running version 8)")
        missing = cli(tmp_path, sandbox.environ(), "sandbox", "invoke", "orders-api:99")
        assert missing.returncode == ExitCode.BAD_INPUT
        assert "orders-api:99: not in the sandbox" in missing.stderr
        # An alias to a version that does not exist names the version, not the function.
        no_version = cli(tmp_path, sandbox.environ(), "sandbox", "alias", "orders-api", "x", "999")
        assert no_version.returncode == ExitCode.BAD_INPUT
        assert "orders-api:999: no such version in the sandbox (it has 1, 2," in no_version.stderr
        no_function = cli(tmp_path, sandbox.environ(), "sandbox", "alias", "nope", "x", "1")
        assert "nope: no such function in the sandbox" in no_function.stderr


def test_the_benchmark_mix_is_served_with_the_size_asked_for(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "--functions", "12", "--versions", "4") as sandbox:
        assert any("12 functions, 48 published versions" in line for line in sandbox.stdout)
        scan = cli(tmp_path, sandbox.environ(), "scan", "--plan-id", "mix", "--format", "json")
        assert scan.returncode == 0, scan.stderr
        assert json.loads(scan.stdout)["summary"]["delete_count"] > 0


@pytest.mark.parametrize(
    "endpoint",
    ["", "https://lambda.us-east-1.amazonaws.com", "http://10.0.0.8:5050"],
    ids=["unset", "aws", "another-host"],
)
def test_drift_commands_never_write_anywhere_but_a_local_sandbox(endpoint: str, tmp_path: Path) -> None:
    environ = {"AWS_ENDPOINT_URL": endpoint} if endpoint else {}
    for argv in (["sandbox", "invoke", "orders-api:1"], ["sandbox", "alias", "orders-api", "x", "1"]):
        run = run_in_process(argv, tmp_path, environ)
        assert run.code == ExitCode.BAD_INPUT
        assert "AWS_ENDPOINT_URL" in run.stderr


def test_a_port_in_use_is_refused_at_once(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "cleaner", "sandbox", "--port", str(port)],
            cwd=tmp_path,
            env=subprocess_environ(None),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == ExitCode.BAD_INPUT
    # One line of ours, not werkzeug's advice and then a reason of "1".
    assert run.stderr.strip().splitlines() == [
        f"error: --port {port}: cannot listen on 127.0.0.1:{port}: another program listens there (stop it,"
        " or pick another port: --port 0 takes a free one)"
    ]


def test_versions_without_functions_is_a_usage_error(tmp_path: Path) -> None:
    run = run_in_process(["sandbox", "--versions", "5"], tmp_path, {})
    assert run.code == ExitCode.BAD_INPUT
    assert "--versions needs --functions" in run.stderr
