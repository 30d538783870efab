"""Fixtures of the end-to-end tests: the real CLI as a subprocess, in a scratch directory, with fake
credentials and nothing inherited that could reach real AWS."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


def cli_environment(endpoint: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if endpoint is not None:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    """`cli(*argv, endpoint=None, unset=(), timeout=60)`: `python -m cleaner ...` run in tmp_path;
    `unset` names variables of the fake environment to leave out."""

    def run(
        *argv: str, endpoint: str | None = None, unset: tuple[str, ...] = (), timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in cli_environment(endpoint).items() if k not in unset}
        return subprocess.run(
            [sys.executable, "-m", "cleaner", *argv],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
