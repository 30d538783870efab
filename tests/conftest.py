"""Shared fixtures: a moto-backed AWS account (in-process or as a server on 127.0.0.1) with the
SnapStart shim installed, a fixed clock, and credentials that can never reach real AWS."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest

from cleaner.demo.account import SimulatedAccount
from cleaner.demo.moto_shim import install_snapstart_shim

REGION = "us-east-1"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and no inherited endpoint/profile: nothing a test does can reach real AWS."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def aws_session() -> Iterator[boto3.Session]:
    """An in-process moto account (mock_aws) with SnapStart kept per version."""
    from moto import mock_aws

    install_snapstart_shim()
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def account(aws_session: boto3.Session, now: datetime) -> SimulatedAccount:
    return SimulatedAccount(aws_session, REGION, now)


def free_port() -> int:
    """A port nothing listens on now. Another process (another xdist worker) may take it before the
    caller binds it: a server that can bind port 0 itself and say its port should do that instead."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1, in this process (so tests can backdate its backend objects);
    yields its URL for AWS_ENDPOINT_URL. Its state is reset and the server stopped after the test."""
    import urllib.request

    from moto.server import ThreadedMotoServer

    install_snapstart_shim()
    # Port 0: the system picks a free port as the server binds it, so no other process can take it first.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    try:
        yield url
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10)
        server.stop()
