"""Reading, once, the repository settings `doctor` checks: rulesets, CODEOWNERS, the workflows on the
default branch, the environments (branch rules, secret and variable names), the Actions settings and
the repository's variables and secret names. Secret values are never read (GitHub has no API for them).

Each call that GitHub refuses (403, or 404 where that means "no permission") becomes `Unreadable`,
naming what a token needs to read it; the checks then say "could not read", never pass. PyGithub where
it has the call, its requester where it has not (rulesets, deployment branch policies, the workflow
token's permissions, the OIDC subject template, CODEOWNERS errors)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from github import GithubException
from github.ContentFile import ContentFile
from github.Repository import Repository

from cleaner.doctor.codeowners import LOCATIONS
from cleaner.doctor.environments import ENVIRONMENTS
from cleaner.doctor.facts import (
    BranchPolicy,
    EnvironmentFacts,
    Read,
    RepositoryFacts,
    Ruleset,
    SourceFile,
    Unreadable,
)
from cleaner.github.client import describe, github_call

T = TypeVar("T")
WORKFLOWS = ".github/workflows"
_ADMIN = "(an admin's token locally)"
# What a fine-grained token (or a GitHub App) needs for each kind of call; a classic token needs the
# `repo` scope and, for the admin-only ones, a repository admin behind it.
NEEDS = {
    "metadata": "a token that can read the repository (Metadata: read)",
    "contents": "a token with Contents: read",
    "actions": "a token with Actions: read (`actions: read` in a workflow)",
    "administration": f"a token with Administration: read {_ADMIN}",
    "environments": f"a token with Environments: read {_ADMIN}",
    "variables": f"a token with Variables: read {_ADMIN}",
    "secrets": f"a token with Secrets: read {_ADMIN}",
}


def _read(call: str, needs: str, read: Callable[[], T]) -> Read[T]:
    try:
        return read()
    except GithubException as error:
        refused = error.status in (401, 403, 404)
        reason = NEEDS[needs] if refused else "GitHub to answer this call (try again)"
        return Unreadable(call, f"{error.status} {describe(error)}", reason)


def _get(repo: Repository, path: str, parameters: dict[str, Any] | None = None) -> Any:
    _, data = repo._requester.requestJsonAndCheck("GET", f"{repo.url}{path}", parameters=parameters)
    return data


def _rulesets(repo: Repository) -> tuple[Ruleset, ...]:
    summaries: list[Mapping[str, Any]] = []
    page = 1
    while True:  # includes_parents (the default): organization rulesets count on this repository too
        batch = _get(repo, "/rulesets", {"per_page": 100, "page": page})
        summaries += batch
        if len(batch) < 100:
            break
        page += 1
    # The list leaves out conditions and rules: each ruleset is read on its own.
    branch = [s for s in summaries if s.get("target", "branch") == "branch"]
    return tuple(Ruleset.from_api(_get(repo, f"/rulesets/{s['id']}")) for s in branch)


def _file(repo: Repository, path: str, ref: str) -> SourceFile | None:
    try:
        content = repo.get_contents(path, ref=ref)
    except GithubException as error:
        if error.status == 404:
            return None
        raise
    if isinstance(content, list) or content.type != "file":
        return None
    return SourceFile(path, content.decoded_content.decode("utf-8", errors="replace"))


def _codeowners(repo: Repository, ref: str) -> SourceFile | None:
    for path in LOCATIONS:  # GitHub uses the first it finds
        found = _file(repo, path, ref)
        if found is not None:
            return found
    return None


def _codeowners_errors(repo: Repository, ref: str) -> tuple[str, ...]:
    errors = _get(repo, "/codeowners/errors", {"ref": ref}).get("errors") or []
    return tuple(
        f"{e.get('path')} line {e.get('line')}: {e.get('kind')} (`{str(e.get('source', '')).strip()}`)"
        for e in errors
    )


def _workflows(repo: Repository, ref: str) -> tuple[SourceFile, ...]:
    try:
        listing = repo.get_contents(WORKFLOWS, ref=ref)
    except GithubException as error:
        if error.status == 404:
            return ()
        raise
    entries: list[ContentFile] = listing if isinstance(listing, list) else [listing]
    names = sorted(e.path for e in entries if e.type == "file" and e.name.endswith((".yml", ".yaml")))
    return tuple(found for path in names if (found := _file(repo, path, ref)) is not None)


def _environment(repo: Repository, environment: Any) -> EnvironmentFacts:
    name = environment.name
    policy = environment.deployment_branch_policy
    custom = policy.custom_branch_policies if policy is not None else None
    base = f"GET /repos/{repo.full_name}/environments/{name}"

    def branch_policies() -> tuple[BranchPolicy, ...]:
        data = _get(repo, f"/environments/{name}/deployment-branch-policies", {"per_page": 100})
        return tuple(
            BranchPolicy(str(p.get("name")), str(p.get("type", "branch")))
            for p in data.get("branch_policies", [])
        )

    return EnvironmentFacts(
        name=name,
        protected_branches=policy.protected_branches if policy is not None else None,
        custom_branch_policies=custom,
        branch_policies=_read(f"{base}/deployment-branch-policies", "actions", branch_policies)
        if custom
        else None,
        secrets=_read(
            f"{base}/secrets", "environments", lambda: frozenset(s.name for s in environment.get_secrets())
        ),
        variables=_read(
            f"{base}/variables",
            "environments",
            lambda: {v.name: v.value for v in environment.get_variables()},
        ),
    )


def _environments(repo: Repository) -> dict[str, EnvironmentFacts]:
    return {e.name: _environment(repo, e) for e in repo.get_environments() if e.name in ENVIRONMENTS}


def read_repository_facts(repo: Repository) -> RepositoryFacts:
    """Every fact, read from the repository's default branch."""
    branch, api = repo.default_branch, f"GET /repos/{repo.full_name}"
    with github_call(f"{api}/… (doctor)"):  # only a connection failure ends the run (exit 3)
        codeowners = _read(f"{api}/contents/CODEOWNERS", "contents", lambda: _codeowners(repo, branch))
        return RepositoryFacts(
            full_name=repo.full_name,
            default_branch=branch,
            rulesets=_read(f"{api}/rulesets", "metadata", lambda: _rulesets(repo)),
            codeowners=codeowners,
            codeowners_errors=()
            if codeowners is None
            else _read(f"{api}/codeowners/errors", "metadata", lambda: _codeowners_errors(repo, branch)),
            workflows=_read(f"{api}/contents/{WORKFLOWS}", "contents", lambda: _workflows(repo, branch)),
            environments=_read(f"{api}/environments", "actions", lambda: _environments(repo)),
            workflow_permissions=_read(
                f"{api}/actions/permissions/workflow",
                "administration",
                lambda: _get(repo, "/actions/permissions/workflow"),
            ),
            oidc_subject=_read(
                f"{api}/actions/oidc/customization/sub",
                "actions",
                lambda: _get(repo, "/actions/oidc/customization/sub"),
            ),
            variables=_read(
                f"{api}/actions/variables",
                "variables",
                lambda: {v.name: v.value for v in repo.get_variables()},
            ),
            secrets=_read(
                f"{api}/actions/secrets", "secrets", lambda: frozenset(s.name for s in repo.get_secrets())
            ),
        )
