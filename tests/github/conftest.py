"""Fixtures of the GitHub tests: a fake GitHub REST API on 127.0.0.1 driven by real PyGithub.

This folder deliberately has no __init__.py: as a package it would be imported as `github` and shadow
PyGithub. Its test modules are named test_github_*.py to stay unique.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from fakes.cli import Run, run_in_process
from fakes.github_server import BOT_TOKEN, FakeGitHub
from github.Repository import Repository
from plan_scene import Scene, make_scene

from cleaner.demo.account import SimulatedAccount
from cleaner.github.client import FAST_ENV, open_repository


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A fresh fake (repository acme/infra, default branch main with one commit), started and stopped."""
    fake = FakeGitHub()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.errors, f"the fake GitHub failed: {fake.errors}"


@pytest.fixture
def github_environ(fake_github: FakeGitHub) -> dict[str, str]:
    """What a workflow step sees: the App's installation token, the repository, the API URL (here the
    fake's)."""
    return {
        "GITHUB_TOKEN": BOT_TOKEN,
        "GITHUB_REPOSITORY": fake_github.full_name,
        "GITHUB_API_URL": fake_github.url,
        FAST_ENV: "1",
    }


@pytest.fixture
def repo(github_environ: dict[str, str]) -> Repository:
    return open_repository(github_environ)


RunCli = Callable[..., Run]


@pytest.fixture
def run_cli(tmp_path: Path, github_environ: dict[str, str]) -> RunCli:
    """Run the CLI in-process in `tmp_path` (the checkout) with the GitHub environment."""

    def run(*argv: str, environ: dict[str, str] | None = None) -> Run:
        return run_in_process(argv, tmp_path, github_environ if environ is None else environ)

    return run


@pytest.fixture
def scene(
    fake_github: FakeGitHub,
    github_environ: dict[str, str],
    account: SimulatedAccount,
    aws_session: boto3.Session,
    now: datetime,
    tmp_path: Path,
) -> Scene:
    """A scanned account (function `api`, six SnapStart versions 100..50 days old: 1, 2, 3 proposed)
    and the plan PR the scan opened with the App's token; bob and carol have write access."""
    return make_scene(fake_github, github_environ, account, aws_session, now, tmp_path)
