"""Issue 8, attacks 5 and 7, against the template the real CLI prints, judged by a small model of IAM
and of GitHub's OIDC subject (tests/fakes/iam.py).

Attack 7: the apply role could delete whole functions (`DeleteFunction` on the unqualified ARN is
every version, aliases and `$LATEST`). Attack 5: the apply role trusted an environment name, so any
job naming the environment, on any branch and in any workflow file, got it. The repository is set up
as the template documents: with `--oidc-subject job-workflow-ref` (the default) its OIDC subject
template is the one the template's `GitHubOidcSubject` output names.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from cleaner.cli import Environment, program
from cleaner.exit_codes import ExitCode
from cleaner.iam_template import (
    APPLY_WORKFLOW,
    DEFAULT_BRANCH,
    DEFAULT_ENVIRONMENT,
    SCAN_WORKFLOW,
    subject_customisation,
)
from tests.fakes.iam import (
    ACCOUNT,
    Job,
    documented_customisation,
    is_allowed,
    may_assume,
    oidc_sub,
    token_for,
    wildcard_matches,
)

REPO = "acme/infra"
ROOT = Path(__file__).resolve().parent.parent
MAIN = f"refs/heads/{DEFAULT_BRANCH}"
ENV = DEFAULT_ENVIRONMENT
EVIL = ".github/workflows/evil.yml"


def template_from_cli(*argv: str) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    code = program(["iam-template", "--github-repo", REPO, *argv], Environment(stdout=out, stderr=err))
    assert code == ExitCode.OK, err.getvalue()
    template: dict[str, Any] = json.loads(out.getvalue())
    return template


def arn(function: str, qualifier: str | None = None, account: str = ACCOUNT) -> str:
    base = f"arn:aws:lambda:eu-west-1:{account}:function:{function}"
    return base if qualifier is None else f"{base}:{qualifier}"


# --- the model itself ------------------------------------------------------------------------------------


def test_the_model_reads_iam_wildcards_and_github_subjects_as_documented() -> None:
    assert wildcard_matches("function:a*:*", "function:ab:7")
    assert not wildcard_matches("function:a*:*", "function:ab")
    assert wildcard_matches("v?", "v1") and not wildcard_matches("v?", "v12")
    assert not wildcard_matches("[ab]", "a")  # no character classes in IAM
    # GitHub's documented example of the `repo, context, job_workflow_ref` template.
    job = Job("octo-org/octo-repo", ".github/workflows/oidc.yml", "refs/heads/main", environment="prod")
    assert oidc_sub(job, subject_customisation()) == (
        "repo:octo-org/octo-repo:environment:prod"
        ":job_workflow_ref:octo-org/octo-repo/.github/workflows/oidc.yml@refs/heads/main"
    )
    assert oidc_sub(job, None) == "repo:octo-org/octo-repo:environment:prod"
    pull = Job("o/r", SCAN_WORKFLOW, "refs/pull/7/merge", event="pull_request")
    assert oidc_sub(pull, None) == "repo:o/r:pull_request"


# --- attack 7: whole functions ------------------------------------------------------------------------

PREFIXES = [pytest.param([], id="no-prefix"), pytest.param(["--function-prefix", "payments-"], id="prefix")]


@pytest.mark.parametrize("argv", PREFIXES)
def test_the_apply_role_cannot_delete_a_whole_function(argv: list[str]) -> None:
    role = template_from_cli(*argv)["Resources"]["ApplyRole"]
    # DeleteFunction without a Qualifier deletes the function, every version and alias.
    assert not is_allowed(role, "lambda:DeleteFunction", arn("payments-api"))
    assert is_allowed(role, "lambda:DeleteFunction", arn("payments-api", "7"))


@pytest.mark.parametrize("argv", PREFIXES)
def test_the_apply_role_cannot_delete_latest(argv: list[str]) -> None:
    role = template_from_cli(*argv)["Resources"]["ApplyRole"]
    assert not is_allowed(role, "lambda:DeleteFunction", arn("payments-api", "$LATEST"))


def test_the_apply_role_deletes_only_versions_of_functions_inside_the_prefix() -> None:
    role = template_from_cli("--function-prefix", "payments-")["Resources"]["ApplyRole"]
    assert is_allowed(role, "lambda:DeleteFunction", arn("payments-api", "7"))
    for outside in (
        arn("billing", "7"),
        arn("billing"),
        arn("billing", "$LATEST"),
        arn("payments-api", "7", account="999999999999"),
    ):
        assert not is_allowed(role, "lambda:DeleteFunction", outside), outside
    # The re-verification reads still reach the function itself (ListVersionsByFunction, ListAliases).
    for action in ("lambda:ListVersionsByFunction", "lambda:ListAliases", "lambda:GetPolicy"):
        assert is_allowed(role, action, arn("payments-api"))
        assert is_allowed(role, action, arn("payments-api", "7"))
        assert not is_allowed(role, action, arn("billing"))


def test_an_allow_attached_to_the_apply_role_later_cannot_hand_back_whole_functions() -> None:
    role = template_from_cli()["Resources"]["ApplyRole"]
    # Someone attaches a broad policy to the role (a managed policy, a second stack, a console edit).
    role["Properties"]["Policies"].append(
        {
            "PolicyName": "someone-elses",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}],
            },
        }
    )
    assert not is_allowed(role, "lambda:DeleteFunction", arn("payments-api"))
    assert not is_allowed(role, "lambda:DeleteFunction", arn("payments-api", "$LATEST"))
    assert is_allowed(role, "lambda:DeleteFunction", arn("payments-api", "7"))


def test_delete_function_is_a_statement_of_its_own() -> None:
    role = template_from_cli("--function-prefix", "payments-")["Resources"]["ApplyRole"]
    (policy,) = role["Properties"]["Policies"]
    deleting = [
        s for s in policy["PolicyDocument"]["Statement"] if "lambda:DeleteFunction" in str(s["Action"])
    ]
    assert {s["Sid"]: s["Effect"] for s in deleting} == {
        "ApplyDeleteVersions": "Allow",
        "ApplyNeverDeletesWholeFunctions": "Deny",
        "ApplyNeverDeletesLatest": "Deny",
    }
    for statement in deleting:
        assert statement["Action"] == "lambda:DeleteFunction"


# --- attack 5: who may assume the roles ----------------------------------------------------------------


def apply_job(workflow: str = APPLY_WORKFLOW, ref: str = MAIN, environment: str | None = ENV) -> Job:
    return Job(REPO, workflow, ref, event="push", environment=environment)


def test_the_apply_workflow_on_the_default_branch_in_the_environment_gets_the_apply_role() -> None:
    template = template_from_cli()
    assert may_assume(template["Resources"]["ApplyRole"], token_for(apply_job(), template))
    assert not may_assume(template["Resources"]["ScanRole"], token_for(apply_job(), template))


@pytest.mark.parametrize(
    "job",
    [
        # Attack 5 as filed: another workflow file names the environment.
        pytest.param(apply_job(workflow=EVIL, ref="refs/heads/attacker"), id="other-workflow-other-branch"),
        # ... merged to the default branch (a workflow nobody reviewed as a deleter), or on a branch
        # while the environment has no branch rule (or does not exist yet: naming it creates it).
        pytest.param(apply_job(workflow=EVIL), id="other-workflow-default-branch"),
        pytest.param(apply_job(ref="refs/heads/attacker"), id="apply-workflow-other-branch"),
        pytest.param(apply_job(ref="refs/tags/v1"), id="apply-workflow-tag"),
    ],
)
def test_no_other_job_naming_the_environment_gets_the_apply_role(job: Job) -> None:
    template = template_from_cli()
    assert not may_assume(template["Resources"]["ApplyRole"], token_for(job, template))


@pytest.mark.parametrize(
    "job",
    [
        pytest.param(apply_job(environment=None), id="apply-workflow-without-environment"),
        pytest.param(apply_job(environment="production"), id="other-environment"),
        pytest.param(Job(REPO, APPLY_WORKFLOW, "refs/pull/7/merge", event="pull_request"), id="pull-request"),
        pytest.param(Job("acme/infra-fork", APPLY_WORKFLOW, MAIN, environment=ENV), id="other-repository"),
    ],
)
def test_the_apply_role_refuses_what_it_always_refused(job: Job) -> None:
    template = template_from_cli()
    assert not may_assume(template["Resources"]["ApplyRole"], token_for(job, template))


def scan_job(workflow: str = SCAN_WORKFLOW, ref: str = MAIN, event: str = "schedule") -> Job:
    return Job(REPO, workflow, ref, event=event)


@pytest.mark.parametrize("event", ["schedule", "workflow_dispatch"])
def test_the_scan_workflow_on_the_default_branch_gets_the_scan_role(event: str) -> None:
    template = template_from_cli()
    assert may_assume(template["Resources"]["ScanRole"], token_for(scan_job(event=event), template))
    assert not may_assume(template["Resources"]["ApplyRole"], token_for(scan_job(event=event), template))


@pytest.mark.parametrize(
    "job",
    [
        # Any other workflow running on the default branch: CI on a push, a pull_request_target or
        # workflow_run workflow (they run as the default branch), a workflow added later.
        pytest.param(scan_job(workflow=".github/workflows/ci.yml", event="push"), id="ci-on-default-branch"),
        pytest.param(scan_job(workflow=EVIL, event="workflow_run"), id="other-workflow-default-branch"),
    ],
)
def test_no_other_workflow_on_the_default_branch_gets_the_scan_role(job: Job) -> None:
    template = template_from_cli()
    assert not may_assume(template["Resources"]["ScanRole"], token_for(job, template))


@pytest.mark.parametrize(
    "job",
    [
        pytest.param(
            scan_job(ref="refs/heads/attacker", event="workflow_dispatch"), id="scan-dispatched-on-branch"
        ),
        pytest.param(
            scan_job(ref="refs/pull/7/merge", event="pull_request"), id="scan-workflow-from-a-pull-request"
        ),
        pytest.param(
            Job(REPO, SCAN_WORKFLOW, MAIN, event="schedule", environment=ENV), id="scan-in-an-environment"
        ),
    ],
)
def test_the_scan_role_refuses_what_it_always_refused(job: Job) -> None:
    template = template_from_cli()
    assert not may_assume(template["Resources"]["ScanRole"], token_for(job, template))


def test_flags_move_the_pinned_workflows_with_the_branch_and_environment() -> None:
    template = template_from_cli("--default-branch", "trunk", "--environment", "aws-cleanup")
    apply_role, scan_role = template["Resources"]["ApplyRole"], template["Resources"]["ScanRole"]
    trunk = "refs/heads/trunk"
    assert may_assume(apply_role, token_for(apply_job(ref=trunk, environment="aws-cleanup"), template))
    assert not may_assume(apply_role, token_for(apply_job(environment="aws-cleanup"), template))
    assert not may_assume(apply_role, token_for(apply_job(ref=trunk), template))
    assert may_assume(scan_role, token_for(scan_job(ref=trunk), template))
    assert not may_assume(scan_role, token_for(scan_job(), template))


def test_both_roles_match_the_subject_exactly() -> None:
    template = template_from_cli()
    for name, job in (("ApplyRole", apply_job()), ("ScanRole", scan_job())):
        (statement,) = template["Resources"][name]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Condition"] == {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": oidc_sub(job, subject_customisation()),
            }
        }
        assert "*" not in json.dumps(statement["Condition"]) and "?" not in json.dumps(statement["Condition"])


def test_the_template_names_the_repository_setting_it_needs() -> None:
    template = template_from_cli()
    assert documented_customisation(template) == {
        "use_default": False,
        "include_claim_keys": ["repo", "context", "job_workflow_ref"],
    }
    assert (
        f"repos/{REPO}/actions/oidc/customization/sub"
        in template["Outputs"]["GitHubOidcSubject"]["Description"]
    )
    for name, workflow in (("ApplyRole", APPLY_WORKFLOW), ("ScanRole", SCAN_WORKFLOW)):
        assert workflow in template["Resources"][name]["Properties"]["Description"]


def test_with_the_default_subject_the_environment_branch_rule_is_what_protects_the_apply_role() -> None:
    template = template_from_cli("--oidc-subject", "default")
    assert documented_customisation(template) is None
    apply_role = template["Resources"]["ApplyRole"]
    # GitHub's default subject cannot tell workflows or branches apart inside an environment ...
    assert may_assume(apply_role, token_for(apply_job(workflow=EVIL, ref="refs/heads/attacker"), template))
    # ... so the role says what must stop them.
    description = apply_role["Properties"]["Description"]
    assert "deployment branch rule" in description and f"({DEFAULT_BRANCH} only)" in description


def test_the_pinned_workflow_files_are_the_ones_that_assume_the_roles() -> None:
    # Renaming apply.yml or scan.yml, or moving their triggers off the default branch, must come with
    # the template: the roles would trust a file that no longer runs.
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (it comes with moto[server])")
    apply = yaml.safe_load((ROOT / APPLY_WORKFLOW).read_text(encoding="utf-8"))
    scan = yaml.safe_load((ROOT / SCAN_WORKFLOW).read_text(encoding="utf-8"))
    on_key = True  # PyYAML reads the bare key `on` as a boolean
    assert apply[on_key]["push"]["branches"] == [DEFAULT_BRANCH]
    assert "vars.SNAPSTART_APPLY_ROLE_ARN" in json.dumps(apply["jobs"])
    assert apply["jobs"]["apply"]["environment"] == DEFAULT_ENVIRONMENT
    assert set(scan[on_key]) == {"schedule", "workflow_dispatch"}
    assert "vars.SNAPSTART_SCAN_ROLE_ARN" in json.dumps(scan["jobs"])
    assert "environment" not in scan["jobs"]["scan"]
