"""The repository settings `doctor` reads, on top of the fake GitHub (`install(fake)`): rulesets,
CODEOWNERS errors, environments (deployment branch policies, secret and variable names), the workflow
token's default permissions, the OIDC subject template, and the repository's variables and secret names.

Each endpoint answers as GitHub's REST API documents it, including what a token may not see:
- admin-only reads (Administration: the workflow permissions; Environments, Variables, Secrets: the
  secret and variable lists) answer 403 to anyone but a repository admin: "Must have admin rights to
  Repository." to a person, "Resource not accessible by integration" to an App or a workflow token;
- a ruleset's `bypass_actors` is left out for a token without write access to it ("Get a repository
  ruleset": "the bypass_actors property is only returned if the user making the API request has write
  access to the ruleset"); the rulesets list leaves out conditions and rules;
- `deployment-branch-policies` answers 404 unless the environment uses custom branch policies;
- `codeowners/errors` answers 404 when the ref has no CODEOWNERS file.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from fakes.github_server import ApiError, FakeGitHub, User, _Request

Json = dict[str, Any]
_WHEN = "2026-10-01T12:00:00Z"
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass
class FakeEnvironment:
    name: str
    # deployment_branch_policy: None means every branch may deploy.
    branch_policy: Json | None = field(
        default_factory=lambda: {"protected_branches": False, "custom_branch_policies": True}
    )
    policies: list[Json] = field(default_factory=list)  # [{"name": "main", "type": "branch"}]
    secrets: set[str] = field(default_factory=set)
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class RepositorySettings:
    rulesets: list[Json] = field(default_factory=list)  # as "Get a repository ruleset" returns them
    environments: dict[str, FakeEnvironment] = field(default_factory=dict)
    workflow_permissions: Json = field(
        default_factory=lambda: {
            "default_workflow_permissions": "write",
            "can_approve_pull_request_reviews": True,
        }
    )
    oidc_subject: Json = field(default_factory=lambda: {"use_default": True})
    variables: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    codeowners_errors: list[Json] = field(default_factory=list)

    def ruleset(self, name: str) -> Json:
        return next(r for r in self.rulesets if r["name"] == name)


def _is_admin(user: User) -> bool:
    return user.type == "User" and user.permission == "admin"


def _admin_only(request: _Request) -> None:
    if not _is_admin(request.caller):
        if request.caller.type == "Bot":
            raise ApiError(403, "Resource not accessible by integration")
        raise ApiError(403, "Must have admin rights to Repository.")


def install(fake: FakeGitHub) -> RepositorySettings:
    """GitHub's defaults for a new repository (no rulesets, no environments, a workflow token that may
    write and approve, GitHub's default OIDC subject), served by `fake` from now on."""
    settings = RepositorySettings()

    def route(verb: str, pattern: str, handler: Any) -> None:
        fake.extra_routes.append((verb, pattern, lambda f, request: handler(settings, f, request)))

    route("GET", r"/rulesets", _list_rulesets)
    route("GET", r"/rulesets/(?P<id>\d+)", _get_ruleset)
    route("GET", r"/codeowners/errors", _codeowners_errors)
    route("GET", r"/environments", _list_environments)
    route("GET", r"/environments/(?P<name>[^/]+)", _get_environment)
    route("GET", r"/environments/(?P<name>[^/]+)/deployment-branch-policies", _branch_policies)
    route("GET", r"/environments/(?P<name>[^/]+)/secrets", _environment_secrets)
    route("GET", r"/environments/(?P<name>[^/]+)/variables", _environment_variables)
    route("GET", r"/actions/permissions/workflow", _workflow_permissions)
    route("GET", r"/actions/oidc/customization/sub", _oidc_subject)
    route("GET", r"/actions/variables", _repository_variables)
    route("GET", r"/actions/secrets", _repository_secrets)
    return settings


def _ruleset_json(fake: FakeGitHub, ruleset: Json, caller: User, full: bool) -> Json:
    data = {
        "source_type": "Repository",
        "source": fake.full_name,
        "target": "branch",
        "node_id": f"RRS_{ruleset['id']}",
        "_links": {"self": {"href": f"{fake.api}/rulesets/{ruleset['id']}"}},
        "created_at": _WHEN,
        "updated_at": _WHEN,
        "current_user_can_bypass": "never",
        **ruleset,
    }
    if not full:
        data.pop("conditions", None)
        data.pop("rules", None)
    if not full or not _is_admin(caller):
        data.pop("bypass_actors", None)
    return data


def _list_rulesets(settings: RepositorySettings, fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    return 200, [_ruleset_json(fake, r, request.caller, full=False) for r in settings.rulesets]


def _get_ruleset(settings: RepositorySettings, fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    wanted = int(request.params["id"])
    for ruleset in settings.rulesets:
        if ruleset["id"] == wanted:
            return 200, _ruleset_json(fake, ruleset, request.caller, full=True)
    raise ApiError(404, "Not Found")


def _codeowners_errors(settings: RepositorySettings, fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    ref = request.query.get("ref", fake.default_branch)
    if all(fake.file_at(ref, path) is None for path in CODEOWNERS_LOCATIONS):
        raise ApiError(404, "Not Found")
    return 200, {"errors": settings.codeowners_errors}


def _environment_json(fake: FakeGitHub, environment: FakeEnvironment) -> Json:
    name = environment.name
    return {
        "id": zlib.crc32(environment.name.encode()),
        "node_id": f"EN_{environment.name}",
        "name": environment.name,
        "url": f"{fake.api}/environments/{environment.name}",
        "html_url": f"{fake.url}/{fake.full_name}/deployments/activity_log?environments_filter={name}",
        "created_at": _WHEN,
        "updated_at": _WHEN,
        "protection_rules": [],
        "deployment_branch_policy": environment.branch_policy,
    }


def _environment(settings: RepositorySettings, request: _Request) -> FakeEnvironment:
    environment = settings.environments.get(request.params["name"])
    if environment is None:
        raise ApiError(404, "Not Found")
    return environment


def _list_environments(settings: RepositorySettings, fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    found = [_environment_json(fake, e) for e in settings.environments.values()]
    return 200, {"total_count": len(found), "environments": found}


def _get_environment(settings: RepositorySettings, fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    return 200, _environment_json(fake, _environment(settings, request))


def _branch_policies(settings: RepositorySettings, fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    environment = _environment(settings, request)
    if not (environment.branch_policy or {}).get("custom_branch_policies"):
        raise ApiError(404, "Not Found")
    policies = [
        {"id": index, "node_id": f"MDE2OkdhdGVCcmFuY2hQb2xpY3k{index}", "type": "branch", **policy}
        for index, policy in enumerate(environment.policies, start=1)
    ]
    return 200, {"total_count": len(policies), "branch_policies": policies}


def _names(key: str, names: set[str]) -> Json:
    items = [{"name": name, "created_at": _WHEN, "updated_at": _WHEN} for name in sorted(names)]
    return {"total_count": len(items), key: items}


def _values(values: dict[str, str]) -> Json:
    items = [
        {"name": name, "value": value, "created_at": _WHEN, "updated_at": _WHEN}
        for name, value in sorted(values.items())
    ]
    return {"total_count": len(items), "variables": items}


def _environment_secrets(
    settings: RepositorySettings, fake: FakeGitHub, request: _Request
) -> tuple[int, Any]:
    _admin_only(request)
    return 200, _names("secrets", _environment(settings, request).secrets)


def _environment_variables(
    settings: RepositorySettings, fake: FakeGitHub, request: _Request
) -> tuple[int, Any]:
    _admin_only(request)
    return 200, _values(_environment(settings, request).variables)


def _workflow_permissions(
    settings: RepositorySettings, fake: FakeGitHub, request: _Request
) -> tuple[int, Any]:
    _admin_only(request)
    return 200, settings.workflow_permissions


def _oidc_subject(settings: RepositorySettings, fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    return 200, settings.oidc_subject


def _repository_variables(
    settings: RepositorySettings, fake: FakeGitHub, request: _Request
) -> tuple[int, Any]:
    _admin_only(request)
    return 200, _values(settings.variables)


def _repository_secrets(settings: RepositorySettings, fake: FakeGitHub, request: _Request) -> tuple[int, Any]:
    _admin_only(request)
    return 200, _names("secrets", settings.secrets)
