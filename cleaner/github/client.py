"""Connecting to GitHub: a PyGithub client from GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL, and
PyGithub errors turned into exit code 3 with the failing call named."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from github import Auth, Github, GithubException
from github.Repository import Repository

from cleaner.exit_codes import AccessError, BadInputError

DEFAULT_API_URL = "https://api.github.com"
# Tests set this to "1" to talk to a local fake without PyGithub's pauses between requests and writes
# (0.25 s and 1 s) and without its retries. Production keeps PyGithub's defaults: they are how a client
# stays under GitHub's secondary rate limits.
FAST_ENV = "SNAPSTART_CLEANER_GITHUB_FAST"
USER_AGENT = "snapstart-cleaner"

_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HINTS = {
    401: "the token is invalid or expired (GITHUB_TOKEN)",
    403: "the token lacks a permission this call needs (see the workflow's `permissions:`)",
    404: "not found, or the token cannot see it",
}


class GitHubApiError(AccessError):
    """A GitHub API call failed; `status` and `github_message` let callers recognise known refusals."""

    def __init__(self, call: str, status: int, github_message: str) -> None:
        hint = _HINTS.get(status)
        super().__init__(f"GitHub API {call}: {status} {github_message}" + (f" ({hint})" if hint else ""))
        self.call = call
        self.status = status
        self.github_message = github_message


@dataclass(frozen=True)
class GitHubTarget:
    token: str
    repository: str
    api_url: str
    fast: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> GitHubTarget:
        missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not environ.get(name)]
        if missing:
            raise BadInputError(
                f"{' and '.join(missing)} not set: this command talks to the GitHub API. In a workflow,"
                " open-pr and keep take the GitHub App's installation token (`env: GITHUB_TOKEN: ${{"
                " steps.app.outputs.token }}` after actions/create-github-app-token), apply and refresh-pr"
                " the workflow's own (`${{ github.token }}`); Actions sets GITHUB_REPOSITORY. Elsewhere set"
                " both (GITHUB_REPOSITORY=OWNER/NAME)."
            )
        repository = environ["GITHUB_REPOSITORY"].strip()
        if not _REPOSITORY.match(repository):
            raise BadInputError(f"GITHUB_REPOSITORY {repository!r}: expected OWNER/NAME")
        return cls(
            token=environ["GITHUB_TOKEN"].strip(),
            repository=repository,
            api_url=(environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            fast=environ.get(FAST_ENV) == "1",
        )


def build_client(target: GitHubTarget) -> Github:
    options: dict[str, Any] = {}
    if target.fast:
        options = {"retry": None, "seconds_between_requests": 0, "seconds_between_writes": 0}
    return Github(auth=Auth.Token(target.token), base_url=target.api_url, user_agent=USER_AGENT, **options)


def open_repository(environ: Mapping[str, str]) -> Repository:
    """The repository named by GITHUB_REPOSITORY, fetched (so a bad token or name fails here, clearly)."""
    target = GitHubTarget.from_environ(environ)
    with github_call(f"GET /repos/{target.repository}"):
        return build_client(target).get_repo(target.repository)


def describe(error: GithubException) -> str:
    data = error.data if isinstance(error.data, dict) else {}
    message = str(data.get("message") or error.message or "error")
    details = [
        str(item.get("message") or f"{item.get('field')} {item.get('code')}")
        for item in data.get("errors") or []
        if isinstance(item, dict)
    ]
    return message + (f": {'; '.join(details)}" if details else "")


@contextmanager
def github_call(call: str) -> Iterator[None]:
    """Run GitHub API calls; a failure ends the command with exit code 3 and `call` named."""
    try:
        yield
    except GithubException as error:
        raise GitHubApiError(call, error.status, describe(error)) from error
    except OSError as error:  # requests' connection errors and timeouts are OSErrors
        raise AccessError(f"GitHub API {call}: cannot reach GitHub: {error}") from error
