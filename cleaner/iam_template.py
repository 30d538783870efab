"""The AWS side of the security model as a CloudFormation template: the GitHub OIDC provider (optional),
a read-only scan role trusted only for the scan workflow on the default branch, and an apply role that
may delete function versions (never a whole function), trusted only for the apply workflow on the
default branch in the protected GitHub environment.

How exactly a role can tell "the apply workflow on the default branch" from any other job depends on
the repository's OIDC subject template (`--oidc-subject`): GitHub's default `sub` names the repository
and the job's environment or branch, never the workflow file; a repository whose subject template is
`repo, context, job_workflow_ref` gets tokens that name the workflow file and its ref too. Either way
`sub` starts with the repository (`--subject-prefix`): by name, or by name and ID where GitHub writes
immutable subjects.

Pure: builds a dict; `cleaner.commands.iam` validates the flags and prints it. The permissions are
derived from the AWS operations each side of the tool makes (`SCAN_OPERATIONS`, `APPLY_OPERATIONS`),
through `OPERATION_ACTIONS`; tests record the operations a real run sends and hold both sets to them.

Why one module of this size (~460 lines): the template is one document whose parts must agree (the
subjects each trust names, the Denies beside each Allow, the StackSet's fixed names and its provider
parameter); a reviewer checks a trust policy against its permissions here, on one page.
"""

from __future__ import annotations

import json
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
# The workflow files the roles trust with `--oidc-subject job-workflow-ref` (keep in step with
# .github/workflows/).
SCAN_WORKFLOW = ".github/workflows/scan.yml"
APPLY_WORKFLOW = ".github/workflows/apply.yml"

# --oidc-subject: which `sub` format the repository's tokens carry.
SUBJECT_JOB_WORKFLOW_REF = "job-workflow-ref"
SUBJECT_DEFAULT = "default"
SUBJECT_FORMATS = (SUBJECT_JOB_WORKFLOW_REF, SUBJECT_DEFAULT)
# Pinning the workflow file is only possible with a customised subject, and a forgotten customisation
# fails closed (no job can assume either role) where a forgotten environment rule fails open.
DEFAULT_SUBJECT = SUBJECT_JOB_WORKFLOW_REF
# The repository's OIDC subject template that SUBJECT_JOB_WORKFLOW_REF expects; the body of
# `PUT /repos/OWNER/NAME/actions/oidc/customization/sub`. GitHub then writes `sub` as
# `repo:OWNER/NAME:<context>:job_workflow_ref:OWNER/NAME/<workflow path>@<ref>`, the claims in this
# order, where the context is `environment:<name>` for a job in an environment, `pull_request` for a
# pull request without one, else `ref:<ref>`.
SUBJECT_CLAIM_KEYS = ("repo", "context", "job_workflow_ref")

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
    "cloudwatch:ListMetrics": "cloudwatch:ListMetrics",
    "cloudfront:ListDistributions": "cloudfront:ListDistributions",
    # What a plan is worth (cleaner/scan/savings.py): the Price List's rates, each region's code storage
    # and the Cost Explorer bill. Reads only; none of them accepts a narrower resource than "*".
    "pricing:GetProducts": "pricing:GetProducts",
    "lambda:GetAccountSettings": "lambda:GetAccountSettings",
    "ce:GetCostAndUsage": "ce:GetCostAndUsage",
    # Always allowed: AWS answers GetCallerIdentity even when every permission is denied.
    "sts:GetCallerIdentity": None,
}

# Every AWS operation a scan makes (the cleaner/scan package and the adapters it calls).
SCAN_OPERATIONS: frozenset[str] = frozenset(
    {
        "sts:GetCallerIdentity",
        "lambda:ListFunctions",
        "resourcegroupstaggingapi:GetResources",
        "lambda:ListAliases",
        "lambda:ListEventSourceMappings",
        "cloudfront:ListDistributions",
        "cloudwatch:GetMetricData",
        "cloudwatch:ListMetrics",
        "lambda:GetFunction",
        "lambda:GetPolicy",
        "pricing:GetProducts",
        "lambda:GetAccountSettings",
        "ce:GetCostAndUsage",
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
# --subject-prefix: the `repo:` segment GitHub starts every `sub` of the repository with, as
# `gh api repos/OWNER/NAME/actions/oidc/customization/sub --jq .sub_claim_prefix` reports it (trust that
# field, not `use_immutable_subject`, which public set-ups report can disagree with it). Name-only,
# `repo:OWNER/NAME`, for older repositories; immutable, `repo:OWNER@OWNER_ID/NAME@REPO_ID`, for those
# created, renamed or transferred from mid-2026 on and those that opted in (GitHub changelog 2026-04-23,
# "Immutable subject claims for GitHub Actions OIDC tokens"), so that a repository deleted and re-created
# under the same name (other IDs) matches no trust written for the old one.
# IDs as GitHub writes them: decimal, no sign, no leading zero.
_ID = r"@[1-9][0-9]{0,19}"
_SUBJECT_PREFIX = re.compile(
    rf"repo:(?P<owner>{_OWNER})(?:{_ID})?/(?P<name>[A-Za-z0-9._-]{{1,100}})(?:{_ID})?"
)
_PROVIDER_ARN = re.compile(rf"^arn:aws[a-z-]*:iam::\d{{12}}:oidc-provider/{re.escape(GITHUB_OIDC_HOST)}$")


# With --stackset: fixed role names, so each account's roles are arn:aws:iam::<id>:role/<name>.
STACKSET_ROLE_NAMES = {"scan": "snapstart-cleaner-scan", "apply": "snapstart-cleaner-apply"}
STACKSET_PROVIDER_PARAMETER = "CreateOidcProvider"


@dataclass(frozen=True)
class TemplateOptions:
    github_repo: str
    create_oidc_provider: bool = False
    oidc_provider_arn: str | None = None
    function_prefix: str | None = None
    environment: str = DEFAULT_ENVIRONMENT
    default_branch: str = DEFAULT_BRANCH
    oidc_subject: str = DEFAULT_SUBJECT
    # A CloudFormation StackSet (service-managed, deployed to an OU): the same role names in every
    # account (so [[tool.cleaner.accounts]] can name them), the OIDC provider created or reused per
    # account through the CreateOidcProvider parameter.
    stackset: bool = False
    # None: `repo:OWNER/NAME` from github_repo (GitHub's name-only subjects).
    subject_prefix: str | None = None

    def validated(self) -> TemplateOptions:
        """Self, or BadInputError naming the flag: every value ends up inside an IAM condition or ARN,
        where a wildcard or a typo would silently widen or break the trust."""
        if not _REPOSITORY.match(self.github_repo):
            raise BadInputError(f"--github-repo {self.github_repo!r}: expected OWNER/NAME, e.g. acme/infra")
        if self.stackset and (self.create_oidc_provider or self.oidc_provider_arn):
            raise BadInputError(
                "--stackset: the OIDC provider is the template's CreateOidcProvider parameter (true or"
                " false per account), not --create-oidc-provider or --oidc-provider-arn"
            )
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
        if self.oidc_subject not in SUBJECT_FORMATS:
            raise BadInputError(
                f"--oidc-subject {self.oidc_subject!r}: expected one of {', '.join(SUBJECT_FORMATS)}"
            )
        if self.subject_prefix is not None:
            _check_subject_prefix(self.subject_prefix, self.github_repo)
        return self

    @property
    def repo_claim(self) -> str:
        """The `repo:` segment that starts both roles' `sub`."""
        return self.subject_prefix if self.subject_prefix is not None else f"repo:{self.github_repo}"

    @property
    def pins_workflow(self) -> bool:
        return self.oidc_subject == SUBJECT_JOB_WORKFLOW_REF

    @property
    def scan_subject(self) -> str:
        # The scan job runs in no environment, on a schedule or dispatch of the default branch.
        return self._subject(f"ref:refs/heads/{self.default_branch}", SCAN_WORKFLOW)

    @property
    def apply_subject(self) -> str:
        # GitHub puts the environment in the context of every job that declares one, whatever its
        # branch: only the workflow part (or, without it, the environment's branch rule) ties it to the
        # default branch.
        return self._subject(f"environment:{self.environment}", APPLY_WORKFLOW)

    def _subject(self, context: str, workflow: str) -> str:
        # Assumed, not documented by GitHub: with immutable subjects only the `repo:` segment carries
        # the IDs, and `job_workflow_ref` keeps the names (OWNER/NAME/.github/workflows/FILE@REF). If
        # GitHub writes that part with IDs too, the condition matches no token: no job gets the role
        # (AccessDenied), never a wider trust.
        subject = f"{self.repo_claim}:{context}"
        if self.pins_workflow:
            # A workflow that is not reusable is its own job workflow, at the ref it runs for.
            ref = f"refs/heads/{self.default_branch}"
            subject += f":job_workflow_ref:{self.github_repo}/{workflow}@{ref}"
        return subject


def _check_subject_prefix(prefix: str, github_repo: str) -> None:
    """BadInputError unless `prefix` is `repo:OWNER/NAME`, each part with or without its `@ID`, for
    `github_repo` itself: it goes verbatim into both trust conditions."""
    flag = f"--subject-prefix {prefix!r}"
    expected = "expected repo:OWNER/NAME or repo:OWNER@ID/NAME@ID, as sub_claim_prefix reports it"
    if "*" in prefix or "?" in prefix:
        raise BadInputError(f"{flag}: no wildcards ('*', '?'): the roles trust exactly one repository")
    match = _SUBJECT_PREFIX.fullmatch(prefix)
    if match is None:
        head = _SUBJECT_PREFIX.match(prefix)
        if head is not None and prefix[head.end() :].startswith(":"):
            raise BadInputError(
                f"{flag}: only the repository part (sub_claim_prefix); the template adds the branch,"
                " environment and workflow"
            )
        raise BadInputError(f"{flag}: {expected}")
    named = f"{match['owner']}/{match['name']}"
    # GitHub's names are case-insensitive; the prefix keeps the case GitHub writes into `sub`.
    if named.lower() != github_repo.lower():
        raise BadInputError(
            f"{flag}: names {named}, not --github-repo {github_repo}: the roles would trust that repository"
        )


def subject_customisation() -> dict[str, Any]:
    """The repository setting `--oidc-subject job-workflow-ref` needs (REST body, as GitHub takes it)."""
    return {"use_default": False, "include_claim_keys": list(SUBJECT_CLAIM_KEYS)}


def actions_for(operations: Iterable[str]) -> set[str]:
    """The IAM actions that authorise these operations; KeyError for an operation with no known action."""
    return {action for operation in operations if (action := OPERATION_ACTIONS[operation]) is not None}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _function_arn(prefix: str | None) -> dict[str, str]:
    # The trailing `*` matches the function and its qualified version ARNs (`name:7`).
    return _sub(f"arn:${{AWS::Partition}}:lambda:*:${{AWS::AccountId}}:function:{prefix or ''}*")


def _qualified_function_arn(prefix: str) -> dict[str, str]:
    # Only ARNs with a qualifier (`name:7`): a function name holds no `:`, so the unqualified ARN, which
    # DeleteFunction reads as "the function, every version and alias", never matches.
    return _sub(f"arn:${{AWS::Partition}}:lambda:*:${{AWS::AccountId}}:function:{prefix}*:*")


def _never_whole_functions(sid: str) -> list[dict[str, Any]]:
    """Explicit Denies beside the DeleteFunction Allow, so that no Allow attached to the role later (a
    managed policy, a console edit) can hand back what the Allow leaves out."""
    return [
        {
            # DeleteFunction without a Qualifier is authorised against the unqualified ARN and deletes
            # the function, every version and alias. (Lambda's IAM reference lets DeleteFunction be
            # restricted by function, version or alias ARN. Were a call with a Qualifier ever
            # authorised against the unqualified ARN instead, this refuses apply's deletes: closed.)
            "Sid": f"{sid}NeverDeletesWholeFunctions",
            "Effect": "Deny",
            "Action": "lambda:DeleteFunction",
            "NotResource": _sub("arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:*:*"),
        },
        {
            # `$LATEST` (and `$LATEST.PUBLISHED`, which the API's name pattern now accepts) is no
            # published version. Lambda refuses `$LATEST` as DeleteFunction's Qualifier; this keeps
            # the refusal ours whatever a FunctionName of `name:$LATEST` may come to mean.
            "Sid": f"{sid}NeverDeletesLatest",
            "Effect": "Deny",
            "Action": "lambda:DeleteFunction",
            "Resource": _sub("arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:*:$LATEST*"),
        },
    ]


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


def _permissions(sid: str, operations: Iterable[str], prefix: str | None) -> dict[str, Any]:
    actions = actions_for(operations)
    deletes = "lambda:DeleteFunction" in actions
    scoped = sorted(actions & FUNCTION_SCOPED_ACTIONS - {"lambda:DeleteFunction"})
    account_wide = sorted(actions - FUNCTION_SCOPED_ACTIONS)
    statements: list[dict[str, Any]] = []
    if account_wide:
        # These listings and reads have no resource-level permissions: AWS accepts only "*".
        statements.append(
            {"Sid": f"{sid}Listings", "Effect": "Allow", "Action": account_wide, "Resource": "*"}
        )
    if scoped:
        statements.append(
            {"Sid": f"{sid}Functions", "Effect": "Allow", "Action": scoped, "Resource": _function_arn(prefix)}
        )
    if deletes:
        statements.append(
            {
                "Sid": f"{sid}DeleteVersions",
                "Effect": "Allow",
                "Action": "lambda:DeleteFunction",
                "Resource": _qualified_function_arn(prefix or ""),
            }
        )
        statements.extend(_never_whole_functions(sid))
    return {
        "PolicyName": f"snapstart-cleaner-{sid.lower()}",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
    }


def _scan_description(options: TemplateOptions) -> str:
    where = f"{options.github_repo}@{options.default_branch}"
    if options.pins_workflow:
        return f"SnapStart Cleaner scan (read-only): {SCAN_WORKFLOW} of {where} only"
    return f"SnapStart Cleaner scan (read-only): any job of {where} outside an environment"


def _apply_description(options: TemplateOptions) -> str:
    if options.pins_workflow:
        return (
            f"SnapStart Cleaner apply (deletes versions): {APPLY_WORKFLOW} of"
            f" {options.github_repo}@{options.default_branch} in environment {options.environment} only"
        )
    return (
        f"SnapStart Cleaner apply (deletes versions): any job of {options.github_repo} in environment"
        f" {options.environment}. Only that environment's deployment branch rule ({options.default_branch}"
        " only) keeps other branches out: create it, with the rule, before this role"
    )


def build_template(options: TemplateOptions) -> dict[str, Any]:
    """The CloudFormation template (a JSON-ready dict) for `options` (validate them first)."""
    resources: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    own_provider = _sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{GITHUB_OIDC_HOST}")
    if options.stackset:
        # One template for every account of the OU: an account that already has GitHub's provider
        # (one per URL and account) reuses it, the others create it (a parameter override per account).
        extra["Parameters"] = {
            STACKSET_PROVIDER_PARAMETER: {
                "Type": "String",
                "AllowedValues": ["true", "false"],
                "Default": "false",
                "Description": "true: create the GitHub OIDC provider in this account; false: reuse its own",
            }
        }
        extra["Conditions"] = {
            "CreateProvider": {"Fn::Equals": [{"Ref": STACKSET_PROVIDER_PARAMETER}, "true"]}
        }
        resources["GitHubOidcProvider"] = {
            "Type": "AWS::IAM::OIDCProvider",
            "Condition": "CreateProvider",
            "Properties": {"Url": GITHUB_OIDC_URL, "ClientIdList": [STS_AUDIENCE]},
        }
        provider: Any = {"Fn::If": ["CreateProvider", {"Ref": "GitHubOidcProvider"}, own_provider]}
    elif options.create_oidc_provider:
        resources["GitHubOidcProvider"] = {
            "Type": "AWS::IAM::OIDCProvider",
            "Properties": {"Url": GITHUB_OIDC_URL, "ClientIdList": [STS_AUDIENCE]},
        }
        provider = {"Ref": "GitHubOidcProvider"}
    elif options.oidc_provider_arn:
        provider = options.oidc_provider_arn
    else:
        # An account has at most one provider per URL, and its ARN is fixed by the URL.
        provider = own_provider

    resources["ScanRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": _scan_description(options),
            "AssumeRolePolicyDocument": _trust_policy(provider, options.scan_subject),
            # A scan is bound by GetPolicy's quota (one call per candidate, paced at 10/s): a first scan
            # of a large account can run for hours. Read-only, so a session as long as the job may be.
            "MaxSessionDuration": SCAN_SESSION_SECONDS,
            "Policies": [_permissions("Scan", SCAN_OPERATIONS, None)],
        },
    }
    resources["ApplyRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": _apply_description(options),
            "AssumeRolePolicyDocument": _trust_policy(provider, options.apply_subject),
            "MaxSessionDuration": 3600,
            "Policies": [_permissions("Apply", APPLY_OPERATIONS, options.function_prefix)],
        },
    }
    if options.stackset:
        resources["ScanRole"]["Properties"]["RoleName"] = STACKSET_ROLE_NAMES["scan"]
        resources["ApplyRole"]["Properties"]["RoleName"] = STACKSET_ROLE_NAMES["apply"]
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
    if options.pins_workflow:
        outputs["GitHubOidcSubject"] = {
            "Description": (
                "Both roles expect this repository OIDC subject template: PUT it to"
                f" repos/{options.github_repo}/actions/oidc/customization/sub"
            ),
            "Value": json.dumps(subject_customisation(), separators=(",", ":")),
        }
    if options.create_oidc_provider or options.stackset:
        outputs["GitHubOidcProviderArn"] = {
            "Description": "The GitHub Actions OIDC identity provider",
            "Value": {"Ref": "GitHubOidcProvider"},
        }
        if options.stackset:
            outputs["GitHubOidcProviderArn"]["Condition"] = "CreateProvider"
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"SnapStart Cleaner: GitHub OIDC roles for {options.github_repo} (scan and apply)",
        **extra,
        "Resources": resources,
        "Outputs": outputs,
    }
