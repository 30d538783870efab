"""Connecting to GitHub: the environment a workflow gives us, and PyGithub's production pacing kept."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fakes.github_server import FakeGitHub
from fakes.plans import make_plan, write_plan

import cleaner.github.client as client
from cleaner.exit_codes import AccessError, BadInputError
from cleaner.github.client import DEFAULT_API_URL, GitHubTarget, build_client, open_repository


def test_the_api_url_defaults_to_github_com_and_may_point_elsewhere() -> None:
    base = {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "acme/infra"}

    assert GitHubTarget.from_environ(base).api_url == DEFAULT_API_URL
    enterprise = GitHubTarget.from_environ({**base, "GITHUB_API_URL": "https://ghe.example.com/api/v3/"})
    assert enterprise.api_url == "https://ghe.example.com/api/v3"


@pytest.mark.parametrize("repository", ["acme", "acme/infra/extra", "acme/in fra"])
def test_a_malformed_github_repository_is_bad_input(repository: str) -> None:
    with pytest.raises(BadInputError, match="expected OWNER/NAME"):
        GitHubTarget.from_environ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": repository})


def test_production_keeps_pygithubs_pacing_and_retries_and_tests_can_drop_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(client, "Github", lambda **kwargs: seen.append(kwargs))
    production = GitHubTarget("t", "acme/infra", DEFAULT_API_URL)

    build_client(production)
    build_client(GitHubTarget("t", "acme/infra", DEFAULT_API_URL, fast=True))

    overrides = {"retry", "seconds_between_requests", "seconds_between_writes"}
    assert not overrides & set(seen[0])
    assert {key: seen[1][key] for key in overrides} == {
        "retry": None,
        "seconds_between_requests": 0,
        "seconds_between_writes": 0,
    }


def test_an_unknown_repository_is_an_access_error_naming_the_call(github_environ: dict[str, str]) -> None:
    with pytest.raises(AccessError, match=r"GET /repos/acme/other: 404 Not Found \(not found, or the token"):
        open_repository({**github_environ, "GITHUB_REPOSITORY": "acme/other"})


def test_an_unreachable_api_is_an_access_error(github_environ: dict[str, str]) -> None:
    # A port that refuses connections while the probe holds it (bound, never listening): no other
    # process (another xdist worker's server) can listen there meanwhile.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
        with pytest.raises(AccessError, match="cannot reach GitHub"):
            open_repository({**github_environ, "GITHUB_API_URL": closed})


@pytest.mark.e2e
def test_open_pr_as_a_subprocess_reads_its_github_settings_from_the_environment(
    tmp_path: Path, fake_github: FakeGitHub, github_environ: dict[str, str]
) -> None:
    write_plan(tmp_path, make_plan("p1"))
    environ = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}

    done = subprocess.run(
        [sys.executable, "-m", "cleaner", "open-pr", "plans/p1"],
        cwd=tmp_path,
        env={**environ, **github_environ},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "created PR #1" in done.stdout
    assert fake_github.pulls[1].head == "snapstart-cleaner/plan"
