"""`doctor` through the real CLI, in-process, against the fake GitHub: a repository set up exactly as the
README says passes every check (exit 0); each broken setting gives its own ✗ with its fix (exit 1); a
token that cannot read the admin-only settings gets ✗ "could not read" lines, never a ✓ (exit 1, or 0
with --allow-unreadable); bad input exits 2 and an unreachable repository 3."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from doctor_scene import APP_ID, CODEOWNERS, set_up_as_the_readme_says
from fakes.cli import Run
from fakes.github_server import ACTIONS_TOKEN, FakeGitHub
from fakes.github_settings import FakeEnvironment, RepositorySettings
from unit.gfm import content_problems, parse, to_html

from cleaner.exit_codes import ExitCode

RunCli = Callable[..., Run]
Scene = tuple[FakeGitHub, RepositorySettings, Path]


@pytest.fixture
def scene(fake_github: FakeGitHub, tmp_path: Path) -> Scene:
    return fake_github, set_up_as_the_readme_says(fake_github, tmp_path), tmp_path


@pytest.fixture
def admin(github_environ: dict[str, str]) -> dict[str, str]:
    """A repository admin's token, as `GITHUB_TOKEN=$(gh auth token)` gives one locally."""
    return {**github_environ, "GITHUB_TOKEN": "octocat-token"}


def checklist(run_cli: RunCli, environ: dict[str, str], *flags: str) -> tuple[ExitCode, list[dict[str, Any]]]:
    run = run_cli("doctor", "--format", "json", *flags, environ=environ)
    assert run.code in (ExitCode.OK, ExitCode.FAILURES), run.stderr
    return run.code, json.loads(run.stdout)["checks"]


def not_passing(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in checks if c["status"] not in ("pass", "skipped")]


def test_a_repository_set_up_as_the_readme_says_passes_every_check(
    scene: Scene, run_cli: RunCli, admin: dict[str, str]
) -> None:
    run = run_cli("doctor", environ=admin)
    assert run.code == ExitCode.OK, run.stdout
    assert "✗" not in run.stdout
    assert run.stdout.count("✓") >= 30
    assert "Every setting the security model rests on holds." in run.stdout
    # The AWS checks were not asked for: one line says how, and fails nothing.
    assert "- The scan and apply roles trust only what iam-template writes: AWS was not asked" in run.stdout
    assert "snapstart-cleaner doctor --aws" in run.stdout


def test_every_area_of_the_security_model_is_checked(
    scene: Scene, run_cli: RunCli, admin: dict[str, str]
) -> None:
    _, checks = checklist(run_cli, admin)
    assert [area for area in dict.fromkeys(c["area"] for c in checks)] == [
        "Default branch ruleset",
        "Required status checks",
        "CODEOWNERS",
        "Plan branch ruleset",
        "Actions settings",
        "Environments",
        "The bot's GitHub App",
        "OIDC subject",
        "Repository variables",
        "AWS roles",
    ]
    assert not not_passing(checks)


def _ruleset_rule(settings: RepositorySettings, ruleset: str, rule: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in settings.ruleset(ruleset)["rules"] if r["type"] == rule)
    return found


def _drop_rule(settings: RepositorySettings, ruleset: str, rule: str) -> None:
    settings.ruleset(ruleset)["rules"] = [r for r in settings.ruleset(ruleset)["rules"] if r["type"] != rule]


def _pull_request(settings: RepositorySettings, **parameters: Any) -> None:
    _ruleset_rule(settings, "main", "pull_request")["parameters"].update(parameters)


def _commit(fake: FakeGitHub, files: dict[str, str | None]) -> None:
    fake.commit_files(fake.default_branch, files, user=fake.users["octocat"])


def _plan_check_with_a_paths_filter(fake: FakeGitHub) -> None:
    path = ".github/workflows/plan-check.yml"
    text = fake.file_at(fake.default_branch, path) or ""
    old = "    types: [opened, synchronize, reopened, edited]\n"
    assert old in text
    _commit(fake, {path: text.replace(old, old + "    paths:\n      - 'plans/**'\n")})


def _no_custom_policies(environment: FakeEnvironment) -> None:
    environment.branch_policy = None


Breakage = Callable[[FakeGitHub, RepositorySettings, Path], object]

# (what breaks, how, the line that must fail, words of its fix)
BROKEN: list[tuple[str, Breakage, str, str]] = [
    (
        "the default branch's ruleset is only evaluated",
        lambda f, s, c: s.ruleset("main").update(enforcement="evaluate"),
        "An active branch ruleset covers the default branch (main)",
        "New branch ruleset",
    ),
    (
        "no approval required",
        lambda f, s, c: _pull_request(s, required_approving_review_count=0),
        "Changes need a pull request with at least 1 approval",
        "Required approvals 1",
    ),
    (
        "stale approvals kept",
        lambda f, s, c: _pull_request(s, dismiss_stale_reviews_on_push=False),
        "Stale approvals are dismissed when commits are pushed",
        "Dismiss stale pull request approvals",
    ),
    (
        "the last push need not be approved",
        lambda f, s, c: _pull_request(s, require_last_push_approval=False),
        "The most recent push must be approved by someone else",
        "Require approval of the most recent reviewable push",
    ),
    (
        "code owners not required",
        lambda f, s, c: _pull_request(s, require_code_owner_review=False),
        "Code owners must approve changes to their files",
        "Require review from Code Owners",
    ),
    (
        "no required status checks",
        lambda f, s, c: _drop_rule(s, "main", "required_status_checks"),
        "Status checks must pass before merging",
        "Require status checks to pass",
    ),
    (
        "admins may bypass the default branch's ruleset",
        lambda f, s, c: s.ruleset("main").update(
            bypass_actors=[{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}]
        ),
        "Nobody can bypass these rules",
        "Bypass list: remove every entry",
    ),
    (
        "a required check only runs for plan pull requests",
        lambda f, s, c: _plan_check_with_a_paths_filter(f),
        "`Validate plan edits` runs on every pull request",
        "no `paths`/`paths-ignore` filter",
    ),
    (
        "a required check no job reports",
        lambda f, s, c: _ruleset_rule(s, "main", "required_status_checks")["parameters"][
            "required_status_checks"
        ].append({"context": "build"}),
        "`build` runs on every pull request",
        "require a check that always runs",
    ),
    (
        "no CODEOWNERS",
        lambda f, s, c: _commit(f, {".github/CODEOWNERS": None}),
        "A CODEOWNERS file is on the default branch",
        "add .github/CODEOWNERS",
    ),
    (
        "the code has no owner",
        lambda f, s, c: _commit(
            f, {".github/CODEOWNERS": CODEOWNERS.replace("/cleaner/ @acme/platform\n", "")}
        ),
        "/cleaner/ has code owners",
        "add `/cleaner/ @your-team`",
    ),
    (
        "a later line takes the workflows' owners away",
        lambda f, s, c: _commit(f, {".github/CODEOWNERS": CODEOWNERS + "/.github/workflows/\n"}),
        "/.github/ has code owners",
        "after any broader line",
    ),
    (
        "GitHub reports an unknown owner",
        lambda f, s, c: s.codeowners_errors.append(
            {
                "line": 2,
                "column": 11,
                "kind": "Unknown owner",
                "source": "/.github/ @acme/platform",
                "message": "Unknown owner on line 2",
                "path": ".github/CODEOWNERS",
            }
        ),
        "GitHub finds no errors in CODEOWNERS",
        "give the team write access",
    ),
    (
        "no plan branch ruleset",
        lambda f, s, c: s.rulesets.remove(s.ruleset("plan branch")),
        "An active branch ruleset covers the plan branch (snapstart-cleaner/plan)",
        "Block force pushes, Restrict updates and Require signed commits",
    ),
    (
        "the plan branch takes force pushes",
        lambda f, s, c: _drop_rule(s, "plan branch", "non_fast_forward"),
        "Force pushes to it are blocked",
        "Block force pushes",
    ),
    (
        "the plan branch takes unsigned commits",
        lambda f, s, c: _drop_rule(s, "plan branch", "required_signatures"),
        "Its commits must be signed",
        "Require signed commits",
    ),
    (
        "maintainers may bypass the plan branch's ruleset",
        lambda f, s, c: s.ruleset("plan branch")["bypass_actors"].append(
            {"actor_id": 2, "actor_type": "RepositoryRole", "bypass_mode": "always"}
        ),
        "Only the bot's GitHub App can bypass it",
        "the bot's GitHub App, and nothing else",
    ),
    (
        "the workflow token may write",
        lambda f, s, c: s.workflow_permissions.update(default_workflow_permissions="write"),
        "The workflow token is read-only by default",
        "Read repository contents and packages permissions",
    ),
    (
        "GitHub Actions may approve pull requests",
        lambda f, s, c: s.workflow_permissions.update(can_approve_pull_request_reviews=True),
        "GitHub Actions cannot create or approve pull requests",
        "clear Allow GitHub Actions to create and approve pull requests",
    ),
    (
        "any branch may use the apply environment",
        lambda f, s, c: _no_custom_policies(s.environments["snapstart-cleanup"]),
        "`snapstart-cleanup` can be used from main only",
        "Selected branches and tags",
    ),
    (
        "another branch pattern may use the bot's environment",
        lambda f, s, c: s.environments["snapstart-pr"].policies.append(
            {"name": "release/*", "type": "branch"}
        ),
        "`snapstart-pr` can be used from main only",
        "with the one rule `main`",
    ),
    (
        "no App key",
        lambda f, s, c: s.environments["snapstart-pr"].secrets.clear(),
        "`snapstart-pr` holds the App's private key (secret SNAPSTART_APP_PRIVATE_KEY)",
        "never a repository secret",
    ),
    (
        "no App Client ID",
        lambda f, s, c: s.environments["snapstart-pr"].variables.clear(),
        "The App's Client ID is set (variable SNAPSTART_APP_CLIENT_ID)",
        "its Client ID",
    ),
    (
        "the personal token is still there",
        lambda f, s, c: s.environments["snapstart-pr"].secrets.add("SNAPSTART_PR_TOKEN"),
        "No personal token is left (secret SNAPSTART_PR_TOKEN)",
        "revoke that token",
    ),
    (
        "the personal token became a repository secret",
        lambda f, s, c: s.secrets.add("SNAPSTART_PR_TOKEN"),
        "No personal token is left (secret SNAPSTART_PR_TOKEN)",
        "revoke that token",
    ),
    (
        "GitHub's default OIDC subject",
        lambda f, s, c: s.oidc_subject.update(use_default=True),
        "OIDC tokens name the workflow file (subject claims repo, context, job_workflow_ref)",
        "actions/oidc/customization/sub",
    ),
    (
        "an OIDC subject template iam-template does not write for",
        lambda f, s, c: s.oidc_subject.update(include_claim_keys=["repo", "context"]),
        "OIDC tokens name the workflow file (subject claims repo, context, job_workflow_ref)",
        "actions/oidc/customization/sub",
    ),
    (
        "no scan role variable",
        lambda f, s, c: s.variables.pop("SNAPSTART_SCAN_ROLE_ARN"),
        "SNAPSTART_SCAN_ROLE_ARN names the scan role",
        "ScanRoleArn output",
    ),
    (
        "an apply role variable that is no role",
        lambda f, s, c: s.variables.update(SNAPSTART_APPLY_ROLE_ARN="snapstart-cleaner-apply"),
        "SNAPSTART_APPLY_ROLE_ARN names the apply role",
        "ApplyRoleArn output",
    ),
    (
        "more approvals required than the ruleset asks",
        lambda f, s, c: (c / "pyproject.toml").write_text(
            '[tool.cleaner]\nregions = ["us-east-1"]\nrequired_approvals = 2\nbot_logins = ["a[bot]"]\n'
        ),
        "Changes need a pull request with at least 2 approvals",
        "Required approvals 2",
    ),
]


@pytest.mark.parametrize(("broken", "breakage", "line", "fix"), BROKEN, ids=[case[0] for case in BROKEN])
def test_each_broken_setting_gives_its_own_line_with_its_fix(
    scene: Scene, run_cli: RunCli, admin: dict[str, str], broken: str, breakage: Breakage, line: str, fix: str
) -> None:
    breakage(*scene)
    code, checks = checklist(run_cli, admin)
    assert code == ExitCode.FAILURES
    failing = not_passing(checks)
    assert [c["title"] for c in failing] == [line], failing
    assert failing[0]["status"] == "fail" and not failing[0]["advisory"]
    assert fix in failing[0]["fix"]
    text = run_cli("doctor", environ=admin).stdout
    assert f"✗ {line}" in text and "fix: " in text


ADVISORY: list[tuple[str, Breakage, str]] = [
    (
        "reviewers may push to the plan branch (the README allows it)",
        lambda f, s, c: _drop_rule(s, "plan branch", "update"),
        "Only the bypass list may push to it",
    ),
    (
        "no bot login pinned",
        lambda f, s, c: (c / "pyproject.toml").write_text('[tool.cleaner]\nregions = ["us-east-1"]\n'),
        "[tool.cleaner] bot_logins pins the App's bot login",
    ),
    (
        "no region anywhere: the scans cover us-east-1",
        lambda f, s, c: (
            (c / "pyproject.toml").write_text('[tool.cleaner]\nbot_logins = ["snapstart-cleaner[bot]"]\n'),
            s.variables.pop("SNAPSTART_AWS_REGION"),
        ),
        "SNAPSTART_AWS_REGION names the region to scan",
    ),
]


@pytest.mark.parametrize(("broken", "breakage", "line"), ADVISORY, ids=[case[0] for case in ADVISORY])
def test_an_advisory_line_shows_its_fix_but_fails_nothing(
    scene: Scene, run_cli: RunCli, admin: dict[str, str], broken: str, breakage: Breakage, line: str
) -> None:
    breakage(*scene)
    code, checks = checklist(run_cli, admin)
    assert code == ExitCode.OK
    failing = not_passing(checks)
    assert [(c["title"], c["advisory"]) for c in failing] == [(line, True)]
    assert f"✗ (advisory) {line}" in run_cli("doctor", environ=admin).stdout


# What GitHub shows a repository admin only: every one of these is "could not read", never a pass.
ADMIN_ONLY = {
    "Nobody can bypass these rules",
    "Only the bot's GitHub App can bypass it",
    "The workflow token is read-only by default",
    "GitHub Actions cannot create or approve pull requests",
    "`snapstart-pr` holds the App's private key (secret SNAPSTART_APP_PRIVATE_KEY)",
    "The App's Client ID is set (variable SNAPSTART_APP_CLIENT_ID)",
    "No personal token is left (secret SNAPSTART_PR_TOKEN)",
    "SNAPSTART_SCAN_ROLE_ARN names the scan role",
    "SNAPSTART_APPLY_ROLE_ARN names the apply role",
}


@pytest.mark.parametrize("token", ["bob-token", ACTIONS_TOKEN], ids=["a collaborator", "a workflow's token"])
def test_a_token_without_admin_gets_could_not_read_lines_never_a_pass(
    scene: Scene, run_cli: RunCli, github_environ: dict[str, str], token: str
) -> None:
    fake, _, _ = scene
    fake.add_user("bob", "write")
    environ = {**github_environ, "GITHUB_TOKEN": token}
    code, checks = checklist(run_cli, environ)
    assert code == ExitCode.FAILURES
    failing = not_passing(checks)
    assert {c["title"] for c in failing} == ADMIN_ONLY
    assert all(c["status"] == "unreadable" for c in failing)
    assert all(c["detail"].startswith("could not read: needs a token with") for c in failing)
    assert all("an admin's token locally" in c["detail"] for c in failing)
    text = run_cli("doctor", environ=environ).stdout
    assert "9 settings this token could not read" in text
    # In a workflow: the lines stay, but only what the token could read decides the exit code.
    assert run_cli("doctor", "--allow-unreadable", environ=environ).code == ExitCode.OK


def test_allow_unreadable_still_fails_on_a_setting_it_could_read(
    scene: Scene, run_cli: RunCli, github_environ: dict[str, str]
) -> None:
    _, settings, _ = scene
    settings.environments["snapstart-cleanup"].policies.append({"name": "*", "type": "branch"})
    environ = {**github_environ, "GITHUB_TOKEN": ACTIONS_TOKEN}
    assert run_cli("doctor", "--allow-unreadable", environ=environ).code == ExitCode.FAILURES


def test_the_github_format_is_a_job_summary_that_renders_as_tables(
    scene: Scene, run_cli: RunCli, github_environ: dict[str, str]
) -> None:
    _, settings, _ = scene
    settings.workflow_permissions["default_workflow_permissions"] = "write"
    run = run_cli("doctor", "--format", "github", environ={**github_environ, "GITHUB_TOKEN": "octocat-token"})
    assert run.code == ExitCode.FAILURES
    root, problems = parse(to_html(run.stdout, comment=False))
    assert problems == [] and content_problems(root) == []
    rows = [row for table in root.find_all("table") for row in table.find_all("tr")]
    assert all(len(row.find_all("td")) in (0, 4) for row in rows)
    failing = [row.text() for row in rows if row.text().strip().startswith("✗")]
    assert len(failing) == 1 and "Read repository contents and packages permissions" in failing[0]


def test_environments_the_token_cannot_list_are_could_not_read(
    scene: Scene, run_cli: RunCli, admin: dict[str, str]
) -> None:
    fake, _, _ = scene
    fake.extra_routes.insert(0, ("GET", r"/environments", _forbidden))
    code, checks = checklist(run_cli, admin)
    assert code == ExitCode.FAILURES
    assert {c["title"] for c in not_passing(checks)} == {
        "`snapstart-cleanup` can be used from main only",
        "`snapstart-pr` can be used from main only",
        "`snapstart-pr` holds the App's private key (secret SNAPSTART_APP_PRIVATE_KEY)",
        # The repository's variables do not have it: it may be in the environment, which is unknown.
        "The App's Client ID is set (variable SNAPSTART_APP_CLIENT_ID)",
        "No personal token is left (secret SNAPSTART_PR_TOKEN)",
    }
    assert all("Actions: read" in c["detail"] for c in not_passing(checks))


def _forbidden(fake: FakeGitHub, request: Any) -> tuple[int, Any]:
    from fakes.github_server import ApiError

    raise ApiError(403, "Resource not accessible by personal access token")


@pytest.mark.parametrize(
    ("argv", "environ_change"),
    [
        (["doctor", "--format", "xml"], {}),
        (["doctor", "--config", "missing.toml"], {}),
        (["doctor", "--config", "bad.toml"], {}),
        (["doctor"], {"GITHUB_TOKEN": ""}),
        (["doctor"], {"GITHUB_REPOSITORY": "not a repository"}),
    ],
    ids=["bad format", "missing settings file", "bad settings", "no token", "bad repository name"],
)
def test_bad_input_exits_2(
    scene: Scene, run_cli: RunCli, admin: dict[str, str], argv: list[str], environ_change: dict[str, str]
) -> None:
    _, _, checkout = scene
    (checkout / "bad.toml").write_text("[tool.cleaner]\nrequired_approvals = 0\n")
    run = run_cli(*argv, environ={**admin, **environ_change})
    assert run.code == ExitCode.BAD_INPUT, run.stdout + run.stderr


@pytest.mark.parametrize(
    "environ_change",
    [{"GITHUB_TOKEN": "no-such-token"}, {"GITHUB_REPOSITORY": "acme/elsewhere"}],
    ids=["bad token", "no such repository"],
)
def test_github_out_of_reach_exits_3(
    scene: Scene, run_cli: RunCli, admin: dict[str, str], environ_change: dict[str, str]
) -> None:
    run = run_cli("doctor", environ={**admin, **environ_change})
    assert run.code == ExitCode.ACCESS_ERROR
    assert "GitHub API GET /repos/" in run.stderr


def test_the_plan_branch_bypass_is_the_app(scene: Scene, run_cli: RunCli, admin: dict[str, str]) -> None:
    _, settings, _ = scene
    assert settings.ruleset("plan branch")["bypass_actors"] == [
        {"actor_id": APP_ID, "actor_type": "Integration", "bypass_mode": "always"}
    ]
    settings.ruleset("plan branch")["bypass_actors"] = []
    code, checks = checklist(run_cli, admin)
    assert code == ExitCode.FAILURES
    failing = not_passing(checks)
    assert [c["title"] for c in failing] == ["Only the bot's GitHub App can bypass it"]
    assert "the App cannot replace the branch" in failing[0]["detail"]
