"""The AWS roles' trust: each scan and apply role trusts exactly what `iam-template` writes for this
repository (its default branch, its OIDC subject template and prefix), no more.

The OIDC provider's ARN differs from account to account (and the template names it through
CloudFormation), so the Principal is held to being GitHub's provider in some account; the Action and
the audience and subject conditions must be the template's exactly. Any other Allow statement trusts
more than the template does. Deny statements only narrow the trust and are left alone."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from cleaner.accounts import ROLE_ARN
from cleaner.doctor.checks import Check, Status, failed, passed, unreadable
from cleaner.doctor.facts import Read, RepositoryFacts, RoleTrust, Unreadable
from cleaner.exit_codes import BadInputError
from cleaner.iam_template import (
    DEFAULT_ENVIRONMENT,
    GITHUB_OIDC_HOST,
    SUBJECT_DEFAULT,
    SUBJECT_JOB_WORKFLOW_REF,
    TemplateOptions,
    build_template,
)
from cleaner.settings import Settings
from cleaner.targets import APPLY_ROLE_VARIABLE, SCAN_ROLE_VARIABLE

AREA = "AWS roles"
_PROVIDER = re.compile(rf"arn:aws[a-z-]*:iam::[0-9]{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}")
_RESOURCE = {"scan": "ScanRole", "apply": "ApplyRole"}


def skipped() -> Check:
    return Check(
        AREA,
        "The scan and apply roles trust only what iam-template writes",
        Status.SKIPPED,
        "AWS was not asked",
        "run `snapstart-cleaner doctor --aws` with AWS credentials that may call iam:GetRole in each account",
    )


def roles_to_check(
    settings: Settings, variables: Read[Mapping[str, str]]
) -> Read[list[tuple[str, str, str]]]:
    """(account id, "scan" or "apply", role ARN) of every role the workflows assume."""
    if settings.accounts:
        return [
            (a.id, kind, arn)
            for a in settings.accounts
            for kind, arn in (("scan", a.scan_role_arn), ("apply", a.apply_role_arn))
        ]
    if isinstance(variables, Unreadable):
        return variables
    roles = []
    for kind, name in (("scan", SCAN_ROLE_VARIABLE), ("apply", APPLY_ROLE_VARIABLE)):
        match = ROLE_ARN.fullmatch(variables.get(name, "").strip())
        if match:  # a missing or malformed variable is the variables' own check
            roles.append((match["account"], kind, match[0]))
    return roles


def template_options(facts: RepositoryFacts) -> TemplateOptions:
    """What `iam-template` is run with for this repository, as its OIDC setting says (the README's
    subject template when that setting cannot be read). BadInputError for a prefix it refuses."""
    subject = facts.oidc_subject
    readable = not isinstance(subject, Unreadable)
    default = readable and isinstance(subject, Mapping) and subject.get("use_default") is not False
    prefix = subject.get("sub_claim_prefix") if isinstance(subject, Mapping) else None
    return TemplateOptions(
        github_repo=facts.full_name,
        environment=DEFAULT_ENVIRONMENT,
        default_branch=facts.default_branch,
        oidc_subject=SUBJECT_DEFAULT if default else SUBJECT_JOB_WORKFLOW_REF,
        subject_prefix=prefix if isinstance(prefix, str) and prefix != f"repo:{facts.full_name}" else None,
    ).validated()


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _values(value: Any) -> list[str]:
    return sorted(value) if isinstance(value, list) else [str(value)]


def _conditions(statement: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    # Condition keys are case-insensitive in IAM; their values are not.
    return {
        operator: {key.lower(): _values(value) for key, value in block.items()}
        for operator, block in (statement.get("Condition") or {}).items()
    }


def _trusts_like(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    principal = actual.get("Principal")
    federated = principal.get("Federated") if isinstance(principal, Mapping) else None
    return (
        isinstance(principal, Mapping)
        and set(principal) == {"Federated"}
        and isinstance(federated, str)
        and _PROVIDER.fullmatch(federated) is not None
        and "NotAction" not in actual
        and _values(actual.get("Action")) == _values(expected["Action"])
        and _conditions(actual) == _conditions(expected)
    )


def _subjects(statement: Mapping[str, Any]) -> str:
    found = [
        f"{operator} {', '.join(values)}"
        for operator, block in _conditions(statement).items()
        for key, values in block.items()
        if key.endswith(":sub")
    ]
    return "; ".join(found) or "no subject condition"


def trust_problems(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    """What makes `actual` (a role's trust policy) differ from `expected` (iam-template's); [] if none."""
    wanted = _statements(expected)[0]
    allows = [s for s in _statements(actual) if s.get("Effect") == "Allow"]
    problems = [
        f"an Allow statement trusts more than iam-template writes (sub: {_subjects(s)})"
        for s in allows
        if not _trusts_like(s, wanted)
    ]
    if not any(_trusts_like(s, wanted) for s in allows):
        problems.insert(0, f"no statement trusts {_subjects(wanted)}: the workflow cannot assume it")
    return problems


def trust_checks(facts: RepositoryFacts, roles: Sequence[RoleTrust] | Unreadable | None) -> list[Check]:
    if roles is None:
        return [skipped()]
    title = "The scan and apply roles trust only what iam-template writes"
    if isinstance(roles, Unreadable):
        return [unreadable(AREA, title, roles)]
    try:
        options = template_options(facts)
    except BadInputError as error:
        return [failed(AREA, title, error.message, "see the OIDC subject line above")]
    template = build_template(options)
    flags = f"--github-repo {facts.full_name} --default-branch {facts.default_branch}"
    if options.subject_prefix:
        flags += f" --subject-prefix '{options.subject_prefix}'"
    if options.oidc_subject != SUBJECT_JOB_WORKFLOW_REF:
        flags += f" --oidc-subject {options.oidc_subject}"
    checks = []
    for role in roles:
        expected = template["Resources"][_RESOURCE[role.kind]]["Properties"]["AssumeRolePolicyDocument"]
        what = f"Account {role.account_id}: the {role.kind} role trusts only what iam-template writes"
        if isinstance(role.policy, Unreadable):
            checks.append(unreadable(AREA, what, role.policy))
            continue
        problems = trust_problems(role.policy, expected)
        if problems:
            fix = (
                f"update the roles from `snapstart-cleaner iam-template {flags}` (the same stack or StackSet)"
            )
            checks.append(failed(AREA, what, f"{role.role_arn}: {'; '.join(problems)}", fix))
        else:
            checks.append(passed(AREA, what, f"{role.role_arn}: {_subjects(_statements(expected)[0])}"))
    if not checks:
        checks.append(
            failed(
                AREA,
                title,
                "no role to check: the role variables are not set",
                "see the repository variables above",
            )
        )
    return checks
