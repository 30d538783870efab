"""`iam-template --subject-prefix`: repositories with GitHub's immutable OIDC subjects (changelog
2026-04-23) get tokens whose `sub` starts `repo:OWNER@OWNER_ID/NAME@REPO_ID`, which a trust written as
`repo:OWNER/NAME:` never matches. The flag takes the repository's `sub_claim_prefix`; it must name
--github-repo itself (anything else hands the roles to another repository) and nothing else (no
wildcard, no context). Judged like test_iam_attacks.py: the template the real CLI prints, a model of
IAM and of GitHub's `sub` (tests/fakes/iam.py).

Assumed, as the template assumes: with immutable subjects and the `repo, context, job_workflow_ref`
template only the `repo:` segment carries the IDs; if GitHub writes job_workflow_ref with IDs too, the
roles match no token (closed)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cleaner.cli import Environment, program
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.iam_template import (
    APPLY_WORKFLOW,
    DEFAULT_BRANCH,
    DEFAULT_ENVIRONMENT,
    SCAN_WORKFLOW,
    TemplateOptions,
    build_template,
    subject_customisation,
)
from tests.fakes.iam import Job, may_assume, oidc_sub, token_for

REPO = "acme/infra"
IDS = (123456, 456789)
IMMUTABLE = "repo:acme@123456/infra@456789"
MAIN = f"refs/heads/{DEFAULT_BRANCH}"
ENV = DEFAULT_ENVIRONMENT
ROOT = Path(__file__).resolve().parent.parent


def run_cli(*argv: str) -> tuple[ExitCode, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = program(["iam-template", *argv], Environment(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def template_from_cli(*argv: str) -> dict[str, Any]:
    code, out, err = run_cli("--github-repo", REPO, *argv)
    assert code == ExitCode.OK, err
    template: dict[str, Any] = json.loads(out)
    return template


def trusted_subjects(template: dict[str, Any]) -> dict[str, str]:
    subjects = {}
    for name in ("ScanRole", "ApplyRole"):
        (statement,) = template["Resources"][name]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        subjects[name] = statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    return subjects


# --- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repo", "prefix"),
    [
        pytest.param(REPO, "repo:acme/infra", id="name-only"),
        pytest.param(REPO, IMMUTABLE, id="immutable"),
        pytest.param(REPO, "repo:Acme@1/Infra@2", id="other-case-than-the-flag"),
        pytest.param("Acme/Infra", "repo:acme@1/infra@2", id="flag-in-other-case"),
        pytest.param("octo-org/my.repo_2", "repo:octo-org@9/my.repo_2@18446744073709551615", id="name-chars"),
    ],
)
def test_a_subject_prefix_of_the_repository_itself_is_accepted(repo: str, prefix: str) -> None:
    options = TemplateOptions(github_repo=repo, subject_prefix=prefix).validated()
    assert options.repo_claim == prefix


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        pytest.param("repo:evil/infra", "names evil/infra", id="other-owner"),
        pytest.param("repo:acme/infra-fork", "names acme/infra-fork", id="other-name"),
        pytest.param("repo:acme@123456/other@456789", "names acme/other", id="other-repo-immutable"),
        pytest.param("repo:acme/*", "no wildcards", id="wildcard-name"),
        pytest.param("repo:acme@*/infra@*", "no wildcards", id="wildcard-ids"),
        pytest.param("repo:acme/infr?", "no wildcards", id="single-char-wildcard"),
        pytest.param("repo:acme@abc/infra@456789", "expected repo:OWNER", id="owner-id-not-digits"),
        pytest.param("repo:acme@123456/infra@abc", "expected repo:OWNER", id="repo-id-not-digits"),
        pytest.param("repo:acme@/infra@", "expected repo:OWNER", id="empty-ids"),
        pytest.param("repo:acme@-1/infra@2", "expected repo:OWNER", id="negative-id"),
        pytest.param("repo:acme@0123/infra@2", "expected repo:OWNER", id="leading-zero"),
        pytest.param("repo:acme@1@2/infra", "expected repo:OWNER", id="two-ids"),
        pytest.param(f"{IMMUTABLE}:ref:refs/heads/main", "only the repository part", id="trailing-context"),
        pytest.param("repo:acme/infra:environment:prod", "only the repository part", id="trailing-env"),
        pytest.param("repo:acme/infra:", "only the repository part", id="trailing-colon"),
        pytest.param("repo:acme/infra/", "expected repo:OWNER", id="trailing-slash"),
        pytest.param("repo:acme/infra\n", "expected repo:OWNER", id="trailing-newline"),
        pytest.param("acme/infra", "expected repo:OWNER", id="no-repo-keyword"),
        pytest.param("REPO:acme/infra", "expected repo:OWNER", id="keyword-in-capitals"),
        pytest.param("repo:acme", "expected repo:OWNER", id="no-name"),
        pytest.param("", "expected repo:OWNER", id="empty"),
    ],
)
def test_a_subject_prefix_that_is_not_exactly_this_repository_is_refused(prefix: str, reason: str) -> None:
    with pytest.raises(BadInputError) as refused:
        TemplateOptions(github_repo=REPO, subject_prefix=prefix).validated()
    assert str(refused.value).startswith(f"--subject-prefix {prefix!r}: ")
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "prefix", ["repo:evil@1/infra@2", "repo:acme/*", f"{IMMUTABLE}:ref:x", "repo:acme@x/infra"]
)
def test_the_cli_exits_2_and_prints_no_template_for_a_bad_subject_prefix(prefix: str) -> None:
    code, out, err = run_cli("--github-repo", REPO, "--subject-prefix", prefix)
    assert code == ExitCode.BAD_INPUT
    assert out == ""
    assert "--subject-prefix" in err


def test_the_cli_process_exits_2_with_nothing_on_stdout_for_another_repositorys_prefix() -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "cleaner", "iam-template"),
            *("--github-repo", REPO, "--subject-prefix", "repo:evil@1/infra@2"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == ExitCode.BAD_INPUT
    assert result.stdout == ""
    assert "--subject-prefix 'repo:evil@1/infra@2': names evil/infra" in result.stderr


def test_iam_template_help_names_the_flag_and_where_its_value_comes_from() -> None:
    code, out, _ = run_cli("--help")
    assert code == ExitCode.OK
    text = " ".join(out.split())
    assert "--subject-prefix PREFIX" in text
    assert "sub_claim_prefix" in text and "repo:OWNER@ID/NAME@ID" in text
    assert "a --subject-prefix of another repository" in text


# --- the template --------------------------------------------------------------------------------------

VARIANTS = [
    pytest.param([], id="job-workflow-ref"),
    pytest.param(["--oidc-subject", "default"], id="default-subject"),
    pytest.param(["--stackset"], id="stackset"),
    pytest.param(["--stackset", "--oidc-subject", "default"], id="stackset-default-subject"),
]


@pytest.mark.parametrize("argv", VARIANTS)
def test_both_roles_subjects_start_with_the_subject_prefix(argv: list[str]) -> None:
    subjects = trusted_subjects(template_from_cli("--subject-prefix", IMMUTABLE, *argv))
    for name, subject in subjects.items():
        assert subject.startswith(f"{IMMUTABLE}:"), name
        assert f"repo:{REPO}:" not in subject, name


def test_the_workflow_part_keeps_the_repository_name() -> None:
    subjects = trusted_subjects(template_from_cli("--subject-prefix", IMMUTABLE))
    assert subjects == {
        "ScanRole": f"{IMMUTABLE}:ref:{MAIN}:job_workflow_ref:{REPO}/{SCAN_WORKFLOW}@{MAIN}",
        "ApplyRole": f"{IMMUTABLE}:environment:{ENV}:job_workflow_ref:{REPO}/{APPLY_WORKFLOW}@{MAIN}",
    }


def test_the_prefix_is_written_in_the_case_given() -> None:
    # IAM's StringEquals is case-sensitive and GitHub writes the repository's own case, which
    # sub_claim_prefix reports: the prefix goes in as given, whatever the case of --github-repo.
    subjects = trusted_subjects(template_from_cli("--subject-prefix", "repo:Acme@1/Infra@2"))
    assert all(subject.startswith("repo:Acme@1/Infra@2:") for subject in subjects.values())


@pytest.mark.parametrize("argv", VARIANTS)
def test_the_name_only_prefix_given_explicitly_prints_todays_template(argv: list[str]) -> None:
    assert template_from_cli("--subject-prefix", f"repo:{REPO}", *argv) == template_from_cli(*argv)


def test_the_options_default_to_the_name_only_prefix() -> None:
    options = TemplateOptions(github_repo=REPO).validated()
    assert options.repo_claim == f"repo:{REPO}"
    assert build_template(options) == build_template(
        TemplateOptions(github_repo=REPO, subject_prefix=f"repo:{REPO}").validated()
    )


# --- who may assume the roles ----------------------------------------------------------------------------


def test_the_model_writes_githubs_immutable_subject_example() -> None:
    # The changelog's example, under GitHub's default template.
    job = Job("octocat/my-repo", SCAN_WORKFLOW, MAIN, ids=(123456, 456789))
    assert oidc_sub(job, None) == "repo:octocat@123456/my-repo@456789:ref:refs/heads/main"
    # Under the repository's custom template the IDs ride on the `repo` segment only (assumed).
    recycled = Job(REPO, SCAN_WORKFLOW, MAIN, ids=(999, 888))
    assert oidc_sub(recycled, subject_customisation()) == (
        f"repo:acme@999/infra@888:ref:{MAIN}:job_workflow_ref:{REPO}/{SCAN_WORKFLOW}@{MAIN}"
    )


def scan_job(ids: tuple[int, int] | None = IDS, workflow: str = SCAN_WORKFLOW, ref: str = MAIN) -> Job:
    return Job(REPO, workflow, ref, event="schedule", ids=ids)


def apply_job(
    ids: tuple[int, int] | None = IDS,
    workflow: str = APPLY_WORKFLOW,
    ref: str = MAIN,
    environment: str | None = ENV,
) -> Job:
    return Job(REPO, workflow, ref, event="push", environment=environment, ids=ids)


# A token from before the repository had immutable subjects (or a trust someone wrote by hand), and a
# repository deleted and re-created under the same name: same names, other IDs.
NAME_ONLY = pytest.param(None, id="name-only-subject")
RECYCLED_NAME = pytest.param((999, 888), id="same-name-other-ids")


def test_the_scan_workflow_on_main_with_the_immutable_subject_gets_the_scan_role() -> None:
    template = template_from_cli("--subject-prefix", IMMUTABLE)
    token = token_for(scan_job(), template)
    assert token["sub"].startswith(f"{IMMUTABLE}:")
    assert may_assume(template["Resources"]["ScanRole"], token)
    assert not may_assume(template["Resources"]["ApplyRole"], token)


@pytest.mark.parametrize("ids", [NAME_ONLY, RECYCLED_NAME])
def test_a_scan_token_with_another_repo_segment_does_not_get_the_scan_role(
    ids: tuple[int, int] | None,
) -> None:
    template = template_from_cli("--subject-prefix", IMMUTABLE)
    assert not may_assume(template["Resources"]["ScanRole"], token_for(scan_job(ids=ids), template))


def test_the_apply_workflow_on_main_in_the_environment_with_the_immutable_subject_gets_the_apply_role() -> (
    None
):
    template = template_from_cli("--subject-prefix", IMMUTABLE)
    token = token_for(apply_job(), template)
    assert may_assume(template["Resources"]["ApplyRole"], token)
    assert not may_assume(template["Resources"]["ScanRole"], token)


@pytest.mark.parametrize(
    "job",
    [
        pytest.param(apply_job(ids=None), id="name-only-subject"),
        pytest.param(apply_job(ids=(999, 888)), id="same-name-other-ids"),
        pytest.param(apply_job(workflow=".github/workflows/evil.yml"), id="other-workflow"),
        pytest.param(apply_job(ref="refs/heads/attacker"), id="other-branch"),
        pytest.param(apply_job(environment=None), id="no-environment"),
        pytest.param(apply_job(environment="production"), id="other-environment"),
    ],
)
def test_no_other_job_gets_the_apply_role_with_the_immutable_subject(job: Job) -> None:
    template = template_from_cli("--subject-prefix", IMMUTABLE)
    assert not may_assume(template["Resources"]["ApplyRole"], token_for(job, template))


@pytest.mark.parametrize("ids", [NAME_ONLY, RECYCLED_NAME])
def test_with_the_default_subject_only_the_immutable_subject_gets_the_roles(
    ids: tuple[int, int] | None,
) -> None:
    template = template_from_cli("--subject-prefix", IMMUTABLE, "--oidc-subject", "default")
    scan_role, apply_role = template["Resources"]["ScanRole"], template["Resources"]["ApplyRole"]
    assert may_assume(scan_role, token_for(scan_job(), template))
    assert may_assume(apply_role, token_for(apply_job(), template))
    assert not may_assume(scan_role, token_for(scan_job(ids=ids), template))
    assert not may_assume(apply_role, token_for(apply_job(ids=ids), template))


def test_without_the_flag_an_immutable_subject_repository_gets_neither_role() -> None:
    # The first-hour surprise this flag answers: closed, never open.
    template = template_from_cli()
    assert not may_assume(template["Resources"]["ScanRole"], token_for(scan_job(), template))
    assert not may_assume(template["Resources"]["ApplyRole"], token_for(apply_job(), template))
