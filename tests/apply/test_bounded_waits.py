"""A hung endpoint ends a run in bounded time: botocore's connect/read timeouts and the retry budget
(`Performance`) turn it into a failed check or deletion, or an access error, never a job that runs
until its timeout. The servers here accept connections and never answer (all requests, or some)."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from fakes.cli import run_in_process

from cleaner.demo.account import SimulatedAccount
from cleaner.exit_codes import ExitCode

# Small timeouts through the settings file, as a user would set them. The bound asserted below is
# generous: several times what these settings allow, far below "runs until the job's timeout".
FAST_GIVE_UP = """
[tool.cleaner]
connect_timeout_seconds = 0.5
read_timeout_seconds = 0.5
max_attempts = 10
retry_budget_seconds = 1.0
"""
BOUND_SECONDS = 30.0


class SilentServer:
    """Accepts TCP connections on 127.0.0.1, reads nothing, answers nothing."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.accepted.append(connection)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self.accepted:
            connection.close()
        self._socket.close()


class HangingProxy:
    """Forwards requests to a moto server, except those `hangs` picks: never answered until stop()."""

    def __init__(self, upstream: str, hangs: Callable[[str, str], bool]) -> None:
        released = self._released = threading.Event()
        host, port = upstream.removeprefix("http://").split(":")
        self.hung = 0

        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if hangs(self.command, self.path):
                    proxy.hung += 1
                    released.wait()
                    self.close_connection = True
                    return
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                connection.request(self.command, self.path, body, dict(self.headers))
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                connection.close()

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(FAST_GIVE_UP)
    return tmp_path


def timed(argv: list[str], cwd: Path) -> tuple[float, ExitCode, str]:
    started = time.monotonic()
    run = run_in_process(argv, cwd, {})
    return time.monotonic() - started, run.code, run.stdout + run.stderr


def seeded_plan(moto_server: str, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Function `api` with six versions; scanned through moto directly, the plan proposes 1, 2, 3."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    account = SimulatedAccount(boto3.Session(region_name="us-east-1"), "us-east-1", datetime.now(UTC))
    account.function("api", [100, 90, 80, 70, 60, 50])
    _, code, output = timed(["scan", "--region", "us-east-1", "--plan-id", "p1"], workdir)
    assert code == ExitCode.OK, output
    return workdir / "plans" / "p1" / "plan.json"


def test_a_scan_against_an_endpoint_that_never_answers_stops_with_an_access_error_in_bounded_time(
    silent_server: SilentServer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_server.url)

    elapsed, code, output = timed(["scan", "--region", "us-east-1", "--plan-id", "p1"], workdir)

    # The first call (sts:GetCallerIdentity) cannot be answered: the run cannot start, exit 3.
    assert code == ExitCode.ACCESS_ERROR, output
    assert "sts:GetCallerIdentity" in output and "timeout" in output.lower()
    assert elapsed < BOUND_SECONDS
    assert silent_server.accepted  # it really was reached


def test_an_apply_against_an_endpoint_that_never_answers_deletes_nothing_and_stops_in_bounded_time(
    moto_server: str, silent_server: SilentServer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = seeded_plan(moto_server, workdir, monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_server.url)

    elapsed, code, output = timed(["apply", str(plan)], workdir)

    assert code == ExitCode.ACCESS_ERROR, output
    assert "sts:GetCallerIdentity" in output
    assert elapsed < BOUND_SECONDS
    assert not (plan.parent / "apply-result.json").exists()


def test_a_deletion_that_is_never_answered_is_failed_and_the_apply_ends_in_bounded_time(
    moto_server: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = seeded_plan(moto_server, workdir, monkeypatch)
    proxy = HangingProxy(moto_server, hangs=lambda method, _path: method == "DELETE")
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        elapsed, code, output = timed(["apply", str(plan)], workdir)
    finally:
        proxy.stop()

    assert code == ExitCode.FAILURES, output
    assert elapsed < BOUND_SECONDS
    result = json.loads((plan.parent / "apply-result.json").read_text())
    assert {(e["version"], e["outcome"]) for e in result["entries"]} == {
        ("1", "failed"),
        ("2", "failed"),
        ("3", "failed"),
    }
    assert all("timeout" in e["message"].lower() for e in result["entries"]), result["entries"]
    # The retry budget (1 s), not max_attempts (10), ends each deletion: 0.5 s attempts, a few each.
    assert 3 <= proxy.hung <= 3 * 4, proxy.hung


def test_a_check_that_is_never_answered_keeps_the_versions_with_check_incomplete_in_bounded_time(
    moto_server: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    account = SimulatedAccount(boto3.Session(region_name="us-east-1"), "us-east-1", datetime.now(UTC))
    account.function("api", [100, 90, 80, 70, 60, 50])
    proxy = HangingProxy(moto_server, hangs=lambda _method, path: "/policy" in path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        elapsed, code, output = timed(["scan", "--region", "us-east-1", "--plan-id", "p1"], workdir)
    finally:
        proxy.stop()

    # A scan that could not complete a check keeps the versions and says so (exit 0 with a warning,
    # as for any failed check): nothing unchecked is proposed.
    assert code == ExitCode.OK, output
    assert elapsed < BOUND_SECONDS
    assert "lambda:GetPolicy failed" in output and "check_incomplete" in output
    document = json.loads((workdir / "plans" / "p1" / "plan.json").read_text())
    assert document["delete"] == []
    assert proxy.hung >= 3
