"""`iam-template`: with GitHub's default subject (`--oidc-subject default`) the roles' trust is exactly
the default branch (scan) or the environment (apply); the template passes cfn-lint in every variant; and
each role grants exactly the actions the recorded AWS calls need. The attacks on the trust and on
DeleteFunction are in test_iam_attacks.py."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from cleaner.aws.ratelimit import CallRecorder
from cleaner.aws.session import AwsContext
from cleaner.cli import Environment, program
from cleaner.demo.account import DEMO_ACCOUNT_ID, SimulatedAccount
from cleaner.exit_codes import ExitCode
from cleaner.iam_template import (
    APPLY_OPERATIONS,
    GITHUB_OIDC_HOST,
    OPERATION_ACTIONS,
    SCAN_OPERATIONS,
    TemplateOptions,
    actions_for,
    build_template,
)
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, ScanSettings
from tests.fakes.iam import is_allowed, may_assume, permission_statements

REPO = "acme/infra"


def run_cli(*argv: str, cwd: Path | None = None, **env_fields: Any) -> tuple[ExitCode, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, cwd=cwd or Path.cwd(), **env_fields)
    code = program(list(argv), env)
    return code, out.getvalue(), err.getvalue()


def template_from_cli(*argv: str) -> dict[str, Any]:
    code, out, err = run_cli("iam-template", "--github-repo", REPO, *argv)
    assert code == ExitCode.OK, err
    template: dict[str, Any] = json.loads(out)
    return template


def granted(role: dict[str, Any]) -> set[str]:
    """Every action some Allow statement of the role names."""
    return {
        action
        for statement in permission_statements(role)
        if statement["Effect"] == "Allow"
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    }


def allows(role: dict[str, Any], action: str, resource: str) -> bool:
    return is_allowed(role, action, resource)


def claims(sub: str, aud: str = "sts.amazonaws.com") -> dict[str, str]:
    return {"sub": sub, "aud": aud}


# --- trust ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sub", "aud", "expected"),
    [
        pytest.param(f"repo:{REPO}:ref:refs/heads/main", "sts.amazonaws.com", True, id="schedule-on-main"),
        pytest.param(f"repo:{REPO}:ref:refs/heads/feature", "sts.amazonaws.com", False, id="other-branch"),
        pytest.param(f"repo:{REPO}:pull_request", "sts.amazonaws.com", False, id="pull-request"),
        pytest.param(f"repo:{REPO}:ref:refs/tags/v1", "sts.amazonaws.com", False, id="tag"),
        pytest.param(f"repo:{REPO}:environment:snapstart-cleanup", "sts.amazonaws.com", False, id="env"),
        pytest.param("repo:acme/infra-fork:ref:refs/heads/main", "sts.amazonaws.com", False, id="other-repo"),
        pytest.param("repo:evil/infra:ref:refs/heads/main", "sts.amazonaws.com", False, id="other-owner"),
        pytest.param(f"repo:{REPO}:ref:refs/heads/main", "https://github.com/acme", False, id="other-aud"),
    ],
)
def test_with_the_default_subject_the_scan_role_is_assumable_only_from_the_default_branch(
    sub: str, aud: str, expected: bool
) -> None:
    role = template_from_cli("--oidc-subject", "default")["Resources"]["ScanRole"]
    assert may_assume(role, claims(sub, aud)) is expected


@pytest.mark.parametrize(
    ("sub", "aud", "expected"),
    [
        pytest.param(f"repo:{REPO}:environment:snapstart-cleanup", "sts.amazonaws.com", True, id="env"),
        pytest.param(f"repo:{REPO}:ref:refs/heads/main", "sts.amazonaws.com", False, id="main-without-env"),
        pytest.param(f"repo:{REPO}:pull_request", "sts.amazonaws.com", False, id="pull-request"),
        pytest.param(f"repo:{REPO}:environment:production", "sts.amazonaws.com", False, id="other-env"),
        pytest.param("repo:acme/other:environment:snapstart-cleanup", "sts.amazonaws.com", False, id="repo"),
        pytest.param(f"repo:{REPO}:environment:snapstart-cleanup", "sts.example", False, id="other-aud"),
    ],
)
def test_with_the_default_subject_the_apply_role_is_assumable_only_from_the_protected_environment(
    sub: str, aud: str, expected: bool
) -> None:
    role = template_from_cli("--oidc-subject", "default")["Resources"]["ApplyRole"]
    assert may_assume(role, claims(sub, aud)) is expected


def test_branch_and_environment_flags_move_the_trust_and_nothing_else() -> None:
    template = template_from_cli(
        "--oidc-subject", "default", "--default-branch", "trunk", "--environment", "aws-cleanup"
    )
    scan_role, apply_role = template["Resources"]["ScanRole"], template["Resources"]["ApplyRole"]
    assert may_assume(scan_role, claims(f"repo:{REPO}:ref:refs/heads/trunk"))
    assert not may_assume(scan_role, claims(f"repo:{REPO}:ref:refs/heads/main"))
    assert may_assume(apply_role, claims(f"repo:{REPO}:environment:aws-cleanup"))
    assert not may_assume(apply_role, claims(f"repo:{REPO}:environment:snapstart-cleanup"))


def test_both_roles_trust_the_chosen_oidc_provider() -> None:
    created = template_from_cli("--create-oidc-provider")
    provider = created["Resources"]["GitHubOidcProvider"]["Properties"]
    assert provider == {"Url": f"https://{GITHUB_OIDC_HOST}", "ClientIdList": ["sts.amazonaws.com"]}
    existing_arn = f"arn:aws:iam::{DEMO_ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}"
    given = template_from_cli("--oidc-provider-arn", existing_arn)
    default = template_from_cli()
    assert "GitHubOidcProvider" not in given["Resources"]
    assert "GitHubOidcProvider" not in default["Resources"]
    for template, principal in (
        (created, {"Ref": "GitHubOidcProvider"}),
        (given, existing_arn),
        (
            default,
            {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:oidc-provider/{GITHUB_OIDC_HOST}"},
        ),
    ):
        for name in ("ScanRole", "ApplyRole"):
            (statement,) = template["Resources"][name]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            assert statement["Principal"] == {"Federated": principal}
        assert set(template["Outputs"]) >= {"ScanRoleArn", "ApplyRoleArn"}


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--github-repo", "acme"], id="no-slash"),
        pytest.param(["--github-repo", "acme/*"], id="wildcard-name"),
        pytest.param(["--github-repo", "*/infra"], id="wildcard-owner"),
        pytest.param(["--github-repo", "acme/infra/extra"], id="too-many-parts"),
        pytest.param(["--github-repo", "acme/.."], id="dot-dot"),
        pytest.param(["--github-repo", "-acme/infra"], id="leading-hyphen"),
        pytest.param(["--github-repo", "acme/infra:ref:refs/heads/x"], id="claim-injection"),
        pytest.param(["--github-repo", REPO, "--function-prefix", "api*"], id="prefix-wildcard"),
        pytest.param(["--github-repo", REPO, "--environment", "*"], id="environment-wildcard"),
        pytest.param(["--github-repo", REPO, "--default-branch", "*"], id="branch-wildcard"),
        pytest.param(["--github-repo", REPO, "--oidc-subject", "repo"], id="unknown-subject-format"),
        pytest.param(["--github-repo", REPO, "--oidc-provider-arn", "arn:aws:iam::1:role/x"], id="bad-arn"),
        pytest.param(
            ["--github-repo", REPO, "--create-oidc-provider", "--oidc-provider-arn", "x"], id="both-providers"
        ),
        pytest.param([], id="no-repo"),
    ],
)
def test_bad_flags_exit_2_without_printing_a_template(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli("iam-template", *argv)
    assert code == ExitCode.BAD_INPUT
    assert out == ""
    # Our own checks write to the environment's stderr; argparse's usage errors to the process's.
    assert err or capsys.readouterr().err


# --- cfn-lint ------------------------------------------------------------------------------------------


def test_every_variant_of_the_template_passes_cfn_lint(tmp_path: Path) -> None:
    pytest.importorskip("cfnlint", reason="cfn-lint is not installed (pip install -e '.[dev]')")
    variants = {
        "default.json": [],
        "created-provider.json": ["--create-oidc-provider", "--function-prefix", "payments-"],
        "default-subject.json": ["--oidc-subject", "default", "--function-prefix", "payments-"],
        "stackset.json": ["--stackset"],
        "stackset-default-subject.json": ["--stackset", "--oidc-subject", "default"],
        "immutable-subject.json": ["--subject-prefix", "repo:acme@123456/infra@456789"],
        "stackset-immutable-default-subject.json": [
            *("--stackset", "--oidc-subject", "default"),
            *("--subject-prefix", "repo:Acme@1/Infra@2"),
        ],
        "given-provider.json": [
            "--oidc-provider-arn",
            f"arn:aws:iam::{DEMO_ACCOUNT_ID}:oidc-provider/{GITHUB_OIDC_HOST}",
            "--environment",
            "prod-cleanup",
            "--default-branch",
            "release/2026",
        ],
    }
    for name, argv in variants.items():
        (tmp_path / name).write_text(json.dumps(template_from_cli(*argv), indent=2), encoding="utf-8")
    # A control that must fail, so a linter that silently checks nothing cannot pass this test.
    broken = template_from_cli()
    broken["Resources"]["ScanRole"]["Properties"]["MaxSessionDuration"] = 60
    (tmp_path / "control-broken.json").write_text(json.dumps(broken, indent=2), encoding="utf-8")

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from cfnlint.runner import main; sys.exit(main())",
            *("--format", "json", "--"),
            *sorted(str(p) for p in tmp_path.glob("*.json")),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    by_file: dict[str, list[str]] = {}
    for finding in findings:
        by_file.setdefault(Path(finding["Filename"]).name, []).append(
            f"{finding['Rule']['Id']} {finding['Message']}"
        )
    assert set(by_file) == {"control-broken.json"}, (by_file, result.stderr)


# --- permissions against recorded calls -----------------------------------------------------------------


def build_account_exercising_every_check(account: SimulatedAccount) -> None:
    """Every scan stage runs and something survives to the last one (GetPolicy)."""
    account.function("api", [100, 90, 80, 70, 60])  # versions 1 and 2 qualify
    account.alias("api", "live", "5", weights={"4": 0.1})
    account.invocations("api", 40, days_ago=1, alias="live", executed_version="5")
    account.function("worker", [100, 90, 80, 70, 60])
    account.event_source_mapping("worker", "1", "jobs")
    account.permission("worker", "2")
    account.function("pinned", [100, 90, 80, 70], tags={"snapstart-cleaner:keep": "yes"})
    account.function("chatty", [100, 90, 80, 70])
    account.invocations("chatty", 5, days_ago=2, unqualified=True)


def test_a_real_scan_calls_exactly_the_operations_the_scan_role_allows(
    account: SimulatedAccount, aws_session: boto3.Session, now: datetime
) -> None:
    build_account_exercising_every_check(account)
    recorder = CallRecorder()
    plan = scan(
        AwsContext(aws_session, recorder=recorder),
        ScanSettings(regions=["us-east-1"]),
        now,
        "t",
        lambda _: None,
        limits=ApplyLimits(),
    )
    assert {(e.function_name, e.version) for e in plan.delete} >= {("api", "1"), ("api", "2")}
    assert not plan.warnings  # every check ran to completion

    recorded = set(recorder.calls)
    # The account reaches every stage, so the declared set is exactly what a scan sends.
    assert recorded == SCAN_OPERATIONS
    role = template_from_cli()["Resources"]["ScanRole"]
    function_arn = f"arn:aws:lambda:us-east-1:{DEMO_ACCOUNT_ID}:function:api:1"
    for operation in recorded:
        action = OPERATION_ACTIONS[operation]
        if action is not None:
            assert allows(role, action, "*") or allows(role, action, function_arn), operation
    # ... and the role grants nothing the scan never uses.
    assert set(granted(role)) == actions_for(recorded)


def test_the_scan_role_is_read_only() -> None:
    role = template_from_cli()["Resources"]["ScanRole"]
    writes = ("Delete", "Update", "Put", "Create", "Publish", "Tag", "Untag", "Add", "Remove", "Invoke")
    assert not [a for a in granted(role) if a.split(":", 1)[1].startswith(writes)]


def test_the_apply_role_grants_exactly_the_apply_operations() -> None:
    role = template_from_cli()["Resources"]["ApplyRole"]
    assert set(granted(role)) == actions_for(APPLY_OPERATIONS)
    assert "lambda:DeleteFunction" in granted(role)
    # The only write it may make is deleting a function version.
    assert [a for a in granted(role) if not a.split(":", 1)[1].startswith(("List", "Get"))] == [
        "lambda:DeleteFunction"
    ]


def test_a_function_prefix_limits_what_the_apply_role_can_touch() -> None:
    role = template_from_cli("--function-prefix", "payments-")["Resources"]["ApplyRole"]
    inside = f"arn:aws:lambda:eu-west-1:{DEMO_ACCOUNT_ID}:function:payments-api:7"
    outside = f"arn:aws:lambda:eu-west-1:{DEMO_ACCOUNT_ID}:function:billing:7"
    other_account = "arn:aws:lambda:eu-west-1:999999999999:function:payments-api:7"
    for action in ("lambda:DeleteFunction", "lambda:GetPolicy", "lambda:ListVersionsByFunction"):
        assert allows(role, action, inside)
        assert not allows(role, action, outside)
        assert not allows(role, action, other_account)
    unlimited = template_from_cli()["Resources"]["ApplyRole"]
    assert allows(unlimited, "lambda:DeleteFunction", outside)
    assert not allows(unlimited, "lambda:DeleteFunction", other_account)


def test_every_declared_operation_has_a_known_iam_action() -> None:
    assert set(OPERATION_ACTIONS) >= SCAN_OPERATIONS | APPLY_OPERATIONS
    assert OPERATION_ACTIONS["resourcegroupstaggingapi:GetResources"] == "tag:GetResources"
    assert "lambda:DeleteFunction" not in actions_for(SCAN_OPERATIONS)


def test_the_template_is_deterministic_for_the_same_flags() -> None:
    options = TemplateOptions(github_repo=REPO, function_prefix="api-")
    assert json.dumps(build_template(options)) == json.dumps(build_template(options))


@pytest.fixture
def session_recorder(aws_session: boto3.Session) -> Iterator[CallRecorder]:
    """Records every call any client of `aws_session` makes, whoever creates the client."""
    recorder = CallRecorder()

    def before_call(model: Any, **_: Any) -> None:
        recorder.record(model.service_model.service_name, model.name)

    aws_session.events.register("before-call", before_call)
    yield recorder
    aws_session.events.unregister("before-call", before_call)


def test_a_recorded_apply_run_calls_exactly_the_operations_the_apply_role_allows(
    account: SimulatedAccount,
    aws_session: boto3.Session,
    session_recorder: CallRecorder,
    now: datetime,
    tmp_path: Path,
) -> None:
    pytest.importorskip("cleaner.commands.apply", reason="the apply command is not written yet")
    build_account_exercising_every_check(account)
    session_env: dict[str, Any] = {"aws_session": lambda: aws_session, "clock": lambda: now}
    code, _, err = run_cli(
        "scan", "--region", "us-east-1", "--plan-id", "recorded", "--now", now.isoformat(),
        cwd=tmp_path, **session_env,
    )  # fmt: skip
    assert code == ExitCode.OK, err
    session_recorder.calls.clear()

    code, out, err = run_cli("apply", "plans/recorded/plan.json", cwd=tmp_path, **session_env)
    assert code == ExitCode.OK, out + err
    recorded = set(session_recorder.calls)
    assert "lambda:DeleteFunction" in recorded
    assert recorded == APPLY_OPERATIONS, (
        f"apply sent {sorted(recorded - APPLY_OPERATIONS)} not declared, never sent"
        f" {sorted(APPLY_OPERATIONS - recorded)}: update APPLY_OPERATIONS in cleaner/iam_template.py"
    )


# --- StackSet ------------------------------------------------------------------------------------------


def test_the_stackset_variant_creates_or_reuses_the_provider_per_account_by_parameter() -> None:
    from cleaner.accounts import ROLE_ARN

    template = template_from_cli("--stackset")
    assert template["Parameters"]["CreateOidcProvider"]["AllowedValues"] == ["true", "false"]
    assert template["Conditions"] == {
        "CreateProvider": {"Fn::Equals": [{"Ref": "CreateOidcProvider"}, "true"]}
    }
    provider = template["Resources"]["GitHubOidcProvider"]
    assert provider["Condition"] == "CreateProvider"
    for name in ("ScanRole", "ApplyRole"):
        role = template["Resources"][name]["Properties"]
        principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"]
        assert principal["Fn::If"][:2] == ["CreateProvider", {"Ref": "GitHubOidcProvider"}]
        assert principal["Fn::If"][2]["Fn::Sub"].endswith(
            ":oidc-provider/token.actions.githubusercontent.com"
        )
    # The same names in every account, so [[tool.cleaner.accounts]] can name each account's roles.
    names = [template["Resources"][r]["Properties"]["RoleName"] for r in ("ScanRole", "ApplyRole")]
    assert names == ["snapstart-cleaner-scan", "snapstart-cleaner-apply"]
    assert all(ROLE_ARN.fullmatch(f"arn:aws:iam::111111111111:role/{name}") for name in names)
    assert template["Outputs"]["GitHubOidcProviderArn"]["Condition"] == "CreateProvider"


def test_a_single_stack_template_has_no_parameters_and_generated_role_names() -> None:
    template = template_from_cli()
    assert "Parameters" not in template and "Conditions" not in template
    assert "RoleName" not in template["Resources"]["ScanRole"]["Properties"]


def test_stackset_refuses_a_provider_flag() -> None:
    from cleaner.exit_codes import BadInputError
    from cleaner.iam_template import TemplateOptions

    with pytest.raises(BadInputError, match="CreateOidcProvider parameter"):
        TemplateOptions(github_repo="o/r", stackset=True, create_oidc_provider=True).validated()


def test_the_savings_reads_are_granted_to_the_scan_role_only() -> None:
    resources = template_from_cli()["Resources"]
    for action in ("pricing:GetProducts", "ce:GetCostAndUsage", "lambda:GetAccountSettings"):
        assert allows(resources["ScanRole"], action, "*"), action
        assert not allows(resources["ApplyRole"], action, "*"), action
