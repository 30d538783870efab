"""`doctor --aws`: each scan and apply role (from the repository variables, or [[tool.cleaner.accounts]])
is read with iam:GetRole in an in-process moto account and its trust compared with what `iam-template`
writes for this repository: its default branch, its OIDC subject template and its sub_claim_prefix. The
OIDC provider's ARN may differ per account; the Action and the conditions may not."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from doctor_scene import ACCOUNT, APPLY_ROLE, SCAN_ROLE, set_up_as_the_readme_says
from fakes.github_server import FakeGitHub
from fakes.github_settings import RepositorySettings

from cleaner.cli import Environment, program
from cleaner.exit_codes import ExitCode
from cleaner.iam_template import TemplateOptions, build_template

PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
Doctor = Callable[..., tuple[ExitCode, list[dict[str, Any]]]]


def trust(kind: str, **options: Any) -> dict[str, Any]:
    """The role's trust policy as `iam-template --github-repo acme/infra` writes it, the provider named."""
    template = build_template(TemplateOptions(github_repo="acme/infra", **options).validated())
    resource = {"scan": "ScanRole", "apply": "ApplyRole"}[kind]
    document: dict[str, Any] = template["Resources"][resource]["Properties"]["AssumeRolePolicyDocument"]
    document["Statement"][0]["Principal"]["Federated"] = PROVIDER
    return document


def create_role(session: boto3.Session, arn: str, document: dict[str, Any]) -> None:
    session.client("iam").create_role(
        RoleName=arn.rsplit("/", 1)[-1], AssumeRolePolicyDocument=json.dumps(document)
    )


@pytest.fixture
def settings(fake_github: FakeGitHub, tmp_path: Path) -> RepositorySettings:
    return set_up_as_the_readme_says(fake_github, tmp_path)


@pytest.fixture
def doctor(
    settings: RepositorySettings, github_environ: dict[str, str], aws_session: boto3.Session, tmp_path: Path
) -> Doctor:

    def run(*flags: str) -> tuple[ExitCode, list[dict[str, Any]]]:
        out, err = io.StringIO(), io.StringIO()
        env = Environment(
            stdout=out,
            stderr=err,
            cwd=tmp_path,
            environ={**github_environ, "GITHUB_TOKEN": "octocat-token"},
            aws_session=lambda: aws_session,
        )
        code = program(["doctor", "--aws", "--format", "json", *flags], env)
        assert code in (ExitCode.OK, ExitCode.FAILURES), err.getvalue()
        checks = [c for c in json.loads(out.getvalue())["checks"] if c["area"] == "AWS roles"]
        return code, checks

    return run


def test_roles_as_iam_template_writes_them_pass(doctor: Doctor, aws_session: boto3.Session) -> None:
    create_role(aws_session, SCAN_ROLE, trust("scan"))
    create_role(aws_session, APPLY_ROLE, trust("apply"))
    code, checks = doctor()
    assert code == ExitCode.OK
    assert [(c["title"], c["status"]) for c in checks] == [
        (f"Account {ACCOUNT}: the scan role trusts only what iam-template writes", "pass"),
        (f"Account {ACCOUNT}: the apply role trusts only what iam-template writes", "pass"),
    ]
    assert "job_workflow_ref:acme/infra/.github/workflows/apply.yml@refs/heads/main" in checks[1]["detail"]


def _any_branch(document: dict[str, Any]) -> dict[str, Any]:
    condition = document["Statement"][0]["Condition"]
    condition["StringLike"] = {"token.actions.githubusercontent.com:sub": "repo:acme/infra:*"}
    del condition["StringEquals"]["token.actions.githubusercontent.com:sub"]
    return document


def _and_the_account(document: dict[str, Any]) -> dict[str, Any]:
    document["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    )
    return document


@pytest.mark.parametrize(
    ("kind", "change", "words"),
    [
        ("apply", _any_branch, "trusts more than iam-template writes (sub: StringLike repo:acme/infra:*)"),
        ("scan", _and_the_account, "an Allow statement trusts more than iam-template writes"),
        ("apply", lambda d: trust("scan"), "no statement trusts StringEquals repo:acme/infra:environment"),
    ],
    ids=["any branch", "the whole account too", "the other workflow's subject"],
)
def test_a_role_that_trusts_more_or_other_than_the_template_fails(
    doctor: Doctor,
    aws_session: boto3.Session,
    kind: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    words: str,
) -> None:
    documents = {"scan": trust("scan"), "apply": trust("apply")}
    documents[kind] = change(documents[kind])
    create_role(aws_session, SCAN_ROLE, documents["scan"])
    create_role(aws_session, APPLY_ROLE, documents["apply"])
    code, checks = doctor()
    assert code == ExitCode.FAILURES
    failing = [c for c in checks if c["status"] != "pass"]
    assert [c["title"] for c in failing] == [
        f"Account {ACCOUNT}: the {kind} role trusts only what iam-template writes"
    ]
    assert words in failing[0]["detail"]
    assert (
        "snapstart-cleaner iam-template --github-repo acme/infra --default-branch main" in failing[0]["fix"]
    )


def test_a_missing_role_is_not_a_pass(doctor: Doctor, aws_session: boto3.Session) -> None:
    create_role(aws_session, SCAN_ROLE, trust("scan"))
    code, checks = doctor()
    assert code == ExitCode.FAILURES
    assert [(c["status"], c["detail"]) for c in checks if c["status"] != "pass"] == [
        (
            "unreadable",
            "could not read: needs the role to exist (deploy the iam-template stack)"
            f" (iam:GetRole {APPLY_ROLE}: no such role)",
        )
    ]


def test_roles_of_another_account_need_that_accounts_credentials(
    doctor: Doctor, aws_session: boto3.Session, tmp_path: Path
) -> None:
    create_role(aws_session, SCAN_ROLE, trust("scan"))
    create_role(aws_session, APPLY_ROLE, trust("apply"))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.cleaner]\nregions = ["us-east-1"]\nbot_logins = ["snapstart-cleaner[bot]"]\n'
        "[[tool.cleaner.accounts]]\n"
        f'id = "{ACCOUNT}"\nscan_role_arn = "{SCAN_ROLE}"\napply_role_arn = "{APPLY_ROLE}"\n'
        "[[tool.cleaner.accounts]]\n"
        'id = "111111111111"\nscan_role_arn = "arn:aws:iam::111111111111:role/snapstart-cleaner-scan"\n'
        'apply_role_arn = "arn:aws:iam::111111111111:role/snapstart-cleaner-apply"\n'
    )
    code, checks = doctor()
    assert code == ExitCode.FAILURES
    assert [(c["title"].split(":")[0], c["status"]) for c in checks] == [
        (f"Account {ACCOUNT}", "pass"),
        (f"Account {ACCOUNT}", "pass"),
        ("Account 111111111111", "unreadable"),
        ("Account 111111111111", "unreadable"),
    ]
    assert "needs AWS credentials of account 111111111111" in checks[2]["detail"]


def test_an_immutable_subject_prefix_is_what_the_roles_must_trust(
    doctor: Doctor, aws_session: boto3.Session, settings: RepositorySettings
) -> None:
    prefix = "repo:acme@1234/infra@5678"
    settings.oidc_subject["sub_claim_prefix"] = prefix
    create_role(aws_session, SCAN_ROLE, trust("scan", subject_prefix=prefix))
    create_role(aws_session, APPLY_ROLE, trust("apply"))  # written without --subject-prefix
    code, checks = doctor()
    assert code == ExitCode.FAILURES
    assert [c["status"] for c in checks] == ["pass", "fail"]
    assert f"--subject-prefix '{prefix}'" in checks[1]["fix"]
