"""What `doctor` reads, once, as plain data: each fact is either its value or `Unreadable` (the call was
refused or failed, with what a token needs to read it). A rule never sees an API client, and never
mistakes a fact it could not read for an empty one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Unreadable:
    """A fact that could not be read: the call, GitHub's (or AWS's) answer, and what reads it."""

    call: str  # "GET /repos/acme/infra/actions/permissions/workflow"
    answer: str  # "403 Must have admin rights to Repository."
    needs: str  # "a token with Administration: read (an admin's token locally)"

    @property
    def message(self) -> str:
        return f"could not read: needs {self.needs} ({self.call}: {self.answer})"

    def __str__(self) -> str:
        return self.message


# A fact as read: its value, or why it could not be read.
Read: TypeAlias = T | Unreadable


@dataclass(frozen=True)
class Rule:
    type: str  # "pull_request", "required_status_checks", "non_fast_forward", ...
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class BypassActor:
    actor_type: str  # Integration, OrganizationAdmin, RepositoryRole, Team, DeployKey, User
    actor_id: int | None
    bypass_mode: str

    def __str__(self) -> str:
        return f"{self.actor_type} {self.actor_id}" if self.actor_id is not None else self.actor_type


@dataclass(frozen=True)
class Ruleset:
    id: int
    name: str
    target: str  # branch, tag, push
    enforcement: str  # active, evaluate, disabled
    include: tuple[str, ...]  # conditions.ref_name.include: refs/heads/x, patterns, ~DEFAULT_BRANCH, ~ALL
    exclude: tuple[str, ...]
    rules: tuple[Rule, ...]
    # None: GitHub left the list out, as it does for a token without write access to the ruleset.
    bypass_actors: tuple[BypassActor, ...] | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Ruleset:
        """A ruleset as `GET /repos/{owner}/{repo}/rulesets/{id}` returns it."""
        ref_name = (data.get("conditions") or {}).get("ref_name") or {}
        actors = data.get("bypass_actors")
        return cls(
            id=int(data["id"]),
            name=str(data.get("name", "")),
            target=str(data.get("target", "branch")),
            enforcement=str(data.get("enforcement", "")),
            include=tuple(str(p) for p in ref_name.get("include") or ()),
            exclude=tuple(str(p) for p in ref_name.get("exclude") or ()),
            rules=tuple(
                Rule(str(rule.get("type", "")), rule.get("parameters") or {})
                for rule in data.get("rules") or ()
            ),
            bypass_actors=None
            if actors is None
            else tuple(
                BypassActor(
                    str(a.get("actor_type", "")), a.get("actor_id"), str(a.get("bypass_mode", "always"))
                )
                for a in actors
            ),
        )

    def rule(self, type: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.type == type), None)


@dataclass(frozen=True)
class SourceFile:
    path: str
    text: str


@dataclass(frozen=True)
class BranchPolicy:
    name: str
    type: str  # branch or tag


@dataclass(frozen=True)
class EnvironmentFacts:
    name: str
    # deployment_branch_policy: None means any branch may deploy to it.
    protected_branches: bool | None
    custom_branch_policies: bool | None
    # None when custom_branch_policies is off (GitHub has no list then).
    branch_policies: Read[tuple[BranchPolicy, ...]] | None
    secrets: Read[frozenset[str]]
    variables: Read[Mapping[str, str]]


@dataclass(frozen=True)
class RepositoryFacts:
    """Everything the GitHub side of the security model rests on, read from the default branch."""

    full_name: str
    default_branch: str
    rulesets: Read[tuple[Ruleset, ...]]
    codeowners: Read[SourceFile | None]  # None: no CODEOWNERS in any of GitHub's three places
    codeowners_errors: Read[tuple[str, ...]]
    workflows: Read[tuple[SourceFile, ...]]
    # The environments the workflows use (cleaner.doctor.repository_rules.ENVIRONMENTS) that exist.
    environments: Read[Mapping[str, EnvironmentFacts]]
    workflow_permissions: Read[Mapping[str, Any]]
    oidc_subject: Read[Mapping[str, Any]]
    variables: Read[Mapping[str, str]]
    secrets: Read[frozenset[str]]


@dataclass(frozen=True)
class RoleTrust:
    """One role the workflows assume, and its trust policy as IAM holds it."""

    account_id: str
    kind: str  # "scan" or "apply"
    role_arn: str
    policy: Read[Mapping[str, Any]]
