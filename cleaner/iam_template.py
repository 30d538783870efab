"""The AWS side of the security model as a CloudFormation template: the GitHub OIDC provider (optional),
a read-only scan role trusted for the default branch, and a delete-capable apply role trusted only for
the protected GitHub environment.

Pure: builds a dict; `cleaner.commands.iam` validates the flags and prints it. The permissions are
derived from the AWS operations each side of the tool makes (`SCAN_OPERATIONS`, `APPLY_OPERATIONS`),
through `OPERATION_ACTIONS`; tests record the operations a real run sends and hold both sets to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cleaner.exit_codes import BadInputError

# The scan job's limit in scan.yml (GitHub-hosted runners stop a job after 6 hours).
SCAN_SESSION_SECONDS = 6 * 3600
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
# The audience aws-actions/configure-aws-credentials asks GitHub for.
STS_AUDIENCE = "sts.amazonaws.com"
DEFAULT_ENVIRONMENT = "snapstart-cleanup"
DEFAULT_BRANCH = "main"

# botocore "<service name>:<operation>" (what `cleaner.aws.ratelimit.CallRecorder` records) -> the IAM
# action that authorises it; None when the call needs no permission.
OPERATION_ACTIONS: dict[str, str | None] = {
    "lambda:ListFunctions": "lambda:ListFunctions",
    "lambda:ListVersionsByFunction": "lambda:ListVersionsByFunction",
    "lambda:ListAliases": "lambda:ListAliases",
    "lambda:ListEventSourceMappings": "lambda:ListEventSourceMappings",
    "lambda:GetFunction": "lambda:GetFunction",
    "lambda:GetPolicy": "lambda:GetPolicy",
    "lambda:DeleteFunction": "lambda:DeleteFunction",
    # The tagging API's IAM prefix is `tag`, not its botocore service name.
    "resourcegroupstaggingapi:GetResources": "tag:GetResources",
    "cloudwatch:GetMetricData": "cloudwatch:GetMetricData",
    "cloudfront:ListDistributions": "cloudfront:ListDistributions",
    # Always allowed: AWS answers GetCallerIdentity even when every permission is denied.
    "sts:GetCallerIdentity": None,
}

# Every AWS operation a scan makes (cleaner/scan.py and the adapters it calls).
SCAN_OPERATIONS: frozenset[str] = frozenset(
    {
        "sts:GetCallerIdentity",
        "lambda:ListFunctions",
        "resourcegroupstaggingapi:GetResources",
        "lambda:ListAliases",
        "lambda:ListEventSourceMappings",
        "cloudfront:ListDistributions",
        "cloudwatch:GetMetricData",
        "lambda:GetFunction",
        "lambda:GetPolicy",
    }
)

# Every AWS operation an apply makes (cleaner/applier.py): live re-verification of each planned
# version, then the delete. Not re-read (cleaner/reverify.py, NOT_REVERIFIED): Lambda@Edge (AWS itself
# refuses to delete a replicated version), so no CloudFront; and the state, so no GetFunction.
APPLY_OPERATIONS: frozenset[str] = frozenset(
    {
        "sts:GetCallerIdentity",
        "lambda:ListVersionsByFunction",
        "lambda:ListAliases",
        "lambda:ListEventSourceMappings",
        "lambda:GetPolicy",
        "resourcegroupstaggingapi:GetResources",
        "cloudwatch:GetMetricData",
        "lambda:DeleteFunction",
    }
)

# Actions that accept a function ARN as their resource (every other one here needs "*").
FUNCTION_SCOPED_ACTIONS = frozenset(
    {
        "lambda:ListVersionsByFunction",
        "lambda:ListAliases",
        "lambda:GetFunction",
        "lambda:GetPolicy",
        "lambda:DeleteFunction",
    }
)

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_REPOSITORY = re.compile(rf"^{_OWNER}/(?!\.\.?$)[A-Za-z0-9._-]{{1,100}}$")
_FUNCTION_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
_BRANCH = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}(?<![/.])$")
_PROVIDER_ARN = re.compile(rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}$")


@dataclass(frozen=True)
class TemplateOptions:
    github_repo: str
    create_oidc_provider: bool = False
    oidc_provider_arn: str | None = None
    function_prefix: str | None = None
    environment: str = DEFAULT_ENVIRONMENT
    default_branch: str = DEFAULT_BRANCH

    def validated(self) -> TemplateOptions:
        """Self, or BadInputError naming the flag: every value ends up inside an IAM condition or ARN,
        where a wildcard or a typo would silently widen or break the trust."""
        if not _REPOSITORY.match(self.github_repo):
            raise BadInputError(f"--github-repo {self.github_repo!r}: expected OWNER/NAME, e.g. acme/infra")
        if self.create_oidc_provider and self.oidc_provider_arn:
            raise BadInputError("--create-oidc-provider and --oidc-provider-arn exclude each other")
        if self.oidc_provider_arn is not None and not _PROVIDER_ARN.match(self.oidc_provider_arn):
            raise BadInputError(
                f"--oidc-provider-arn {self.oidc_provider_arn!r}: expected"
                f" arn:aws:iam::ACCOUNT:oidc-provider/{GITHUB_OIDC_HOST}"
            )
        if self.function_prefix is not None and not _FUNCTION_PREFIX.match(self.function_prefix):
            raise BadInputError(
                f"--function-prefix {self.function_prefix!r}: letters, digits, '-' and '_' only"
                " (no wildcards)"
            )
        if not _ENVIRONMENT.match(self.environment):
            raise BadInputError(
                f"--environment {self.environment!r}: letters, digits, '.', '-' and '_' only (no wildcards)"
            )
        if not _BRANCH.match(self.default_branch):
            raise BadInputError(f"--default-branch {self.default_branch!r}: not a plain branch name")
        return self

    @property
    def scan_subject(self) -> str:
        # A job without an environment, on a push/schedule/dispatch of the branch.
        return f"repo:{self.github_repo}:ref:refs/heads/{self.default_branch}"

    @property
    def apply_subject(self) -> str:
        # GitHub puts the environment in `sub` for every job that declares one, whatever the branch.
        return f"repo:{self.github_repo}:environment:{self.environment}"


def actions_for(operations: Iterable[str]) -> set[str]:
    """The IAM actions that authorise these operations; KeyError for an operation with no known action."""
    return {action for operation in operations if (action := OPERATION_ACTIONS[operation]) is not None}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _function_arn(prefix: str | None) -> dict[str, str]:
    # The trailing `*` matches the function and its qualified version ARNs (`name:7`).
    return _sub(f"arn:${{AWS::Partition}}:lambda:*:${{AWS::AccountId}}:function:{prefix or ''}*")


def _trust_policy(provider: Any, subject: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": subject,
                    }
                },
            }
        ],
    }


def _permissions(sid: str, operations: Iterable[str], function_arn: dict[str, str]) -> dict[str, Any]:
    actions = actions_for(operations)
    scoped = sorted(actions & FUNCTION_SCOPED_ACTIONS)
    account_wide = sorted(actions - FUNCTION_SCOPED_ACTIONS)
    statements: list[dict[str, Any]] = []
    if account_wide:
        # These listings and reads have no resource-level permissions: AWS accepts only "*".
        statements.append(
            {"Sid": f"{sid}Listings", "Effect": "Allow", "Action": account_wide, "Resource": "*"}
        )
    if scoped:
        statements.append(
            {"Sid": f"{sid}Functions", "Effect": "Allow", "Action": scoped, "Resource": function_arn}
        )
    return {
        "PolicyName": f"snapstart-cleaner-{sid.lower()}",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
    }


def build_template(options: TemplateOptions) -> dict[str, Any]:
    """The CloudFormation template (a JSON-ready dict) for `options` (validate them first)."""
    resources: dict[str, Any] = {}
    if options.create_oidc_provider:
        resources["GitHubOidcProvider"] = {
            "Type": "AWS::IAM::OIDCProvider",
            "Properties": {"Url": GITHUB_OIDC_URL, "ClientIdList": [STS_AUDIENCE]},
        }
        provider: Any = {"Ref": "GitHubOidcProvider"}
    elif options.oidc_provider_arn:
        provider = options.oidc_provider_arn
    else:
        # An account has at most one provider per URL, and its ARN is fixed by the URL.
        provider = _sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{GITHUB_OIDC_HOST}")

    resources["ScanRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": (
                f"SnapStart Cleaner scan (read-only), {options.github_repo}@{options.default_branch}"
            ),
            "AssumeRolePolicyDocument": _trust_policy(provider, options.scan_subject),
            # A scan is bound by GetPolicy's quota (one call per candidate, paced at 10/s): a first scan
            # of a large account can run for hours. Read-only, so a session as long as the job may be.
            "MaxSessionDuration": SCAN_SESSION_SECONDS,
            "Policies": [_permissions("Scan", SCAN_OPERATIONS, _function_arn(None))],
        },
    }
    resources["ApplyRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": (
                f"SnapStart Cleaner apply (deletes versions), {options.github_repo}"
                f" environment {options.environment}"
            ),
            "AssumeRolePolicyDocument": _trust_policy(provider, options.apply_subject),
            "MaxSessionDuration": 3600,
            "Policies": [_permissions("Apply", APPLY_OPERATIONS, _function_arn(options.function_prefix))],
        },
    }
    outputs: dict[str, Any] = {
        "ScanRoleArn": {
            "Description": "Repository variable SNAPSTART_SCAN_ROLE_ARN",
            "Value": {"Fn::GetAtt": ["ScanRole", "Arn"]},
        },
        "ApplyRoleArn": {
            "Description": "Repository variable SNAPSTART_APPLY_ROLE_ARN",
            "Value": {"Fn::GetAtt": ["ApplyRole", "Arn"]},
        },
    }
    if options.create_oidc_provider:
        outputs["GitHubOidcProviderArn"] = {
            "Description": "The GitHub Actions OIDC identity provider",
            "Value": {"Ref": "GitHubOidcProvider"},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"SnapStart Cleaner: GitHub OIDC roles for {options.github_repo} (scan and apply)",
        "Resources": resources,
        "Outputs": outputs,
    }
