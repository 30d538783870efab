"""Fixtures of the GitHub tests: a fake GitHub REST API on 127.0.0.1 driven by real PyGithub.

This folder deliberately has no __init__.py: as a package it would be imported as `github` and shadow
PyGithub. Its test modules are named test_github_*.py to stay unique.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes.cli import Run, run_in_process
from fakes.github_server import BOT_TOKEN, FakeGitHub
from github.Repository import Repository

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
    """What a workflow step sees: the bot's token, the repository, the API URL (here the fake's)."""
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
