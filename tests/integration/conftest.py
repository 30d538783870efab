"""Fixtures of the moto-backed integration tests (helpers live in `support.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import boto3
import botocore.session
import pytest
from botocore.retries.standard import ExponentialBackoff

from cleaner.demo.moto_shim import install_snapstart_shim

from .support import Faults, Scanner

# Every test gets a fresh session (its own event hooks), but they share botocore's service models:
# parsing them again for each test's clients would be most of the time these tests take.
_SHARED_LOADER = botocore.session.get_session().get_component("data_loader")


@pytest.fixture
def aws_session() -> Iterator[boto3.Session]:
    """An in-process moto account (mock_aws) with SnapStart kept per version (see tests/conftest.py)."""
    from moto import mock_aws

    install_snapstart_shim()
    with mock_aws():
        core = botocore.session.get_session()
        core.register_component("data_loader", _SHARED_LOADER)
        yield boto3.Session(region_name="us-east-1", botocore_session=core)


@pytest.fixture
def faults(aws_session: boto3.Session) -> Faults:
    return Faults(aws_session)


@pytest.fixture
def no_retry_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard retry mode, without its (randomised, up to 20 s) sleeps between attempts."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


@pytest.fixture
def run_scan(aws_session: boto3.Session, now: datetime) -> Scanner:
    return Scanner(aws_session, now)
