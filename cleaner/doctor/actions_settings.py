"""The repository's Actions settings: the workflow token is read-only and cannot approve pull requests,
the OIDC subject names the workflow file (so each role trusts exactly one workflow on the default
branch), and the variables the workflows read when `[[tool.cleaner.accounts]]` lists no account."""

from __future__ import annotations

import json
import re

from cleaner.accounts import ROLE_ARN
from cleaner.aws_names import REGION_PATTERN
from cleaner.doctor.checks import Check, failed, passed, unreadable
from cleaner.doctor.facts import RepositoryFacts, Unreadable
from cleaner.iam_template import SUBJECT_CLAIM_KEYS, subject_customisation
from cleaner.settings import Settings
from cleaner.targets import APPLY_ROLE_VARIABLE, DEFAULT_AWS_REGION, REGION_VARIABLE, SCAN_ROLE_VARIABLE

AREA = "Actions settings"
OIDC_AREA = "OIDC subject"
VARIABLES_AREA = "Repository variables"
_GENERAL = "Settings → Actions → General → Workflow permissions"


def workflow_permission_checks(facts: RepositoryFacts) -> list[Check]:
    read_only = "The workflow token is read-only by default"
    no_approvals = "GitHub Actions cannot create or approve pull requests"
    permissions = facts.workflow_permissions
    if isinstance(permissions, Unreadable):
        return [unreadable(AREA, read_only, permissions), unreadable(AREA, no_approvals, permissions)]
    default = permissions.get("default_workflow_permissions")
    approves = permissions.get("can_approve_pull_request_reviews")
    return [
        passed(AREA, read_only, "default_workflow_permissions: read")
        if default == "read"
        else failed(
            AREA,
            read_only,
            f"default_workflow_permissions: {default}",
            f"{_GENERAL}: Read repository contents and packages permissions",
        ),
        passed(AREA, no_approvals, "can_approve_pull_request_reviews: false")
        if approves is False
        else failed(
            AREA,
            no_approvals,
            f"can_approve_pull_request_reviews: {str(approves).lower()}",
            f"{_GENERAL}: clear Allow GitHub Actions to create and approve pull requests (a workflow could"
            " otherwise approve a plan)",
        ),
    ]


def oidc_subject_check(facts: RepositoryFacts) -> Check:
    keys = ", ".join(SUBJECT_CLAIM_KEYS)
    title = f"OIDC tokens name the workflow file (subject claims {keys})"
    subject = facts.oidc_subject
    if isinstance(subject, Unreadable):
        return unreadable(OIDC_AREA, title, subject)
    fix = (
        f"as a repository admin: gh api -X PUT repos/{facts.full_name}/actions/oidc/customization/sub"
        f" --input - <<< '{_body()}' (README set-up step 5)"
    )
    found = subject.get("include_claim_keys")
    if subject.get("use_default") is not False:
        return failed(OIDC_AREA, title, "GitHub's default subject (no workflow file in it)", fix)
    # iam-template writes the trust for exactly these claims in this order: any other template makes
    # a `sub` no role matches.
    if list(found or ()) != list(SUBJECT_CLAIM_KEYS):
        return failed(OIDC_AREA, title, f"include_claim_keys: {', '.join(found or ()) or 'none'}", fix)
    prefix = subject.get("sub_claim_prefix")
    return passed(OIDC_AREA, title, f"sub_claim_prefix {prefix}" if prefix else "")


def _body() -> str:
    return json.dumps(subject_customisation(), separators=(",", ":"))


def variable_checks(facts: RepositoryFacts, settings: Settings) -> list[Check]:
    if settings.accounts:
        return [
            passed(
                VARIABLES_AREA,
                "Each account's roles are in [[tool.cleaner.accounts]]",
                f"{len(settings.accounts)} listed: {SCAN_ROLE_VARIABLE} and {APPLY_ROLE_VARIABLE} are not"
                " read",
            )
        ]
    checks = [
        _role_variable(facts, name, what)
        for name, what in ((SCAN_ROLE_VARIABLE, "scan"), (APPLY_ROLE_VARIABLE, "apply"))
    ]
    checks.append(_region_variable(facts, settings))
    return checks


_FIX = "Settings → Secrets and variables → Actions → Variables"


def _role_variable(facts: RepositoryFacts, name: str, what: str) -> Check:
    title = f"{name} names the {what} role"
    if isinstance(facts.variables, Unreadable):
        return unreadable(VARIABLES_AREA, title, facts.variables)
    value = facts.variables.get(name, "").strip()
    fix = f"{_FIX} → {name}: the {what} role's ARN (the iam-template stack's {what.title()}RoleArn output)"
    if not value:
        return failed(VARIABLES_AREA, title, "not set", fix)
    if not ROLE_ARN.fullmatch(value):
        return failed(VARIABLES_AREA, title, f"{value!r} is not an IAM role ARN", fix)
    return passed(VARIABLES_AREA, title, value)


def _region_variable(facts: RepositoryFacts, settings: Settings) -> Check:
    title = f"{REGION_VARIABLE} names the region to scan"
    if settings.scan.regions:
        return passed(
            VARIABLES_AREA, title, f"not read: [tool.cleaner] regions = {', '.join(settings.scan.regions)}"
        )
    if isinstance(facts.variables, Unreadable):
        return unreadable(VARIABLES_AREA, title, facts.variables)
    value = facts.variables.get(REGION_VARIABLE, "").strip()
    if value and not re.fullmatch(REGION_PATTERN, value):
        return failed(
            VARIABLES_AREA, title, f"{value!r} is not a region", f"{_FIX} → {REGION_VARIABLE}: e.g. eu-west-1"
        )
    if not value:
        # Advisory: the workflows fall back to us-east-1, which may be what the team wants.
        return failed(
            VARIABLES_AREA,
            title,
            f"not set, and [tool.cleaner] lists no regions: scans cover {DEFAULT_AWS_REGION} only",
            f"set `regions` in [tool.cleaner], or {_FIX} → {REGION_VARIABLE}",
            advisory=True,
        )
    return passed(VARIABLES_AREA, title, value)
