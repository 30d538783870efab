"""A small model of what the IAM template's promises rest on, for tests: how IAM decides an identity
policy or a role's trust policy (explicit Deny first, then Allow; `Resource`/`NotResource`; the `*` and
`?` wildcards; `StringEquals`/`StringLike`), and how GitHub writes a job's OIDC `sub` claim under the
repository's subject template. Anything outside that subset raises, so a template that grows past the
model fails its tests instead of being judged by guesswork.

Sources: IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements" (wildcards in
Resource, NotResource, condition operators); GitHub Docs, "OpenID Connect" ("Example subject claims",
"Customizing the subject claims": with `repo, context, job_workflow_ref` the subject reads
`repo:ORG/REPO:environment:NAME:job_workflow_ref:ORG/REPO/.github/workflows/FILE@REF`); GitHub
changelog 2026-04-23, "Immutable subject claims for GitHub Actions OIDC tokens" (`repo:ORG@ID/REPO@ID`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
OIDC_HOST = "token.actions.githubusercontent.com"


# --- IAM ------------------------------------------------------------------------------------------------


def wildcard_matches(pattern: str, value: str) -> bool:
    """IAM's string wildcards: `*` any run of characters (`:` and `/` included), `?` exactly one; no
    character classes (unlike fnmatch, `[` is literal)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def resolve(value: Any, account: str = ACCOUNT) -> str:
    """A CloudFormation string as deployed in partition `aws` of `account`: a literal, or an `Fn::Sub`
    of the two pseudo parameters the template uses."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"].replace("${AWS::Partition}", "aws").replace("${AWS::AccountId}", account)
        assert "${" not in text, f"unresolved substitution in {value}: extend the model"
        return text
    raise AssertionError(f"{value!r}: not a string the model can resolve")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            actual = context.get(key)
            if actual is None:
                # Without ...IfExists a missing key never satisfies a string operator.
                return False
            values = [resolve(v) for v in _listed(expected)]
            if operator == "StringEquals":
                matched = actual in values
            elif operator == "StringLike":
                matched = any(wildcard_matches(v, actual) for v in values)
            else:
                raise AssertionError(f"condition operator {operator}: extend the model before relying on it")
            if not matched:
                return False
    return True


def _statement_applies(
    statement: Mapping[str, Any], action: str, resource: str | None, context: Mapping[str, str]
) -> bool:
    assert "NotAction" not in statement and "NotPrincipal" not in statement, "extend the model"
    # Action names are case-insensitive.
    if not any(wildcard_matches(a.lower(), action.lower()) for a in _listed(statement["Action"])):
        return False
    if resource is not None:
        if "Resource" in statement:
            if not any(wildcard_matches(resolve(r), resource) for r in _listed(statement["Resource"])):
                return False
        elif "NotResource" in statement:
            if any(wildcard_matches(resolve(r), resource) for r in _listed(statement["NotResource"])):
                return False
        else:
            raise AssertionError(f"statement without Resource or NotResource: {statement}")
    return _condition_holds(statement.get("Condition", {}), context)


def decide(
    statements: list[Mapping[str, Any]],
    action: str,
    resource: str | None = None,
    context: Mapping[str, str] | None = None,
) -> bool:
    """True when the statements allow `action` on `resource`: an applicable explicit Deny wins, then
    any applicable Allow; nothing applicable is an implicit deny."""
    context = context or {}
    applicable = [s for s in statements if _statement_applies(s, action, resource, context)]
    for statement in applicable:
        assert statement["Effect"] in ("Allow", "Deny"), statement
    if any(s["Effect"] == "Deny" for s in applicable):
        return False
    return any(s["Effect"] == "Allow" for s in applicable)


def permission_statements(role: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every statement of the role's inline policies."""
    return [
        statement
        for policy in role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def is_allowed(role: Mapping[str, Any], action: str, resource: str) -> bool:
    """Would the role's own policies let it call `action` on `resource` (an ARN in account ACCOUNT)?"""
    return decide(permission_statements(role), action, resource)


def may_assume(role: Mapping[str, Any], claims: Mapping[str, str]) -> bool:
    """Would STS let a GitHub OIDC token with these claims (`sub`, `aud`) assume the role?"""
    statements = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    for statement in statements:
        assert "Federated" in statement["Principal"], statement
    context = {f"{OIDC_HOST}:{name}": value for name, value in claims.items()}
    return decide(statements, "sts:AssumeRoleWithWebIdentity", None, context)


# --- GitHub's OIDC subject ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A GitHub Actions job asking for an OIDC token: what GitHub knows when it writes the claims."""

    repo: str
    workflow: str  # the workflow file, e.g. ".github/workflows/apply.yml"
    ref: str  # the run's ref: "refs/heads/main", or "refs/pull/7/merge" for a pull request
    event: str = "push"
    environment: str | None = None
    # (owner ID, repository ID) when the repository has GitHub's immutable subjects (changelog
    # 2026-04-23): its `repo:` segment reads `repo:OWNER@OWNER_ID/NAME@REPO_ID`.
    ids: tuple[int, int] | None = None

    @property
    def repo_claim(self) -> str:
        if self.ids is None:
            return f"repo:{self.repo}"
        owner, name = self.repo.split("/")
        return f"repo:{owner}@{self.ids[0]}/{name}@{self.ids[1]}"

    @property
    def context(self) -> str:
        # GitHub's "Example subject claims": the environment if the job names one, else `pull_request`
        # for a pull request, else the ref.
        if self.environment is not None:
            return f"environment:{self.environment}"
        if self.event == "pull_request":
            return "pull_request"
        return f"ref:{self.ref}"

    @property
    def job_workflow_ref(self) -> str:
        # A workflow that is not a reusable one is its own job workflow, at the run's ref.
        return f"{self.repo}/{self.workflow}@{self.ref}"


def oidc_sub(job: Job, customisation: Mapping[str, Any] | None) -> str:
    """The `sub` GitHub writes for `job`, under the repository's subject template (None or
    `use_default: true`: GitHub's default)."""
    if customisation is None or customisation.get("use_default", True):
        return f"{job.repo_claim}:{job.context}"
    parts = []
    for key in customisation["include_claim_keys"]:
        if key == "context":
            parts.append(job.context)  # the default subject's tail, without a key of its own
        elif key == "repo":
            # Assumed (GitHub documents no custom template with immutable subjects): the IDs ride on
            # the `repo` segment only, and job_workflow_ref keeps the names.
            parts.append(job.repo_claim)
        elif key == "job_workflow_ref":
            parts.append(f"job_workflow_ref:{job.job_workflow_ref}")
        else:
            raise AssertionError(f"claim key {key}: extend the model")
    return ":".join(parts)


def documented_customisation(template: Mapping[str, Any]) -> dict[str, Any] | None:
    """The subject template a repository set up as the template says has: its `GitHubOidcSubject`
    output, or GitHub's default when there is none."""
    output = template.get("Outputs", {}).get("GitHubOidcSubject")
    if output is None:
        return None
    customisation: dict[str, Any] = json.loads(output["Value"])
    return customisation


def token_for(job: Job, template: Mapping[str, Any], aud: str = "sts.amazonaws.com") -> dict[str, str]:
    """The claims of `job`'s token in a repository set up as `template` documents."""
    return {"sub": oidc_sub(job, documented_customisation(template)), "aud": aud}
