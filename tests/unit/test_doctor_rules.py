"""The pure rules of `doctor`, one table each: CODEOWNERS ownership (GitHub's last-match rule and its
patterns), ruleset ref patterns, the pull_request triggers that leave a required check pending, and
the comparison of a role's trust with iam-template's."""

from __future__ import annotations

from typing import Any

import pytest

from cleaner.doctor.codeowners import owners_of, parse
from cleaner.doctor.facts import SourceFile
from cleaner.doctor.rulesets import ref_matches
from cleaner.doctor.status_checks import read_jobs
from cleaner.doctor.trust import trust_problems
from cleaner.iam_template import TemplateOptions, build_template


@pytest.mark.parametrize(
    ("codeowners", "path", "owners"),
    [
        ("* @all\n", "cleaner/cli.py", ("@all",)),
        ("/.github/ @ops\n", ".github/workflows/apply.yml", ("@ops",)),
        ("/.github/ @ops\n", "x/.github/workflows/apply.yml", ()),
        (".github/ @ops\n", "x/.github/a.yml", ("@ops",)),  # no leading slash: at any depth
        ("/cleaner @ops\n", "cleaner/commands/apply.py", ("@ops",)),  # a directory owns what is in it
        ("/cleaner/*.py @ops\n", "cleaner/cli.py", ("@ops",)),
        ("/cleaner/*.py @ops\n", "cleaner/commands/apply.py", ()),
        ("docs/* @docs\n", "docs/build/x.md", ()),  # GitHub: `*` does not reach deeper files
        ("**/logs @ops\n", "a/b/logs/x.txt", ("@ops",)),
        ("/pyproject.toml @ops\n", "pyproject.toml", ("@ops",)),
        ("*.toml @ops\n", "pyproject.toml", ("@ops",)),
        ("* @all\n/cleaner/ @ops\n", "cleaner/cli.py", ("@ops",)),  # the last match decides
        ("/cleaner/ @ops\n* @all\n", "cleaner/cli.py", ("@all",)),
        ("/.github/ @ops\n/.github/workflows/\n", ".github/workflows/apply.yml", ()),  # unowned again
        ("/.github/ @ops # the platform team\n", ".github/CODEOWNERS", ("@ops",)),
        ("/ @ops\n", "pyproject.toml", ()),  # `/` matches nothing (GitHub says so too)
    ],
)
def test_codeowners_ownership_follows_githubs_rules(
    codeowners: str, path: str, owners: tuple[str, ...]
) -> None:
    assert owners_of(parse(codeowners), path)[1] == owners


@pytest.mark.parametrize(
    ("pattern", "ref", "matches"),
    [
        ("~DEFAULT_BRANCH", "refs/heads/main", True),
        ("~DEFAULT_BRANCH", "refs/heads/dev", False),
        ("~ALL", "refs/heads/anything/at/all", True),
        ("refs/heads/main", "refs/heads/main", True),
        ("refs/heads/snapstart-cleaner/*", "refs/heads/snapstart-cleaner/plan", True),
        ("refs/heads/snapstart-cleaner/*", "refs/heads/snapstart-cleaner/a/b", False),
        ("refs/heads/snapstart-cleaner/**", "refs/heads/snapstart-cleaner/a/b", True),
        ("refs/heads/snapstart-*", "refs/heads/snapstart-cleaner/plan", False),
    ],
)
def test_ruleset_ref_patterns(pattern: str, ref: str, matches: bool) -> None:
    assert ref_matches(pattern, ref, "main") is matches


@pytest.mark.parametrize(
    ("on", "gap"),
    [
        ("pull_request", ""),
        ("[push, pull_request]", ""),
        ("\n  pull_request:\n", ""),
        ("\n  pull_request:\n    types: [opened, synchronize, reopened]\n", ""),
        ("\n  pull_request:\n    branches: [main]\n", ""),
        ("\n  pull_request:\n    branches: ['**']\n", ""),
        ("push", "not triggered by pull_request"),
        ("\n  pull_request_target:\n", "not triggered by pull_request"),
        ("\n  pull_request:\n    paths: ['plans/**']\n", "`paths` filter"),
        ("\n  pull_request:\n    paths-ignore: ['docs/**']\n", "`paths-ignore` filter"),
        ("\n  pull_request:\n    types: [opened]\n", "leaves out synchronize"),
        ("\n  pull_request:\n    branches: [release/*]\n", "`branches` leaves out main"),
        ("\n  pull_request:\n    branches: ['**', '!main']\n", "`branches` leaves out main"),
        ("\n  pull_request:\n    branches-ignore: [main]\n", "`branches-ignore` leaves out main"),
    ],
)
def test_a_workflow_runs_for_every_pull_request_only_without_filters(on: str, gap: str) -> None:
    text = f"on: {on}\njobs:\n  test:\n    name: Lint and test\n    runs-on: ubuntu-latest\n"
    (job,) = read_jobs(SourceFile("ci.yml", text), "main")
    assert job.check_name == "Lint and test"
    assert gap in job.not_every_pull_request if gap else job.not_every_pull_request == ""


def test_a_jobs_check_is_its_name_else_its_id_and_an_expression_is_unknown() -> None:
    text = "on: pull_request\njobs:\n  a:\n    runs-on: x\n  b:\n    name: B ${{ matrix.x }}\n"
    assert [job.check_name for job in read_jobs(SourceFile("w.yml", text), "main")] == ["a", None]


def _expected(kind: str = "apply") -> dict[str, Any]:
    template = build_template(TemplateOptions(github_repo="acme/infra").validated())
    document: dict[str, Any] = template["Resources"][f"{kind.title()}Role"]["Properties"][
        "AssumeRolePolicyDocument"
    ]
    return document


def _actual(**changes: Any) -> dict[str, Any]:
    statement = {
        **_expected()["Statement"][0],
        "Principal": {
            "Federated": "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
        },
        **changes,
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_the_trust_iam_template_writes_has_no_problem_whatever_the_providers_account() -> None:
    assert trust_problems(_actual(), _expected()) == []


def test_condition_keys_are_case_insensitive_and_a_deny_only_narrows() -> None:
    conditions = _expected()["Statement"][0]["Condition"]["StringEquals"]
    upper = {key.upper(): value for key, value in conditions.items()}
    document = _actual(Condition={"StringEquals": upper})
    document["Statement"].append({"Effect": "Deny", "Principal": "*", "Action": "sts:*"})
    assert trust_problems(document, _expected()) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/example.com"}},
        {"Principal": {"AWS": "*"}},
        {"Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]},
        {"Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}},
    ],
    ids=["another provider", "anyone", "another action", "no subject"],
)
def test_any_other_trust_is_a_problem(changes: dict[str, Any]) -> None:
    assert trust_problems(_actual(**changes), _expected())
