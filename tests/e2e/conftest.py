"""Fixtures of the end-to-end tests: the real CLI as a subprocess, in a scratch directory, with fake
credentials and nothing inherited that could reach real AWS."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.cli import subprocess_environ

CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    """`cli(*argv, endpoint=None, unset=(), timeout=60)`: `python -m cleaner ...` run in tmp_path;
    `unset` names variables of the fake environment to leave out."""

    def run(
        *argv: str, endpoint: str | None = None, unset: tuple[str, ...] = (), timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in subprocess_environ(endpoint).items() if k not in unset}
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
