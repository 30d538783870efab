"""The GitHub Actions workflows and the local composite install action (.github/actions/install): zizmor
and actionlint find nothing, the README's security rules hold structurally (pinned actions, least
permissions, no expression expansion inside `run:`), they agree with the roles `iam-template` trusts, and
their shell steps do what they say when run against a real git history with stand-ins for
`snapstart-cleaner`, `gh` and `python`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cleaner
from cleaner.iam_template import DEFAULT_BRANCH, DEFAULT_ENVIRONMENT, TemplateOptions

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (it comes with moto[server])")

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
NAMES = ("ci.yml", "scan.yml", "plan-check.yml", "apply.yml", "keep.yml", "refresh.yml", "doctor.yml")
# The local composite actions; actionlint reads workflows only, so the checks below that read `uses:`
# lines read these too.
ACTIONS = GITHUB / "actions"
ACTION_FILES = tuple(sorted(ACTIONS.glob("*/action.yml")))
INSTALL_ACTION = ACTIONS / "install" / "action.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<ref>\S+)(?P<rest>.*)$")
# A local action, from the job's own checkout (`./.github/...`) or from one checked out at a path
# (`./<path>/.github/...`); only workflows use them, an action never does.
LOCAL_ACTION = re.compile(r"^\./(?:(?P<checkout>\.?[\w-][\w.-]*)/)?\.github/actions/(?P<name>[\w-]+)$")
# zizmor's self-repository audit asks for `$/` instead: see the top of .github/actions/install/action.yml.
LOCAL_USES_COMMENT = re.compile(r"^\s*#\s*zizmor: ignore\[self-repository\]\s*$")


def load(name: str) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as the boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def jobs(name: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = load(name)["jobs"]
    return found


def steps(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in jobs(name).items():
        for step in job.get("steps", []):
            yield job_name, step


def action_definition(path: Path = INSTALL_ACTION) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def uses_files() -> list[Path]:
    """Every file whose `uses:` lines run on a runner: the workflows and the local actions."""
    return [*(WORKFLOWS / name for name in NAMES), *ACTION_FILES]


def step_named(workflow: str, name: str) -> dict[str, Any]:
    return next(step for _, step in steps(workflow) if step.get("name") == name)


def tool(name: str) -> str | None:
    """The linter installed next to this interpreter (the dev extra), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


# --- linters -------------------------------------------------------------------------------------------


def test_the_workflows_are_all_there() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == sorted(NAMES)


def test_zizmor_finds_nothing() -> None:
    zizmor = tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install -e '.[dev]')")
    # The workflows and each local action by name (.ci/run and ci.yml give zizmor .github, which collects
    # both; actionlint does not read composite actions).
    assert INSTALL_ACTION in ACTION_FILES
    result = subprocess.run(
        [zizmor, "--offline", "--format", "plain", "--no-progress", str(WORKFLOWS), *map(str, ACTION_FILES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout, result.stdout


def test_zizmor_audits_the_install_action(tmp_path: Path) -> None:
    """It reads action.yml as an action: a copy with an unpinned `uses:` and an input expanded inside
    `run:` is reported."""
    zizmor = tool("zizmor")
    if zizmor is None:
        pytest.skip("zizmor is not installed (pip install -e '.[dev]')")
    text = INSTALL_ACTION.read_text(encoding="utf-8")
    bad = re.sub(r"actions/setup-python@[0-9a-f]{40}", "actions/setup-python@main", text)
    bad = bad.replace('-r "$SOURCE/.github/$LOCK"', '-r "${{ inputs.source }}/.github/$LOCK"')
    assert bad.count("@main") == 1 and "${{ inputs.source }}/" in bad
    copy = tmp_path / "install" / "action.yml"
    copy.parent.mkdir()
    copy.write_text(bad, encoding="utf-8")
    result = subprocess.run(
        [zizmor, "--offline", "--format", "json", "--no-progress", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"unpinned-uses", "template-injection"} <= found, result.stdout + result.stderr


def test_actionlint_finds_nothing() -> None:
    actionlint = tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install -e '.[dev]')")
    # actionlint runs shellcheck on every `run:` script when shellcheck is on PATH (it is on GitHub's
    # runners, so CI checks the scripts too).
    result = subprocess.run(
        [actionlint, "-no-color", *(str(WORKFLOWS / name) for name in NAMES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def _actionlint_copy(tmp_path: Path, edit: tuple[str, str, str] | None = None) -> list[str]:
    """actionlint's findings on a copy of the workflows with each pin replaced by its tag's major version
    (from the pin's comment), and the local actions where each job reads them (`edit`: in one workflow,
    a string replaced by another)."""
    actionlint = tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install -e '.[dev]')")
    copy = tmp_path / ".github" / "workflows"
    copy.mkdir(parents=True)
    for name in NAMES:
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        if edit is not None and edit[0] == name:
            assert edit[1] in text, edit
            text = text.replace(edit[1], edit[2])
        (copy / name).write_text(re.sub(r"@[0-9a-f]{40}\s*#\s*(v\d+)\S*", r"@\1", text), encoding="utf-8")
    # actionlint checks a local action's inputs against its action.yml when it finds one (it does not
    # lint the action itself): the judge's and the base's copies are this repository's at another commit.
    for checkout in (tmp_path, tmp_path / JUDGE, tmp_path / BASE):
        shutil.copytree(ACTIONS, checkout / ".github" / "actions")
    (tmp_path / ".git").mkdir()  # where actionlint finds the project, and local actions in it
    result = subprocess.run(
        [actionlint, "-format", "{{json .}}", "-shellcheck=", *(str(copy / name) for name in NAMES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode in (0, 1), result.stderr
    return [f"{e['filepath']}:{e['line']}: {e['message']}" for e in json.loads(result.stdout or "[]")]


def test_action_inputs_are_ones_the_actions_define(tmp_path: Path) -> None:
    """actionlint knows the inputs of popular actions by tag, not by commit: check a copy of the
    workflows with each pin replaced by its tag's major version; and the local install action's inputs."""
    # This also reports an action whose runtime GitHub has deprecated (Node 20).
    assert _actionlint_copy(tmp_path) == []


def test_actionlint_checks_the_inputs_given_to_the_judges_install_action(tmp_path: Path) -> None:
    edit = ("apply.yml", f"source: {JUDGE}\n", f"sources: {JUDGE}\n")
    problems = _actionlint_copy(tmp_path, edit)
    assert any('input "sources" is not defined' in p for p in problems), problems


# --- structure -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_permissions_are_empty_by_default_and_granted_per_job(name: str) -> None:
    assert load(name)["permissions"] == {}
    for job_name, job in jobs(name).items():
        assert isinstance(job.get("permissions"), dict), f"{name}: job {job_name} has no permissions"
        assert set(job["permissions"].values()) <= {"read", "write"}


def test_only_the_aws_jobs_can_get_an_oidc_token_and_they_cannot_write_the_repository() -> None:
    with_token = {
        (name, job_name)
        for name in NAMES
        for job_name, job in jobs(name).items()
        if job["permissions"].get("id-token") == "write"
    }
    assert with_token == {("scan.yml", "scan"), ("apply.yml", "apply")}
    for name, job_name in with_token:
        assert jobs(name)[job_name]["permissions"].get("contents") == "read"


def test_every_action_is_pinned_to_a_commit_with_its_tag_as_a_comment() -> None:
    pins: dict[str, set[str]] = {}
    for path in uses_files():
        name = path.relative_to(GITHUB).as_posix()
        for line in path.read_text(encoding="utf-8").splitlines():
            match = USES_LINE.match(line)
            if not match:
                continue
            ref = match["ref"]
            if (local := LOCAL_ACTION.match(ref)) and path.parent == WORKFLOWS:
                # A local action this repository has, read from a checkout of it (see below).
                assert (ACTIONS / local["name"] / "action.yml").is_file(), f"{name}: {line.strip()}"
                assert LOCAL_USES_COMMENT.match(match["rest"]), f"{name}: {line.strip()}"
                continue
            assert PINNED.match(ref), f"{name}: {line.strip()}"
            assert re.match(r"^\s*#\s*v\d+(\.\d+)*\s*$", match["rest"]), f"{name}: no tag comment: {line}"
            action, sha = ref.split("@")
            pins.setdefault(action, set()).add(sha)
    assert all(len(shas) == 1 for shas in pins.values()), pins  # one version of each action everywhere
    for name in NAMES:  # and nothing pulled in some other way the line check would miss
        for job_name, step in steps(name):
            if "uses" in step:
                assert PINNED.match(step["uses"]) or LOCAL_ACTION.match(step["uses"]), f"{name}: {job_name}"
    for path in ACTION_FILES:  # an action's own steps: pinned, never another local action
        for step in action_definition(path)["runs"]["steps"]:
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{path}: {step['uses']}"


def test_the_install_action_is_composite_and_pins_setup_python() -> None:
    definition = action_definition()
    assert definition["runs"]["using"] == "composite"
    [setup] = [s for s in definition["runs"]["steps"] if "uses" in s]
    assert setup["uses"] == f"actions/setup-python@{NODE_24_RELEASES['actions/setup-python'][0]}"
    assert setup["with"] == {"python-version": "3.12"}
    line = next(ln for ln in INSTALL_ACTION.read_text(encoding="utf-8").splitlines() if "setup-python@" in ln)
    assert line.rstrip().endswith(f"# {NODE_24_RELEASES['actions/setup-python'][1]}")
    assert set(definition["inputs"]) == {"source", "lock", "editable"}
    assert {k: v["default"] for k, v in definition["inputs"].items()} == {
        "source": ".",
        "lock": "requirements.txt",
        "editable": "false",
    }
    for step in definition["runs"]["steps"]:
        # Inputs reach the scripts through env only; bash, so that `-e` and pipefail hold.
        assert "${{" not in step.get("run", ""), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash"


# The Node 24 releases of ../shared/pinned-actions.md: GitHub's runners no longer have Node 20.
NODE_24_RELEASES = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "aws-actions/configure-aws-credentials": ("e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/create-github-app-token": ("1b10c78c7865c340bc4f6099eb2f838309f1e8c3", "v3.1.1"),
}


def test_every_action_is_pinned_to_its_node_24_release_with_the_exact_tag() -> None:
    used = set()
    for path in uses_files():
        name = path.relative_to(GITHUB).as_posix()
        for line in path.read_text(encoding="utf-8").splitlines():
            if (match := USES_LINE.match(line)) and not LOCAL_ACTION.match(match["ref"]):
                action, sha = match["ref"].split("@")
                assert action in NODE_24_RELEASES, f"{name}: {action} has no known Node 24 release"
                assert (sha, match["rest"].strip().removeprefix("#").strip()) == NODE_24_RELEASES[action], (
                    line
                )
                used.add(action)
    assert used == set(NODE_24_RELEASES)


def test_the_aws_credentials_inputs_are_ones_configure_aws_credentials_6_accepts() -> None:
    # v6.2+ refuses a session name outside this pattern; v5+ a boolean input that is not exactly `true`
    # or `false`. The YAML is read as written (every scalar a string): `True` or `yes` must not pass.
    for name in NAMES:
        document = yaml.load((WORKFLOWS / name).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        for job_name, job in document["jobs"].items():
            for step in job.get("steps", []):
                if "configure-aws-credentials" not in step.get("uses", ""):
                    continue
                inputs = step["with"]
                assert re.fullmatch(r"[\w+=,.@-]{2,64}", inputs["role-session-name"]), f"{name}: {job_name}"
                for key, value in inputs.items():
                    if value.lower() in {"true", "false", "yes", "no", "on", "off", "y", "n"}:
                        assert value in {"true", "false"}, f"{name}: {job_name}: {key}: {value}"


def test_artifact_downloads_keep_failing_on_a_digest_mismatch() -> None:
    downloads = [step for _, step in steps("scan.yml") if "download-artifact" in step.get("uses", "")]
    assert downloads
    assert all(step["with"].get("digest-mismatch", "error") == "error" for step in downloads)


@pytest.mark.parametrize("name", NAMES)
def test_no_expression_is_expanded_inside_a_run_script(name: str) -> None:
    for job_name, step in steps(name):
        assert "${{" not in step.get("run", ""), f"{name}: {job_name}: {step.get('name')}"


@pytest.mark.parametrize("name", NAMES)
def test_checkouts_do_not_persist_credentials(name: str) -> None:
    # None of these jobs pushes with git (open-pr writes through the GitHub API).
    for job_name, step in steps(name):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, f"{name}: {job_name}"


@pytest.mark.parametrize("name", NAMES)
def test_python_is_3_12(name: str) -> None:
    # Every job sets Python up through the install action (below), whose setup-python asks for 3.12.
    assert not any(step.get("uses", "").startswith("actions/setup-python@") for _, step in steps(name))
    setups = [
        s
        for s in action_definition()["runs"]["steps"]
        if s.get("uses", "").startswith("actions/setup-python@")
    ]
    assert [step["with"]["python-version"] for step in setups] == ["3.12"]


# --- one install step: the install action of the checkout it installs ---------------------------------------

JUDGE = ".snapstart-cleaner-judge"
BASE = ".snapstart-cleaner-base"
# The checkout each workflow's jobs install snapstart-cleaner from: the judge from before the merge
# (apply), the validator from the base branch (plan-check), else the job's own.
INSTALLS_FROM = {name: "." for name in NAMES} | {"apply.yml": JUDGE, "plan-check.yml": BASE}


def install_action_of(checkout: str) -> str:
    return "./.github/actions/install" if checkout == "." else f"./{checkout}/.github/actions/install"


def install_step_problems(job_steps: list[dict[str, Any]], checkout: str) -> list[str]:
    """Why a job does not install snapstart-cleaner exactly once, with the copy of the install action in
    `checkout` (checked out before, from this repository, without credentials), from that checkout, and
    nothing else: no setup-python or pip of its own, and no other action than the pinned ones."""
    problems: list[str] = []
    checked_out: set[str] = set()
    installs = 0
    for step in job_steps:
        uses: str = step.get("uses", "")
        if re.search(r"\bpip3?\s|\bpython3? -m pip\b", step.get("run", "")):
            problems.append(f"installs outside the install action: {step.get('name')}")
        if uses.startswith("actions/checkout@"):
            options = step.get("with", {})
            if "repository" not in options and options.get("persist-credentials") is False:
                checked_out.add(options.get("path", "."))
            continue
        if uses.startswith("actions/setup-python@"):
            problems.append("sets Python up outside the install action")
            continue
        if not uses or uses.split("@")[0] in NODE_24_RELEASES:
            continue
        # Anything else installs: `./…`, `$/…` (the copy at github.sha), this repository by name.
        installs += 1
        if uses != install_action_of(checkout):
            problems.append(f"installs with {uses}, not {install_action_of(checkout)}")
        if step.get("with", {}).get("source", ".") != checkout:
            problems.append(f"installs from {step.get('with', {}).get('source', '.')}, not {checkout}")
        if checkout not in checked_out:
            problems.append(f"installs before checking out {checkout}")
    if installs != 1:
        problems.append(f"{installs} install steps")
    return problems


@pytest.mark.parametrize("name", NAMES)
def test_every_job_installs_once_with_the_install_action_of_the_checkout_it_installs(name: str) -> None:
    for job_name, job in jobs(name).items():
        assert install_step_problems(job["steps"], INSTALLS_FROM[name]) == [], f"{name}: {job_name}"


def _replace_install(job_steps: list[dict[str, Any]], **step: Any) -> list[dict[str, Any]]:
    return [
        {**s, **step} if s.get("name", "").startswith("Install snapstart-cleaner") else s for s in job_steps
    ]


@pytest.mark.parametrize(("workflow", "checkout"), [("apply.yml", JUDGE), ("plan-check.yml", BASE)])
@pytest.mark.parametrize(
    ("change", "problem"),
    [
        # The merge's (or the pull request's) copy of the action: editing it would change the judge.
        ({"uses": "./.github/actions/install"}, "installs with ./.github/actions/install"),
        ({"uses": "$/.github/actions/install"}, "installs with $/.github/actions/install"),
        ({"uses": "acme/infra/.github/actions/install@" + "a" * 40}, "installs with acme/infra"),
        # The judge's copy installing the merge.
        ({"with": {}}, "installs from ., not"),
    ],
)
def test_the_install_step_check_catches_a_judge_installed_by_the_judged(
    workflow: str, checkout: str, change: dict[str, Any], problem: str
) -> None:
    for job in jobs(workflow).values():
        problems = install_step_problems(_replace_install(job["steps"], **change), checkout)
        assert any(problem in p for p in problems), problems


def test_the_install_step_check_catches_an_install_before_its_checkout_or_beside_the_action() -> None:
    job_steps = jobs("apply.yml")["apply"]["steps"]
    judge = next(s for s in job_steps if s.get("with", {}).get("path") == JUDGE)
    reordered = [s for s in job_steps if s is not judge]
    reordered.insert(len(reordered) - 1, judge)
    assert f"installs before checking out {JUDGE}" in install_step_problems(reordered, JUDGE)
    credentials = [
        {**s, "with": {**s["with"], "persist-credentials": True}} if s is judge else s for s in job_steps
    ]
    assert f"installs before checking out {JUDGE}" in install_step_problems(credentials, JUDGE)
    extra = [*job_steps, {"name": "more", "run": "python -m pip install boto3"}]
    assert "installs outside the install action: more" in install_step_problems(extra, JUDGE)
    twice = [*job_steps, *(s for s in job_steps if s.get("name") == "Install snapstart-cleaner")]
    assert "2 install steps" in install_step_problems(twice, JUDGE)
    setup = [*job_steps, {"uses": f"actions/setup-python@{NODE_24_RELEASES['actions/setup-python'][0]}"}]
    assert "sets Python up outside the install action" in install_step_problems(setup, JUDGE)


def test_no_workflow_runs_untrusted_code_with_secrets_or_write_tokens() -> None:
    for name in NAMES:
        triggers = load(name)["on"]
        assert "pull_request_target" not in triggers
        # workflow_run holds secrets on the default branch after a pull request's run: only refresh.yml,
        # which checks out the default branch and takes numbers from the event (its tests below).
        assert "workflow_run" not in triggers or name == "refresh.yml"


def test_the_scan_job_gets_the_scan_role_as_the_default_branch_without_an_environment() -> None:
    workflow = load("scan.yml")
    assert "schedule" in workflow["on"]
    assert set(workflow["on"]["workflow_dispatch"]["inputs"]) == {
        "regions",
        "min_age_days",
        "keep_last_n",
        "lookback_days",
        "open_pr",
        "max_parallel",
    }
    scan = jobs("scan.yml")["scan"]
    # With an environment GitHub would put `environment:` in the token's subject, and the scan role
    # (trusted for `ref:refs/heads/<default branch>`) would refuse it.
    assert "environment" not in scan
    assert TemplateOptions(github_repo="o/r").scan_subject.startswith(
        f"repo:o/r:ref:refs/heads/{DEFAULT_BRANCH}"
    )
    credentials = next(s for s in scan["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    # Each matrix job assumes its own account's scan role (from `targets`).
    assert credentials["with"]["role-to-assume"] == "${{ matrix.scan_role_arn }}"
    assert credentials["with"]["aws-region"] == "${{ matrix.aws_region }}"
    assert "aws-access-key-id" not in credentials["with"]
    # Every input reaches the script through env only.
    scan_step = step_named("scan.yml", "Scan")
    assert set(scan_step["env"].values()) == {
        "${{ matrix.account_id }}",
        "${{ matrix.regions }}",
        "${{ needs.targets.outputs.plan-id }}",
        "${{ inputs.min_age_days }}",
        "${{ inputs.keep_last_n }}",
        "${{ inputs.lookback_days }}",
    }
    assert step_named("scan.yml", "Targets")["env"]["REGIONS"] == "${{ inputs.regions }}"


def test_the_scan_fans_out_one_job_per_target_and_a_failed_account_stops_no_other() -> None:
    targets, scan = jobs("scan.yml")["targets"], jobs("scan.yml")["scan"]
    # The work list is read from the checkout only: no AWS, no write.
    assert targets["permissions"] == {"contents": "read"}
    assert step_named("scan.yml", "Targets")["env"]["SNAPSTART_SCAN_ROLE_ARN"] == (
        "${{ vars.SNAPSTART_SCAN_ROLE_ARN }}"
    )
    assert scan["needs"] == "targets"
    assert scan["strategy"]["fail-fast"] is False
    assert scan["strategy"]["matrix"] == "${{ fromJSON(needs.targets.outputs.matrix) }}"
    assert scan["strategy"]["max-parallel"] == (
        "${{ fromJSON(inputs.max_parallel || vars.SNAPSTART_MAX_PARALLEL || '10') }}"
    )
    assert scan["permissions"] == {"id-token": "write", "contents": "read"}
    uploads = [s for s in scan["steps"] if "upload-artifact" in s.get("uses", "")]
    # The plan under the name apply's provenance check looks for, then the job's status, whatever happened.
    assert uploads[0]["with"]["name"] == "plan-${{ steps.scan.outputs.plan-id }}"
    assert "if" not in uploads[0]
    assert (uploads[1]["with"]["name"], uploads[1]["if"]) == ("scan-status-${{ matrix.key }}", "always()")
    assert step_named("scan.yml", "Scan status")["if"] == "always()"


def test_the_plan_pull_request_is_opened_by_a_job_without_aws_access() -> None:
    open_pr = jobs("scan.yml")["open-pr"]
    assert open_pr["needs"] == ["targets", "scan"]
    # After every scan job, also when some failed (the PR names them); never without a work list.
    assert open_pr["if"].split(" && ")[:3] == [
        "always()",
        "needs.targets.result == 'success'",
        "needs.scan.result != 'cancelled'",
    ]
    # The workflow's own token only checks out: every write goes through the bot's token.
    assert open_pr["permissions"] == {"contents": "read"}
    assert not any("configure-aws-credentials" in step.get("uses", "") for step in open_pr["steps"])
    assert any("snapstart-cleaner open-pr" in step.get("run", "") for step in open_pr["steps"])


SECRET = re.compile(r"\bsecrets\s*[.\[]")


# The jobs that write as the bot, and the step of each that runs the CLI with the App's token.
BOT_JOBS = {
    ("scan.yml", "open-pr"): "Open or update the pull request",
    ("keep.yml", "keep"): "Carry out the keep request",
    ("refresh.yml", "refresh"): "Re-render the plan files and the description",
}
APP_CHECK = "Require the bot's GitHub App"
MINT = "Mint the bot's token"
APP_TOKEN_ACTION = "actions/create-github-app-token@"


def _job_step(workflow: str, job: str, name: str) -> dict[str, Any]:
    return next(step for step in jobs(workflow)[job]["steps"] if step.get("name") == name)


@pytest.mark.parametrize(("workflow", "job"), list(BOT_JOBS))
def test_the_bot_jobs_write_with_a_narrowed_app_token_minted_in_the_snapstart_pr_environment(
    workflow: str, job: str
) -> None:
    definition = jobs(workflow)[job]
    # The README restricts this environment to the default branch: no other branch's workflow can read
    # the App's key (any workflow on any branch could read a repository secret and act as the bot).
    assert definition["environment"] == "snapstart-pr"
    # The workflow's own token stays read-only; the App's token carries every write.
    assert definition["permissions"] == {"contents": "read"}
    mint = _job_step(workflow, job, MINT)
    assert mint["uses"].startswith(APP_TOKEN_ACTION)
    # Inputs of v3.1.1's action.yml (`app-id` is deprecated there); the token is narrowed to the two
    # permissions the CLI needs, for the App's installation on this repository only (the default).
    assert mint["with"] == {
        "client-id": "${{ vars.SNAPSTART_APP_CLIENT_ID }}",
        "private-key": "${{ secrets.SNAPSTART_APP_PRIVATE_KEY }}",
        "permission-contents": "write",
        "permission-pull-requests": "write",
    }
    # No fallback to the workflow's token or to a personal token: "Allow GitHub Actions to create and
    # approve pull requests" stays off, and the bot's commits must be the ones GitHub signs for the App.
    cli = _job_step(workflow, job, BOT_JOBS[workflow, job])
    assert cli["env"]["GITHUB_TOKEN"] == f"${{{{ steps.{mint['id']}.outputs.token }}}}"
    names = [step.get("name") for step in definition["steps"]]
    assert names[0] == APP_CHECK
    assert names.index(MINT) < names.index(BOT_JOBS[workflow, job])


def test_the_apps_private_key_reaches_no_script_only_the_token_action() -> None:
    for name in NAMES:
        for job_name, step in steps(name):
            if step.get("uses", "").startswith(APP_TOKEN_ACTION):
                continue
            # Anywhere else, only whether a secret is set: never its value.
            for expression in re.findall(r"\$\{\{.*?\}\}", json.dumps(step)):
                if SECRET.search(expression):
                    assert re.fullmatch(r"\$\{\{ secrets\.\w+ != '' \}\}", expression), f"{name}: {job_name}"
    # The personal token of the old set-up is never used.
    assert "SNAPSTART_PR_TOKEN }}" not in "".join((WORKFLOWS / n).read_text(encoding="utf-8") for n in NAMES)


def test_no_job_without_an_environment_references_a_secret() -> None:
    referenced = 0
    for name in NAMES:
        document = load(name)
        outside_jobs = {key: value for key, value in document.items() if key != "jobs"}
        assert not SECRET.search(json.dumps(outside_jobs)), f"{name}: a secret outside any job"
        for job_name, job in jobs(name).items():
            text = json.dumps(job)
            assert "environment" in job or not SECRET.search(text), f"{name}: {job_name}"
            assert job.get("secrets") != "inherit", f"{name}: {job_name}"
            referenced += len(SECRET.findall(text))
    # In open-pr, keep and refresh: whether the App's key and the old personal token are set, and the
    # key handed to create-github-app-token.
    assert referenced == 3 * len(BOT_JOBS)


def test_the_secret_check_catches_a_secret_read_outside_an_environment() -> None:
    job = {"steps": [{"with": {"private-key": "${{ secrets.SNAPSTART_APP_PRIVATE_KEY || '' }}"}}]}
    assert SECRET.search(json.dumps(job))
    assert SECRET.search(json.dumps({"env": {"T": "${{ secrets['X'] }}"}}))
    assert not SECRET.search(json.dumps({"env": {"T": "${{ github.token }}"}}))


def test_the_apply_job_runs_in_the_protected_environment_one_at_a_time() -> None:
    workflow = load("apply.yml")
    assert workflow["on"] == {"push": {"branches": [DEFAULT_BRANCH], "paths": ["plans/**/plan.json"]}}
    # Never cancelled, and every merge applied in turn: by default GitHub keeps one pending run per
    # group and cancels it when another arrives, so of three merges in quick succession the second
    # would never be applied. `queue: max` keeps up to 100 waiting, in order.
    assert workflow["concurrency"] == {
        "group": "snapstart-cleaner-apply",
        "cancel-in-progress": False,
        "queue": "max",
    }
    apply = jobs("apply.yml")["apply"]
    assert apply["environment"] == DEFAULT_ENVIRONMENT == "snapstart-cleanup"
    assert TemplateOptions(github_repo="o/r").apply_subject.startswith(
        f"repo:o/r:environment:{DEFAULT_ENVIRONMENT}"
    )
    assert apply["permissions"] == {
        "id-token": "write",
        "contents": "read",
        "pull-requests": "write",
        "actions": "read",  # provenance: the scan workflow's plan artifact, through the Actions API
    }
    credentials = next(s for s in apply["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    # Each matrix job assumes the apply role of its plan's account (from `targets --plans`).
    assert credentials["with"]["role-to-assume"] == "${{ matrix.apply_role_arn }}"
    assert credentials["with"]["aws-region"] == "${{ matrix.aws_region }}"
    script = step_named("apply.yml", "Apply the plan")
    assert "--require-approval" in script["run"]
    assert script["env"] == {
        "PLAN": "${{ matrix.plan }}",
        "DRY_RUN": "${{ vars.SNAPSTART_DRY_RUN }}",
        "GITHUB_TOKEN": "${{ github.token }}",
    }
    assert step_named("apply.yml", "One apply job per changed plan")["env"]["BEFORE"] == (
        "${{ github.event.before }}"
    )


def test_apply_fans_out_one_job_per_changed_plan_and_one_failure_stops_no_other() -> None:
    plans, apply = jobs("apply.yml")["plans"], jobs("apply.yml")["apply"]
    assert plans["permissions"] == {"contents": "read"}
    assert "environment" not in plans  # it reads files; the apply role's environment is for apply only
    assert apply["needs"] == "plans"
    assert apply["if"] == "needs.plans.outputs.count != '0'"
    assert apply["strategy"] == {"fail-fast": False, "matrix": "${{ fromJSON(needs.plans.outputs.matrix) }}"}
    upload = next(s for s in apply["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["name"].endswith("-${{ strategy.job-index }}")  # unique per matrix job


def test_the_apply_results_and_journal_are_uploaded_whatever_happened() -> None:
    upload = next(s for s in jobs("apply.yml")["apply"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()"
    assert upload["with"]["path"].split() == ["plans/**/apply-result.*", "plans/**/apply-journal.jsonl"]
    assert upload["with"]["if-no-files-found"] == "ignore"


def test_the_plan_check_validates_with_the_base_branchs_code() -> None:
    workflow = load("plan-check.yml")
    assert workflow["on"] == {"pull_request": {"types": ["opened", "synchronize", "reopened", "edited"]}}
    checkouts = [s for _, s in steps("plan-check.yml") if s.get("uses", "").startswith("actions/checkout@")]
    base = next(s for s in checkouts if "path" in s.get("with", {}))
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    install = step_named("plan-check.yml", "Install snapstart-cleaner")
    # The validator, the lock it installs from and the install action itself all come from the base
    # branch's checkout: the pull request's copy of the action could change what validates it.
    assert base["with"]["path"] == BASE
    assert install["uses"] == f"./{BASE}/.github/actions/install"
    assert install["with"] == {"source": BASE}


def test_the_plan_check_reads_the_pull_requests_own_commits_and_author() -> None:
    head = next(s for _, s in steps("plan-check.yml") if "path" not in s.get("with", {"path": ""}))
    # Not GitHub's merge commit, whose first parent is the base branch: the branch's own first commit.
    assert head["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    assert head["with"]["fetch-depth"] == 0
    validate = step_named("plan-check.yml", "Validate")
    assert validate["env"]["PR_AUTHOR"] == "${{ github.event.pull_request.user.login }}"
    # Whether the first commit is the bot's is GitHub's answer (commits API), with the job's read token.
    assert validate["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert validate["env"]["GH_REPO"] == "${{ github.repository }}"
    assert 'gh api "repos/$GH_REPO/commits/$first"' in validate["run"]
    # Not the e-mail in the commit, which anyone can write.
    assert "%ae" not in validate["run"] and "noreply" not in validate["run"]


def test_the_description_is_re_rendered_after_someone_edits_it() -> None:
    # `edited`: a title or description changed by hand is put back to what the plans render to before
    # anyone approves (apply's page_is_the_plan then refuses a page that still lies at merge).
    assert "edited" in load("plan-check.yml")["on"]["pull_request"]["types"]
    refresh = step_named("plan-check.yml", REFRESH)
    assert "github.event.action" not in json.dumps(refresh)  # on every trigger alike
    # Written with the job's token, whose edits start no workflow: the refresh does not trigger itself.
    assert refresh["env"]["GITHUB_TOKEN"] == "${{ github.token }}"


REFRESH = "Refresh the pull request's description"
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def test_the_description_is_refreshed_only_after_every_plan_validated_and_only_in_this_repository() -> None:
    names = [step.get("name") for _, step in steps("plan-check.yml")]
    # After the checks, before the comment (which runs whatever happened, so a failed refresh cannot
    # keep the summary from reviewers).
    assert names.index("Validate") < names.index(REFRESH) < names.index("Comment the summary of the edit")
    refresh = step_named("plan-check.yml", REFRESH)
    # success(): every earlier step passed, so never after a failed check; only a plan pull request has
    # a description to refresh. A fork's token is read-only.
    assert refresh["if"] == f"success() && steps.validate.outputs.plans == 'true' && {SAME_REPOSITORY}"
    assert SAME_REPOSITORY in step_named("plan-check.yml", "Comment the summary of the edit")["if"]
    # A stale description is no reason to fail the check of the plan.
    assert refresh["continue-on-error"] is True


def test_the_refresh_writes_with_the_jobs_own_token_and_the_job_can_write_no_contents() -> None:
    refresh = step_named("plan-check.yml", REFRESH)
    assert refresh["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert not SECRET.search(json.dumps(refresh))
    assert "environment" not in jobs("plan-check.yml")["validate"]
    assert jobs("plan-check.yml")["validate"]["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_the_refresh_describes_the_validated_head_with_the_base_branchs_code_and_settings() -> None:
    refresh = step_named("plan-check.yml", REFRESH)
    assert refresh["env"]["HEAD_SHA"] == "${{ github.event.pull_request.head.sha }}"
    assert refresh["env"]["PR_NUMBER"] == "${{ github.event.pull_request.number }}"
    base = next(
        s["with"]["path"]
        for _, s in steps("plan-check.yml")
        if s.get("uses", "").startswith("actions/checkout@") and "path" in s.get("with", {})
    )
    assert refresh["run"] == (
        'snapstart-cleaner refresh-pr --pr "$PR_NUMBER" --head-sha "$HEAD_SHA"'
        f" --config {base}/pyproject.toml"
    )
    assert "uses" not in refresh  # the snapstart-cleaner the install step put there, and nothing else


def test_the_refresh_script_hands_the_event_values_over_literally(shell: Any) -> None:
    refresh = step_named("plan-check.yml", REFRESH)
    marker = shell.root / "pwned"
    head = f"$(touch {marker})"

    result = shell.run(refresh["run"], PR_NUMBER="7", HEAD_SHA=head, GITHUB_TOKEN="t")

    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert shell.calls() == [
        ["refresh-pr", "--pr", "7", "--head-sha", head, "--config", ".snapstart-cleaner-base/pyproject.toml"]
    ]


def test_the_refresh_step_s_flags_are_ones_the_cli_takes() -> None:
    from cleaner.cli import build_parser

    run = step_named("plan-check.yml", REFRESH)["run"]
    argv = shlex.split(run.replace("$PR_NUMBER", "7").replace("$HEAD_SHA", "a" * 40))
    assert argv[0] == "snapstart-cleaner"
    args = build_parser().parse_args(argv[1:])
    assert (args.command, args.pr, args.head_sha) == ("refresh-pr", 7, "a" * 40)
    assert args.config == ".snapstart-cleaner-base/pyproject.toml"


def test_the_plan_check_says_the_description_is_feedback_too() -> None:
    header = (WORKFLOWS / "plan-check.yml").read_text(encoding="utf-8").split("\nname:")[0]
    assert "The description is feedback too, never the safeguard: apply reads plan.json." in header


def test_the_plan_check_says_it_is_not_the_safeguard() -> None:
    # A pull_request run uses the pull request's own copy of plan-check.yml: whoever edits the plan can
    # edit the check, so apply must not depend on it.
    header = (WORKFLOWS / "plan-check.yml").read_text(encoding="utf-8").split("\nname:")[0]
    assert "the\n# pull request's own copy of this file" in header
    assert "Nothing may depend on this workflow" in header


# --- the shell steps, run for real ------------------------------------------------------------------------

# A stand-in for the CLI: logs its arguments (one JSON list per line) and, for `validate --against`,
# a copy of the original it was given; answers like the real one.
FAKE_CLI = r"""#!/usr/bin/env python3
import json, os, shutil, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
if args[0] == "scan":
    print(json.dumps({"plan_id": "20261101T120000Z", "summary": {"delete_count": 2}}))
    os.makedirs("plans/20261101T120000Z", exist_ok=True)
    with open("plans/20261101T120000Z/plan.md", "w") as md:
        md.write("# Plan 20261101T120000Z\n")
elif args[0] == "validate":
    if "--against" in args:
        against = args[args.index("--against") + 1]
        shutil.copy(against, os.environ["FAKE_LOG"] + "." + str(sum(1 for _ in open(os.environ["FAKE_LOG"]))))
    if "--format" in args and args[args.index("--format") + 1] == "json":
        dropped = json.loads(os.environ.get("FAKE_DROPPED", '["us-east-1 api:1"]'))
        print(json.dumps({"ok": True, "findings": [], "dropped": dropped,
                          "delete_count": 1, "estimated_monthly_savings_usd": 4.2}))
elif args[0] == "apply":
    sys.exit(int(os.environ.get("FAKE_APPLY_EXIT", "0")))
elif args[0] == "targets":
    plans = args[args.index("--plans") + 1:] if "--plans" in args else []
    print(json.dumps({"include": [{"plan": plan} for plan in plans] or [{"key": "default"}]}))
elif args[0] == "open-pr":
    sys.exit(int(os.environ.get("FAKE_OPEN_PR_EXIT", "0")))
"""

# A stand-in for `gh api PATH` (with GH_TOKEN set, as the step sets it): logs its arguments and answers
# with $FAKE_GH_ROOT/PATH.json, or fails as gh does on a 404 when there is none.
FAKE_GH = r"""#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps(args) + "\n")
answer = os.path.join(os.environ["FAKE_GH_ROOT"], args[-1] + ".json")
if args[:1] != ["api"] or len(args) != 2 or not os.environ.get("GH_TOKEN") or not os.path.isfile(answer):
    sys.stderr.write("gh: Not Found (HTTP 404)\n")
    sys.exit(1)
with open(answer) as body:
    sys.stdout.write(body.read())
"""


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Any]:
    """Runs a workflow step's script as GitHub does (bash -eo pipefail) in a scratch git repository,
    with `snapstart-cleaner` replaced by FAKE_CLI and `gh` by FAKE_GH."""
    if shutil.which("bash") is None or shutil.which("git") is None:
        pytest.skip("bash and git are needed to run the workflow scripts")
    repo = tmp_path / "repo"
    repo.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "snapstart-cleaner"
    fake.write_text(FAKE_CLI.replace("python3", Path(sys.executable).as_posix(), 1), encoding="utf-8")
    fake.chmod(0o755)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.replace("python3", Path(sys.executable).as_posix(), 1), encoding="utf-8")
    gh.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    base_env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "FAKE_LOG": str(tmp_path / "cli.log"),
        "FAKE_GH_ROOT": str(tmp_path / "github"),
        "FAKE_GH_LOG": str(tmp_path / "gh.log"),
    }

    class Shell:
        root = tmp_path
        cwd = repo

        def git(self, *args: str, **env: str) -> str:
            return subprocess.run(
                ["git", *args], cwd=repo, env={**base_env, **env}, capture_output=True, text=True, check=True
            ).stdout.strip()

        def commit(
            self, files: dict[str, str], message: str, *, author: str = "t@example.com", committer: str = ""
        ) -> str:
            """Commits `files` (and whatever else changed) as `author`, committed by `committer` (the
            author unless given)."""
            for path, text in files.items():
                (repo / path).parent.mkdir(parents=True, exist_ok=True)
                (repo / path).write_text(text, encoding="utf-8")
            self.git("add", "-A")
            emails = {"GIT_AUTHOR_EMAIL": author, "GIT_COMMITTER_EMAIL": committer or author}
            self.git("commit", "-q", "--allow-empty", "-m", message, **emails)
            return self.git("rev-parse", "HEAD")

        def github_commit(
            self,
            sha: str,
            *,
            verified: bool,
            reason: str,
            author: str | None,
            author_type: str = "Bot",
            committer: str | None = None,
        ) -> None:
            """What GitHub's commits API answers for `sha` in REPOSITORY: its signature verification and
            the accounts its author and committer resolve to (None: no account)."""
            answer = tmp_path / "github" / "repos" / REPOSITORY / "commits" / f"{sha}.json"
            answer.parent.mkdir(parents=True, exist_ok=True)
            account = {"login": author, "type": author_type} if author is not None else None
            committer_account = account if committer is None else {"login": committer, "type": "User"}
            body = {
                "sha": sha,
                "commit": {"verification": {"verified": verified, "reason": reason}},
                "author": account,
                "committer": committer_account,
            }
            answer.write_text(json.dumps(body), encoding="utf-8")

        def bot_commit(self, files: dict[str, str], message: str) -> str:
            """A commit as the App makes it through the API: the bot's e-mail, signed by GitHub."""
            sha: str = self.commit(files, message, author=BOT_EMAIL)
            self.github_commit(sha, verified=True, reason="valid", author=BOT_LOGIN)
            return sha

        def gh_calls(self) -> list[list[str]]:
            log = tmp_path / "gh.log"
            if not log.exists():
                return []
            return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

        def run(self, script: str, **env: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                cwd=repo,
                env={**base_env, **env},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )

        def calls(self) -> list[list[str]]:
            log = tmp_path / "cli.log"
            if not log.exists():
                return []
            return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    shell = Shell()
    shell.git("init", "-q", "-b", "main")
    yield shell


# --- the install action's scripts, run with a stand-in for `python` -----------------------------------------

FAKE_PYTHON = r"""#!/usr/bin/env python3
import json, os, sys
with open(os.environ["FAKE_PYTHON_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
"""


def _install(shell: Any, **given: str) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    """Runs the install action's scripts in order as the runner would for a step `with: given` (each
    input through its step's env), stopping at the first that fails; `python` only logs its arguments."""
    definition = action_definition()
    inputs = {name: str(spec["default"]) for name, spec in definition["inputs"].items()}
    assert set(given) <= set(inputs)
    inputs.update(given)
    fake = shell.root / "bin" / "python"
    fake.write_text(FAKE_PYTHON.replace("python3", Path(sys.executable).as_posix(), 1), encoding="utf-8")
    fake.chmod(0o755)
    log = shell.root / "python.log"
    result: subprocess.CompletedProcess[str] | None = None
    for step in definition["runs"]["steps"]:
        if "run" not in step:
            continue
        env = {}
        for key, value in step["env"].items():
            match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
            assert match, f"{step['name']}: {key}: {value}"
            env[key] = inputs[match[1]]
        result = shell.run(step["run"], FAKE_PYTHON_LOG=str(log), **env)
        if result.returncode != 0:
            break
    assert result is not None
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return result, [json.loads(line) for line in lines]


PIP_LOCKED = ["-m", "pip", "install", "--require-hashes", "-r"]
PIP_PACKAGE = ["-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, [[*PIP_LOCKED, "./.github/requirements.txt"], [*PIP_PACKAGE, "./."]]),
        (
            {"source": ".snapstart-cleaner-judge"},
            [
                [*PIP_LOCKED, ".snapstart-cleaner-judge/.github/requirements.txt"],
                [*PIP_PACKAGE, "./.snapstart-cleaner-judge"],
            ],
        ),
        (
            {"lock": "requirements-dev.txt", "editable": "true"},
            [[*PIP_LOCKED, "./.github/requirements-dev.txt"], [*PIP_PACKAGE, "-e", "./."]],
        ),
    ],
)
def test_the_install_action_installs_the_lock_then_the_package_from_its_source(
    shell: Any, given: dict[str, str], expected: list[list[str]]
) -> None:
    result, calls = _install(shell, **given)
    assert result.returncode == 0, result.stderr
    assert calls == expected


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ({"lock": "../../requirements-unlocked.txt"}, "::error title=Unknown lock::"),
        ({"lock": "requirements.in"}, "::error title=Unknown lock::"),
        ({"editable": "yes"}, "::error title=Bad input::"),
    ],
)
def test_the_install_action_refuses_an_input_it_does_not_know(
    shell: Any, given: dict[str, str], error: str
) -> None:
    result, calls = _install(shell, **given)
    assert result.returncode == 1
    assert result.stdout.startswith(error)
    # Nothing from an unknown lock; the package never without its locked dependencies.
    assert all("--no-index" not in call for call in calls)
    assert all(call[-1].endswith(("/requirements.txt", "/requirements-dev.txt")) for call in calls)


def test_the_install_actions_inputs_reach_pip_literally(shell: Any) -> None:
    marker = shell.root / "pwned"
    source = f"$(touch {marker})"
    result, calls = _install(shell, source=source)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert calls == [[*PIP_LOCKED, f"{source}/.github/requirements.txt"], [*PIP_PACKAGE, f"./{source}"]]


def test_the_scan_script_passes_inputs_as_flags_and_publishes_the_plan_id(shell: Any) -> None:
    script = step_named("scan.yml", "Scan")["run"]
    result = shell.run(
        script, REGIONS="us-east-1, eu-west-1", MIN_AGE_DAYS="30", KEEP_LAST_N="", LOOKBACK_DAYS="7"
    )
    assert result.returncode == 0, result.stderr
    assert shell.calls() == [
        [
            "scan",
            "--format",
            "json",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--min-age-days",
            "30",
            "--lookback-days",
            "7",
        ]
    ]
    output = (shell.root / "output").read_text(encoding="utf-8")
    assert output.splitlines() == ["plan-id=20261101T120000Z"]


def test_a_scheduled_scan_passes_no_flags_so_the_repository_settings_apply(shell: Any) -> None:
    script = step_named("scan.yml", "Scan")["run"]
    result = shell.run(script, REGIONS="", MIN_AGE_DAYS="", KEEP_LAST_N="", LOOKBACK_DAYS="")
    assert result.returncode == 0, result.stderr
    assert shell.calls() == [["scan", "--format", "json"]]


def test_an_input_cannot_inject_shell(shell: Any) -> None:
    script = step_named("scan.yml", "Scan")["run"]
    marker = shell.root / "pwned"
    result = shell.run(
        script, REGIONS=f"us-east-1;touch {marker}", MIN_AGE_DAYS=f"$(touch {marker})", KEEP_LAST_N="",
        LOOKBACK_DAYS="",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    # Handed to the CLI as literal values, which it rejects (exit 2) as not region names or numbers.
    assert shell.calls() == [
        [
            *("scan", "--format", "json"),
            *("--region", "us-east-1;touch", "--region", str(marker)),
            *("--min-age-days", f"$(touch {marker})"),
        ]
    ]


APP_NOT_SET_UP = "::error title=The bot's GitHub App is not set up::The snapstart-pr environment has no "
PAT_GONE = "SNAPSTART_PR_TOKEN is still set: the personal-token set-up is gone, remove that secret."
README_STEP = '(README, "Set-up from zero", the GitHub App step)'


def test_the_bot_jobs_check_the_app_with_the_same_step() -> None:
    checks = [_job_step(workflow, job, APP_CHECK) for workflow, job in BOT_JOBS]
    assert all(check == checks[0] for check in checks)


@pytest.mark.parametrize(
    ("client_id", "key_set", "missing"),
    [
        ("", "false", "the variable SNAPSTART_APP_CLIENT_ID and the secret SNAPSTART_APP_PRIVATE_KEY"),
        ("", "true", "the variable SNAPSTART_APP_CLIENT_ID"),
        (" \n", "true", "the variable SNAPSTART_APP_CLIENT_ID"),
        ("Iv23liAbCdEf", "false", "the secret SNAPSTART_APP_PRIVATE_KEY"),
    ],
)
@pytest.mark.parametrize("pat_set", ["false", "true"])
def test_a_bot_job_stops_first_with_one_clear_error_while_the_app_is_not_set_up(
    shell: Any, client_id: str, key_set: str, missing: str, pat_set: str
) -> None:
    check = _job_step("scan.yml", "open-pr", APP_CHECK)
    # The key itself never reaches the script: only whether it is set (a missing secret reads as '').
    assert check["env"] == {
        "SNAPSTART_APP_CLIENT_ID": "${{ vars.SNAPSTART_APP_CLIENT_ID }}",
        "SNAPSTART_APP_PRIVATE_KEY_SET": "${{ secrets.SNAPSTART_APP_PRIVATE_KEY != '' }}",
        "SNAPSTART_PR_TOKEN_SET": "${{ secrets.SNAPSTART_PR_TOKEN != '' }}",
    }
    result = shell.run(
        check["run"],
        SNAPSTART_APP_CLIENT_ID=client_id,
        SNAPSTART_APP_PRIVATE_KEY_SET=key_set,
        SNAPSTART_PR_TOKEN_SET=pat_set,
    )
    assert result.returncode == 1
    [line] = result.stdout.splitlines()  # one annotation, all of it on one line
    assert line.startswith(f"{APP_NOT_SET_UP}{missing}. The bot is a GitHub App:")
    assert f"the snapstart-pr environment {README_STEP}." in line
    # A repository still set up for the personal token is told that set-up is gone.
    assert (PAT_GONE in line) is (pat_set == "true")


def test_a_bot_job_goes_on_once_the_app_is_set_up_and_asks_to_remove_the_old_token(shell: Any) -> None:
    check = _job_step("keep.yml", "keep", APP_CHECK)
    app = {"SNAPSTART_APP_CLIENT_ID": "Iv23liAbCdEf", "SNAPSTART_APP_PRIVATE_KEY_SET": "true"}
    ready = shell.run(check["run"], **app, SNAPSTART_PR_TOKEN_SET="false")
    assert (ready.returncode, ready.stdout, ready.stderr) == (0, "", "")
    leftover = shell.run(check["run"], **app, SNAPSTART_PR_TOKEN_SET="true")
    assert leftover.returncode == 0
    assert leftover.stdout == f"::warning title=SNAPSTART_PR_TOKEN is not used::{PAT_GONE} {README_STEP}\n"


def test_the_plan_summary_step_appends_plan_md_to_the_job_summary(shell: Any) -> None:
    (shell.cwd / "plans" / "p1").mkdir(parents=True)
    (shell.cwd / "plans" / "p1" / "plan.md").write_text("# Plan p1\n", encoding="utf-8")
    result = shell.run(step_named("scan.yml", "Plan summary")["run"], PLAN_ID="p1")
    assert result.returncode == 0, result.stderr
    assert (shell.root / "summary").read_text(encoding="utf-8") == "# Plan p1\n"


def _plan(versions: list[str]) -> str:
    return json.dumps({"delete": versions}, indent=2) + "\n"


# The App's bot: the plan pull request's author, and the author of the commits open-pr and keep make
# through the API (GitHub signs them). Its e-mail is public: anyone can write it into a git commit.
BOT_LOGIN = "snapstart-cleaner[bot]"
BOT_EMAIL = "41898282+snapstart-cleaner[bot]@users.noreply.github.com"
REPOSITORY = "acme/infra"
NO_PROVENANCE = (
    "the plan's provenance could not be established here;"
    " apply checks it against the scan workflow's artifact"
)
OUTSIDE = "a plan PR may only change plan folders; apply will refuse it"


def _plan_check(
    shell: Any, base: str, pr_author: str = BOT_LOGIN, **env: str
) -> subprocess.CompletedProcess[str]:
    result: subprocess.CompletedProcess[str] = shell.run(
        step_named("plan-check.yml", "Validate")["run"],
        BASE_SHA=base,
        PR_AUTHOR=pr_author,
        GH_REPO=REPOSITORY,
        GH_TOKEN="ghs_job",
        **env,
    )
    return result


def _comment(shell: Any) -> str:
    text: str = (shell.root / "runner-temp" / "comment.md").read_text(encoding="utf-8")
    return text


def _errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("::error")]


def test_the_plan_check_validates_each_changed_plan_against_the_version_the_bot_added_first(
    shell: Any,
) -> None:
    base = shell.commit({"README.md": "x\n", "plans/old/plan.json": _plan(["a"])}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    bots = shell.bot_commit(
        {"plans/p1/plan.json": _plan(["1", "2", "3"]), "plans/p1/plan.md": "3\n"}, "scanner"
    )
    shell.commit({"plans/p1/plan.json": _plan(["1", "3"]), "plans/p1/plan.md": "2\n"}, "review: drop 2")
    shell.commit({"plans/p1/plan.json": _plan(["3"])}, "review: drop 1")
    result = _plan_check(shell, base)
    assert result.returncode == 0, result.stderr + result.stdout
    calls = shell.calls()
    assert [c[0] for c in calls] == ["validate", "validate"]  # github annotations, then the json summary
    assert calls[0][:2] == ["validate", "plans/p1/plan.json"] and calls[0][-2:] == ["--format", "github"]
    assert "--against" in calls[0]
    # The original handed to --against is the scanner's version, not the previous edit.
    assert json.loads((shell.root / "cli.log.1").read_text(encoding="utf-8")) == {"delete": ["1", "2", "3"]}
    comment = _comment(shell)
    assert "`plans/p1/plan.json`: valid" in comment
    assert (
        f"the branch's first commit {bots[:12]}, by @{BOT_LOGIN} (the pull request's author; signature"
        " verified by GitHub)" in comment
    )
    # GitHub was asked about that commit, in this repository.
    assert shell.gh_calls() == [["api", f"repos/{REPOSITORY}/commits/{bots}"]]
    assert "1 versions to delete, estimated savings $4.2/month." in comment
    # Worded as the review page's section, so a reviewer finds the same versions under the same name.
    assert "Dropped in review:\n- `us-east-1 api:1`\n" in comment
    page_template = Path(cleaner.__file__).parent / "templates" / "plan-head.md.j2"
    assert "## Dropped in review\n" in page_template.read_text(encoding="utf-8")
    assert (shell.root / "summary").read_text(encoding="utf-8") == comment


def test_the_plan_check_says_when_review_dropped_nothing_in_the_page_s_words(shell: Any) -> None:
    base = shell.commit({"README.md": "x\n"}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    shell.bot_commit({"plans/p1/plan.json": _plan(["1"]), "plans/p1/plan.md": "1\n"}, "scanner")
    result = _plan_check(shell, base, FAKE_DROPPED="[]")
    assert result.returncode == 0, result.stderr + result.stdout
    comment = _comment(shell)
    assert "No version dropped in review." in comment
    assert "by review" not in comment


def test_a_plan_added_after_the_first_commit_has_no_provenance_here(shell: Any) -> None:
    # Attack 3: one commit deletes the bot's plan and adds the pusher's own. Whatever address the pusher
    # writes into it, it is not the branch's first commit.
    base = shell.commit({"README.md": "x\n"}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    shell.bot_commit({"plans/p1/plan.json": _plan(["1"]), "plans/p1/plan.md": "1\n"}, "scanner")
    shell.git("rm", "-q", "-r", "plans/p1")
    shell.commit({"plans/p2/plan.json": _plan(["9"]), "plans/p2/plan.md": "9\n"}, "swap", author=BOT_EMAIL)
    result = _plan_check(shell, base)
    assert result.returncode == 1
    assert _errors(result) == [f"::error file=plans/p2/plan.json::plans/p2/plan.json: {NO_PROVENANCE}"]
    # Still checked for what can be checked here, with no original to compare with.
    assert shell.calls() == [
        ["validate", "plans/p2/plan.json", "--format", "github"],
        ["validate", "plans/p2/plan.json", "--format", "json"],
    ]
    comment = _comment(shell)
    assert "**Provenance not established here:**" in comment
    assert "Apply checks it against the scan workflow's artifact `plan-<plan-id>`" in comment
    assert "dropped in review" not in comment.lower()


def test_an_edit_of_a_plan_already_on_the_base_branch_has_no_provenance_here(shell: Any) -> None:
    base = shell.bot_commit({"plans/old/plan.json": _plan(["a", "b"])}, "merged earlier")
    shell.git("checkout", "-q", "-b", "edit")
    # Even a commit GitHub verifies as the bot's gives no original for a plan it did not add.
    shell.bot_commit({"plans/old/plan.json": _plan(["a", "b", "c"])}, "try to add c")
    result = _plan_check(shell, base)
    assert result.returncode == 1
    assert _errors(result) == [f"::error file=plans/old/plan.json::plans/old/plan.json: {NO_PROVENANCE}"]
    assert all("--against" not in call for call in shell.calls())


def _first_commit(shell: Any, author: str = BOT_EMAIL) -> str:
    base: str = shell.commit({"README.md": "x\n"}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    shell.commit({"plans/p1/plan.json": _plan(["1"])}, "scanner", author=author)
    return base


def _gives_the_original(shell: Any, result: subprocess.CompletedProcess[str]) -> bool:
    compared = "--against" in shell.calls()[0]
    # Either compared with the original, or an error that the provenance is not established here.
    assert (result.returncode, NO_PROVENANCE in result.stdout) == ((0, False) if compared else (1, True))
    return compared


# What GitHub answers about the branch's first commit (committer None: the author's account).
GITHUB_SAYS = {
    "made by the App through the API": (True, "valid", BOT_LOGIN, "Bot", None),
    "made by the App, committed by GitHub's web-flow": (True, "valid", BOT_LOGIN, "Bot", "web-flow"),
    # Attack: a writer commits with git under the bot's e-mail. GitHub resolves the e-mail to the bot's
    # account, but nobody signed the commit.
    "forged with the bot's e-mail, unsigned": (False, "unsigned", BOT_LOGIN, "Bot", None),
    "forged with the bot's e-mail, signed by a key GitHub does not know": (
        False, "unknown_key", BOT_LOGIN, "Bot", None,
    ),
    # Attack: the writer signs the forgery with their own key: verified, but they are its committer.
    "forged with the bot's e-mail, signed by the writer": (True, "valid", BOT_LOGIN, "Bot", "mallory"),
    # Both halves of GitHub's verdict must say so.
    "not verified, whatever the reason says": (False, "valid", BOT_LOGIN, "Bot", None),
    "verified, with a reason other than valid": (True, "bad_email", BOT_LOGIN, "Bot", None),
    "a verified commit by a person": (True, "valid", "mallory", "User", None),
    "a verified commit by another App": (True, "valid", "other-app[bot]", "Bot", "web-flow"),
    "an author that is no account": (True, "valid", None, "Bot", "web-flow"),
}  # fmt: skip


@pytest.mark.parametrize("what", list(GITHUB_SAYS))
def test_the_first_commit_gives_the_original_only_when_github_verifies_it_as_the_bots(
    shell: Any, what: str
) -> None:
    verified, reason, author, author_type, committer = GITHUB_SAYS[what]
    base = _first_commit(shell)
    first = shell.git("rev-parse", "HEAD")
    shell.github_commit(
        first, verified=verified, reason=reason, author=author, author_type=author_type, committer=committer
    )
    result = _plan_check(shell, base)
    assert _gives_the_original(shell, result) is what.startswith("made by the App")
    assert shell.gh_calls() == [["api", f"repos/{REPOSITORY}/commits/{first}"]]


def test_a_commit_by_the_pull_requests_author_who_is_a_person_gives_no_original(shell: Any) -> None:
    # A plan pull request is the App's; one a person opened has no bot commit, however verified theirs.
    base = _first_commit(shell, author="mallory@example.com")
    shell.github_commit(shell.git("rev-parse", "HEAD"), verified=True, reason="valid", author="mallory",
                        author_type="User")  # fmt: skip
    assert not _gives_the_original(shell, _plan_check(shell, base, pr_author="mallory"))


def test_a_commit_of_the_workflow_token_gives_no_original(shell: Any) -> None:
    # github-actions[bot] is every workflow's token, not the App: never the scan bot.
    base = _first_commit(shell)
    shell.github_commit(
        shell.git("rev-parse", "HEAD"), verified=True, reason="valid", author="github-actions[bot]"
    )
    assert not _gives_the_original(shell, _plan_check(shell, base, pr_author="github-actions[bot]"))


def test_when_github_cannot_be_asked_the_provenance_is_not_established(shell: Any) -> None:
    # Fail closed: gh fails (here a 404: GitHub has no answer for the commit), so the commit is not the
    # bot's, whatever its e-mail says.
    base = _first_commit(shell)
    assert not _gives_the_original(shell, _plan_check(shell, base))
    assert len(shell.gh_calls()) == 1


def test_no_pull_request_author_means_no_original(shell: Any) -> None:
    base = _first_commit(shell)
    shell.github_commit(shell.git("rev-parse", "HEAD"), verified=True, reason="valid", author="")
    # An empty login must not match an empty answer: GitHub is not even asked.
    result = _plan_check(shell, base, pr_author="")
    assert result.returncode == 1
    assert "--against" not in shell.calls()[0]
    assert shell.gh_calls() == []


def test_the_required_check_reports_on_every_pull_request() -> None:
    # A required status check that never runs stays pending and blocks the pull request for ever
    # (GitHub, "Troubleshooting required status checks"): no paths filter, and no job-level condition.
    trigger = load("plan-check.yml")["on"]["pull_request"]
    assert "paths" not in trigger and "paths-ignore" not in trigger
    job = load("plan-check.yml")["jobs"]["validate"]
    assert job["name"] == "Validate plan edits" and "if" not in job


def test_a_pull_request_that_changes_no_plan_passes_without_validating_anything(shell: Any) -> None:
    base = shell.commit({"README.md": "x\n", "plans/old/plan.json": _plan(["a"])}, "base")
    shell.git("checkout", "-q", "-b", "code-pr")
    shell.commit({"cleaner/applier.py": "b\n", ".github/CODEOWNERS": "* @acme/platform\n"}, "code")

    result = _plan_check(shell, base)

    assert result.returncode == 0, result.stderr + result.stdout
    assert _errors(result) == [] and shell.calls() == []
    assert (shell.root / "output").read_text(encoding="utf-8") == "plans=false\n"
    assert _comment(shell) == ""  # nothing to comment: the comment step posts nothing


def test_a_plan_pull_request_says_so_to_the_refresh_step(shell: Any) -> None:
    base = shell.commit({"README.md": "x\n"}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    shell.bot_commit({"plans/p1/plan.json": _plan(["1"]), "plans/p1/plan.md": "1\n"}, "scanner")

    result = _plan_check(shell, base)

    assert result.returncode == 0, result.stderr + result.stdout
    assert "plans=true\n" in (shell.root / "output").read_text(encoding="utf-8")
    refresh = step_named("plan-check.yml", "Refresh the pull request's description")
    assert "steps.validate.outputs.plans == 'true'" in refresh["if"]


def test_every_changed_file_outside_a_one_level_plan_folder_is_an_error(shell: Any) -> None:
    base = shell.commit({"README.md": "x\n", "cleaner/applier.py": "a\n", "pyproject.toml": "[x]\n"}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    shell.bot_commit({"plans/p1/plan.json": _plan(["1"]), "plans/p1/plan.md": "1\n"}, "scanner")
    shell.commit(
        {
            "cleaner/applier.py": "b\n",
            ".github/workflows/apply.yml": "on: push\n",
            "pyproject.toml": "[tool.cleaner]\n",
            "plans/x/y/plan.json": _plan(["2"]),  # matched by apply's trigger, skipped by the old check
            "plans/p1/apply-result.md": "done\n",
            "plans/plan.json": _plan(["3"]),
        },
        "ride along",
    )
    shell.git("rm", "-q", "README.md")
    shell.commit({}, "and remove this")
    result = _plan_check(shell, base)
    assert result.returncode == 1
    assert _errors(result) == [
        f"::error file={path}::{path}: {OUTSIDE}"
        for path in (
            ".github/workflows/apply.yml",
            "README.md",
            "cleaner/applier.py",
            "plans/p1/apply-result.md",
            "plans/plan.json",
            "plans/x/y/plan.json",
            "pyproject.toml",
        )
    ]
    # The one-level plan is still validated against the bot's version; nothing else is taken for a plan.
    assert [call[1] for call in shell.calls()] == ["plans/p1/plan.json", "plans/p1/plan.json"]
    assert "--against" in shell.calls()[0]
    comment = _comment(shell)
    assert comment.startswith("### 7 changed files outside plan folders\n")
    assert "`plans/p1/plan.json`: valid" in comment


def test_a_file_name_cannot_start_a_workflow_command_or_break_the_comment(shell: Any) -> None:
    base = shell.commit({"README.md": "x\n"}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    odd_plan = "plans/a,b:c`\n::warning::injected/plan.json"  # one level deep: a plan, oddly named
    files = {odd_plan: _plan(["1"]), "plans/x\r%,:\n::warning::y/notes.txt": "x\n"}
    shell.bot_commit(files, "odd names")
    result = _plan_check(shell, base)
    assert result.returncode == 1
    assert [line for line in result.stdout.splitlines() if not line.startswith("::error ")] == []
    assert _errors(result) == [
        "::error file=plans/x%0D%25%2C%3A%0A%3A%3Awarning%3A%3Ay/notes.txt::"
        f"plans/x%0D%25,:%0A::warning::y/notes.txt: {OUTSIDE}"
    ]
    assert shell.calls()[0][:2] == ["validate", odd_plan]
    # Shown in a code span that no character of the name can end, on one line.
    assert "### `plans/a,b:c' ::warning::injected/plan.json`: valid\n" in _comment(shell)


def test_a_merge_of_the_base_branch_keeps_the_bots_commit_first(shell: Any) -> None:
    shell.commit({"README.md": "x\n"}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    shell.bot_commit({"plans/p1/plan.json": _plan(["1", "2"])}, "scanner")
    shell.git("checkout", "-q", "main")
    base = shell.commit({"README.md": "y\n"}, "main moves on")
    shell.git("checkout", "-q", "plan-pr")
    shell.git("merge", "-q", "--no-edit", "main")
    shell.commit({"plans/p1/plan.json": _plan(["2"])}, "review: drop 1")
    result = _plan_check(shell, base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((shell.root / "cli.log.1").read_text(encoding="utf-8")) == {"delete": ["1", "2"]}


def test_the_plan_check_fails_when_validation_fails(shell: Any) -> None:
    base = shell.commit({"README.md": "x\n"}, "base")
    shell.git("checkout", "-q", "-b", "plan-pr")
    shell.bot_commit({"plans/p1/plan.json": _plan(["1"])}, "scanner")
    fake = shell.root / "bin" / "snapstart-cleaner"
    fake.write_text(fake.read_text(encoding="utf-8") + "sys.exit(1)\n", encoding="utf-8")
    result = _plan_check(shell, base)
    assert result.returncode == 1
    assert "**invalid**" in _comment(shell)


def test_the_plan_check_fails_closed_when_the_base_commit_is_missing(shell: Any) -> None:
    shell.bot_commit({"plans/p1/plan.json": _plan(["1"])}, "scanner")
    result = _plan_check(shell, "0" * 40)
    assert result.returncode != 0
    assert shell.calls() == []


def _merge(shell: Any, branch: str) -> str:
    """Merges `branch` into main as GitHub's merge button does: a merge commit whose first parent is
    main's previous head."""
    shell.git("checkout", "-q", "main")
    shell.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #7 from acme/{branch}", branch)
    sha: str = shell.git("rev-parse", "HEAD")
    return sha


def _apply_history(shell: Any) -> tuple[str, str]:
    """main's head before the push, and the pushed merge of a pull request of two commits."""
    before = shell.commit({"plans/old/plan.json": _plan(["a"]), "README.md": "x\n"}, "earlier")
    shell.git("checkout", "-q", "-b", "plan-pr")
    shell.commit({"plans/p1/plan.json": _plan(["1"]), "plans/p1/plan.md": "1\n"}, "plan p1")
    shell.commit({"plans/p2/plan.json": _plan(["2"]), "README.md": "y\n"}, "plan p2")
    return before, _merge(shell, "plan-pr")


LIST_PLANS = "One apply job per changed plan"
FIRST_PARENT = "Require a single merge on top of the previous head"


def _outputs(shell: Any) -> dict[str, str]:
    lines = (shell.root / "output").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_the_plans_job_hands_the_plans_the_push_changed_to_targets(shell: Any) -> None:
    before, sha = _apply_history(shell)
    result = shell.run(step_named("apply.yml", LIST_PLANS)["run"], BEFORE=before, GITHUB_SHA=sha)
    assert result.returncode == 0, result.stderr
    assert shell.calls() == [
        ["targets", "--format", "github-matrix", "--plans", "plans/p1/plan.json", "plans/p2/plan.json"]
    ]
    outputs = _outputs(shell)
    assert outputs["count"] == "2"
    assert json.loads(outputs["matrix"]) == {
        "include": [{"plan": "plans/p1/plan.json"}, {"plan": "plans/p2/plan.json"}]
    }


def test_a_push_that_changed_no_plan_starts_no_apply_job(shell: Any) -> None:
    before = shell.commit({"README.md": "x\n", "plans/old/plan.json": _plan(["a"])}, "earlier")
    sha = shell.commit({"README.md": "y\n"}, "no plan")
    result = shell.run(step_named("apply.yml", LIST_PLANS)["run"], BEFORE=before, GITHUB_SHA=sha)
    assert result.returncode == 0, result.stderr
    assert shell.calls() == []
    assert _outputs(shell) == {"count": "0"}


def test_the_plans_job_fails_when_targets_refuses_a_plan(shell: Any) -> None:
    before, sha = _apply_history(shell)
    fake = shell.root / "bin" / "snapstart-cleaner"
    fake.write_text(fake.read_text(encoding="utf-8") + "sys.exit(2)\n", encoding="utf-8")
    result = shell.run(step_named("apply.yml", LIST_PLANS)["run"], BEFORE=before, GITHUB_SHA=sha)
    assert result.returncode == 2
    assert "matrix" not in _outputs(shell)


def test_the_apply_step_is_a_dry_run_until_dry_run_is_switched_off(shell: Any) -> None:
    script = step_named("apply.yml", "Apply the plan")["run"]
    for value, dry in (("", True), ("true", True), ("False", True), ("no", True), ("false", False)):
        (shell.root / "cli.log").unlink(missing_ok=True)
        assert shell.run(script, PLAN="plans/p1/plan.json", DRY_RUN=value).returncode == 0
        expected = ["apply", "plans/p1/plan.json", "--require-approval"] + (["--dry-run"] if dry else [])
        assert shell.calls() == [expected], value


def test_the_apply_job_fails_with_applys_exit_code(shell: Any) -> None:
    script = step_named("apply.yml", "Apply the plan")["run"]
    result = shell.run(script, PLAN="plans/p1/plan.json", DRY_RUN="false", FAKE_APPLY_EXIT="3")
    assert result.returncode == 3


def test_the_plans_job_hands_every_changed_plan_json_to_targets_even_a_nested_one(shell: Any) -> None:
    # apply refuses a plan that is not exactly plans/<plan-id>/plan.json and says why on the pull
    # request: skipping it here would merge it silently.
    before = shell.commit(
        {"plans/old/plan.json": _plan(["a"]), "plans/p1/plan.json": _plan(["1"])}, "earlier"
    )
    shell.git("rm", "-q", "-r", "plans/old")
    sha = shell.commit(
        {
            "plans/p1/plan.json": _plan(["1", "2"]),
            "plans/x/y/plan.json": _plan(["3"]),
            "plans/plan.json": _plan(["4"]),
            "plans/p2/plan.md": "not a plan.json\n",
            "cleaner/plan.json": _plan(["5"]),
        },
        "a merge that changes much",
    )
    result = shell.run(step_named("apply.yml", LIST_PLANS)["run"], BEFORE=before, GITHUB_SHA=sha)
    assert result.returncode == 0, result.stderr
    [call] = shell.calls()
    assert sorted(call[4:]) == ["plans/p1/plan.json", "plans/plan.json", "plans/x/y/plan.json"]


def test_a_plan_path_reaches_targets_exactly_and_stays_one_output_line(shell: Any) -> None:
    before = shell.commit({"README.md": "x\n"}, "earlier")
    odd = "plans/p 1\n::warning::injected/plan.json"
    sha = shell.commit({odd: _plan(["1"])}, "a plan folder with a line break in its name")
    result = shell.run(step_named("apply.yml", LIST_PLANS)["run"], BEFORE=before, GITHUB_SHA=sha)
    assert result.returncode == 0, result.stderr
    assert shell.calls() == [["targets", "--format", "github-matrix", "--plans", odd]]
    assert result.stdout == ""
    # JSON escapes the line break: the matrix is one line of $GITHUB_OUTPUT, the path intact.
    assert json.loads(_outputs(shell)["matrix"])["include"] == [{"plan": odd}]


def _first_parent_check(shell: Any, before: str, sha: str) -> subprocess.CompletedProcess[str]:
    result: subprocess.CompletedProcess[str] = shell.run(
        step_named("apply.yml", FIRST_PARENT)["run"], BEFORE=before, GITHUB_SHA=sha
    )
    return result


NOT_ONE_MERGE = "::error title=Not a single merge on top of the default branch::"


def test_a_merge_whose_first_parent_is_the_previous_head_goes_on(shell: Any) -> None:
    before, sha = _apply_history(shell)
    result = _first_parent_check(shell, before, sha)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    # A single commit pushed on top (a squash merge) has `before` as its first parent too.
    single = shell.commit({"plans/p3/plan.json": _plan(["3"])}, "squashed")
    assert _first_parent_check(shell, sha, single).returncode == 0


def _refused(result: subprocess.CompletedProcess[str], before: str, sha: str) -> None:
    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    assert line.startswith(
        f"{NOT_ONE_MERGE}The push's previous head ({before}) is not the first parent of {sha}"
    )
    assert "Nothing is applied" in line


def test_a_push_of_two_commits_is_refused(shell: Any) -> None:
    # The judge would be `before`, two commits back: the first of the two never went through it.
    before = shell.commit({"README.md": "x\n"}, "earlier")
    shell.commit({"cleaner/applier.py": "judge differently\n"}, "change the judge")
    sha = shell.commit({"plans/p1/plan.json": _plan(["1"])}, "and a plan")
    _refused(_first_parent_check(shell, before, sha), before, sha)


def test_a_push_of_a_merge_whose_first_parent_is_not_the_previous_head_is_refused(shell: Any) -> None:
    # A branch that merged the default branch in, pushed to it: `before` is only the merge's second
    # parent, and the branch's own commits never went through the judge.
    shell.commit({"README.md": "x\n"}, "earlier")
    shell.git("checkout", "-q", "-b", "other")
    shell.commit({"cleaner/applier.py": "judge differently\n"}, "elsewhere")
    shell.git("checkout", "-q", "main")
    before = shell.commit({"plans/p1/plan.json": _plan(["1"])}, "main moves on")
    shell.git("checkout", "-q", "other")
    shell.git("merge", "-q", "--no-ff", "-m", "merge main into other", "main")
    sha = shell.git("rev-parse", "HEAD")
    assert shell.git("rev-parse", f"{sha}^2") == before
    _refused(_first_parent_check(shell, before, sha), before, sha)


def test_a_force_push_is_refused(shell: Any) -> None:
    shell.commit({"README.md": "x\n"}, "earlier")
    shell.git("checkout", "-q", "-b", "rewritten")
    before = shell.commit({"plans/p1/plan.json": _plan(["1"])}, "the old head")
    shell.git("checkout", "-q", "main")
    shell.git("branch", "-q", "-D", "rewritten")
    sha = shell.commit({"plans/p1/plan.json": _plan(["1", "2"])}, "the new head")
    _refused(_first_parent_check(shell, before, sha), before, sha)


def test_a_push_without_a_before_commit_is_refused_rather_than_judged_by_the_merge(shell: Any) -> None:
    # A new branch: GitHub sends forty zeros. The old fallback compared with the first parent, but the
    # judge installed from `before` would then not exist: fail closed.
    _, sha = _apply_history(shell)
    _refused(_first_parent_check(shell, "0" * 40, sha), "0" * 40, sha)
    assert _first_parent_check(shell, "", sha).stdout.startswith(
        f"{NOT_ONE_MERGE}The push's previous head (none)"
    )
    root = shell.git("rev-list", "--max-parents=0", "HEAD")
    assert "(none): several commits" in _first_parent_check(shell, root, root).stdout


def test_the_plans_job_checks_the_first_parent_before_it_installs_anything() -> None:
    names = [step.get("name") for step in jobs("apply.yml")["plans"]["steps"]]
    assert names.index(FIRST_PARENT) < names.index("Install snapstart-cleaner") < names.index(LIST_PLANS)
    check = step_named("apply.yml", FIRST_PARENT)
    assert check["env"] == {"BEFORE": "${{ github.event.before }}"}
    # The apply jobs run only after it passed.
    assert jobs("apply.yml")["apply"]["needs"] == "plans"


@pytest.mark.parametrize("job", ["plans", "apply"])
def test_apply_judges_with_snapstart_cleaner_from_before_the_merge(job: str) -> None:
    # A plan pull request that also edits cleaner/ cannot change the code that judges it: both jobs
    # install from the merge's first parent, checked out apart from the merge.
    job_steps = jobs("apply.yml")[job]["steps"]
    checkouts = [s for s in job_steps if s.get("uses", "").startswith("actions/checkout@")]
    merge, judge = checkouts
    # The merge commit (GITHUB_SHA) gives the plans and [tool.cleaner]; the commands run in it.
    assert "ref" not in merge["with"] and "path" not in merge["with"]
    assert judge["with"] == {"ref": "${{ github.event.before }}", "path": JUDGE, "persist-credentials": False}
    install = next(s for s in job_steps if s.get("name") == "Install snapstart-cleaner")
    assert job_steps.index(judge) < job_steps.index(install)
    # The judge's own copy of the install action, installing the judge with the judge's lock: the merge's
    # copy (./.github/actions/install, or $/ which is the copy at github.sha) could change its judge.
    assert install["uses"] == f"./{JUDGE}/.github/actions/install"
    assert install["with"] == {"source": JUDGE}
    assert not any("working-directory" in s for s in job_steps)
    assert "defaults" not in jobs("apply.yml")[job] and "defaults" not in load("apply.yml")


def test_no_apply_job_installs_snapstart_cleaner_from_the_merge() -> None:
    installs = 0
    for job_name, step in steps("apply.yml"):
        assert "pip" not in step.get("run", ""), job_name  # only through the judge's install action
        uses = step.get("uses", "")
        if not uses or uses.split("@")[0] in NODE_24_RELEASES:
            continue
        installs += 1
        assert uses == f"./{JUDGE}/.github/actions/install", f"{job_name}: {uses}"
        assert step["with"] == {"source": JUDGE}, job_name  # not editable: nothing of the judge's can move
    assert installs == 2  # in both jobs


# --- scan.yml's fan-out scripts -----------------------------------------------------------------------


def test_the_targets_step_passes_the_regions_input_and_publishes_the_matrix_and_run_plan_id(
    shell: Any,
) -> None:
    result = shell.run(step_named("scan.yml", "Targets")["run"], REGIONS="us-east-1, eu-west-1")
    assert result.returncode == 0, result.stderr
    assert shell.calls() == [
        ["targets", "--format", "github-matrix", "--region", "us-east-1", "--region", "eu-west-1"]
    ]
    outputs = _outputs(shell)
    assert json.loads(outputs["matrix"]) == {"include": [{"key": "default"}]}
    assert re.fullmatch(r"[0-9]{8}T[0-9]{6}Z", outputs["plan-id"])


def test_each_scan_job_scans_its_account_under_the_runs_plan_id(shell: Any) -> None:
    result = shell.run(
        step_named("scan.yml", "Scan")["run"],
        ACCOUNT_ID="111111111111", REGIONS="eu-west-1", RUN_PLAN_ID="20261101T120000Z",
        MIN_AGE_DAYS="", KEEP_LAST_N="", LOOKBACK_DAYS="",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert shell.calls() == [
        [
            *("scan", "--format", "json", "--plan-id", "20261101T120000Z"),
            *("--account-id", "111111111111", "--region", "eu-west-1"),
        ]
    ]
    assert (shell.root / "runner-temp" / "scan.exit").read_text(encoding="utf-8") == "0\n"


STATUS_ENV = {
    "KEY": "111111111111",
    "ACCOUNT_ID": "111111111111",
    "ROLE_ARN": "arn:aws:iam::111111111111:role/s",
}


def _status(shell: Any, **env: str) -> dict[str, Any]:
    result = shell.run(step_named("scan.yml", "Scan status")["run"], **{**STATUS_ENV, **env})
    assert result.returncode == 0, result.stderr
    status: dict[str, Any] = json.loads(
        (shell.root / "runner-temp" / "status" / "111111111111.json").read_text(encoding="utf-8")
    )
    return status


def test_a_scan_job_that_could_not_assume_its_role_reports_exit_3(shell: Any) -> None:
    status = _status(shell, CREDENTIALS="failure", JOB_STATUS="failure")
    assert status == {
        "key": "111111111111",
        "account_id": "111111111111",
        "exit_code": 3,
        "message": "could not assume the scan role arn:aws:iam::111111111111:role/s through GitHub OIDC"
        " (see the job log)",
    }


def test_a_failed_scan_reports_its_exit_code_and_last_error_line(shell: Any) -> None:
    temp = shell.root / "runner-temp"
    (temp / "scan.exit").write_text("3\n", encoding="utf-8")
    (temp / "scan.err").write_text("scanning\nerror: lambda:ListFunctions: AccessDenied\n", encoding="utf-8")
    status = _status(shell, CREDENTIALS="success", JOB_STATUS="failure")
    assert (status["exit_code"], status["message"]) == (3, "exit 3: lambda:ListFunctions: AccessDenied")


def test_a_successful_scan_reports_exit_0(shell: Any) -> None:
    (shell.root / "runner-temp" / "scan.exit").write_text("0\n", encoding="utf-8")
    status = _status(shell, CREDENTIALS="success", JOB_STATUS="success")
    assert (status["exit_code"], status["message"]) == (0, "")


def _open_pr_layout(shell: Any, statuses: dict[str, Any], plans: list[str]) -> None:
    temp = shell.root / "runner-temp"
    for plan_id in plans:
        (temp / "artifacts" / f"plan-{plan_id}").mkdir(parents=True)
        (temp / "artifacts" / f"plan-{plan_id}" / "plan.json").write_text(_plan(["1"]), encoding="utf-8")
    (temp / "status").mkdir(exist_ok=True)
    for key, status in statuses.items():
        (temp / "status" / f"{key}.json").write_text(json.dumps(status), encoding="utf-8")


ORG_TARGETS = json.dumps(
    {"include": [{"key": k, "account_id": k} for k in ("111111111111", "222222222222", "333333333333")]}
)


def test_open_pr_proposes_every_downloaded_plan_and_names_each_failed_account(shell: Any) -> None:
    _open_pr_layout(
        shell,
        {
            "111111111111": {"key": "111111111111", "account_id": "111111111111", "exit_code": 0,
                             "message": ""},
            "222222222222": {"key": "222222222222", "account_id": "222222222222", "exit_code": 3,
                             "message": "could not assume the scan role"},
        },
        ["r-111111111111"],
    )  # fmt: skip
    result = shell.run(step_named("scan.yml", "Open or update the pull request")["run"], TARGETS=ORG_TARGETS)
    assert result.returncode == 0, result.stderr
    assert shell.calls() == [
        [
            *("open-pr", "plans/r-111111111111"),
            *("--failed-account", "222222222222=could not assume the scan role"),
            *("--failed-account", "333333333333=its scan job left no status: cancelled, timed out or lost"),
        ]
    ]
    assert (shell.cwd / "plans" / "r-111111111111" / "plan.json").exists()


def test_open_pr_is_not_run_when_no_account_could_be_scanned(shell: Any) -> None:
    _open_pr_layout(shell, {}, [])
    result = shell.run(step_named("scan.yml", "Open or update the pull request")["run"], TARGETS=ORG_TARGETS)
    assert result.returncode == 0, result.stderr
    assert shell.calls() == []
    assert result.stdout.startswith("::warning title=No plan::")


def test_open_prs_failure_fails_the_job(shell: Any) -> None:
    _open_pr_layout(shell, {}, ["r-111111111111"])
    result = shell.run(
        step_named("scan.yml", "Open or update the pull request")["run"],
        TARGETS=ORG_TARGETS,
        FAKE_OPEN_PR_EXIT="3",
    )
    assert result.returncode == 3


def test_a_long_scan_keeps_its_credentials_for_as_long_as_the_job_may_run() -> None:
    # A first scan of a large account is bound by GetPolicy's quota and can run for hours: the job's
    # time limit, the session it asks for and the role's MaxSessionDuration must agree.
    from cleaner.iam_template import SCAN_SESSION_SECONDS, build_template

    job = load("scan.yml")["jobs"]["scan"]
    credentials = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    role = build_template(TemplateOptions(github_repo="acme/infra"))["Resources"]["ScanRole"]["Properties"]

    assert int(credentials["with"]["role-duration-seconds"]) == SCAN_SESSION_SECONDS
    assert role["MaxSessionDuration"] == SCAN_SESSION_SECONDS
    assert job["timeout-minutes"] * 60 <= SCAN_SESSION_SECONDS


# --- keep.yml: /keep comments ------------------------------------------------------------------------


def test_keep_runs_only_for_keep_comments_on_pull_requests() -> None:
    document = load("keep.yml")
    assert document["on"] == {"issue_comment": {"types": ["created"]}}
    job = jobs("keep.yml")["keep"]
    assert job["if"] == (
        "github.event.issue.pull_request && startsWith(github.event.comment.body, '/keep')"
        """ && contains(fromJSON('["OWNER","MEMBER","COLLABORATOR"]'),"""
        " github.event.comment.author_association)"
    )
    # One at a time per pull request: each commits on top of the previous one's head. Every request is
    # carried out: with GitHub's default single pending run, a third comment would cancel the second,
    # which would then never be answered, and the version it asked to keep would stay in the plan.
    assert document["concurrency"] == {
        "group": "snapstart-cleaner-keep-${{ github.event.issue.number }}",
        "cancel-in-progress": False,
        "queue": "max",
    }


def test_keep_starts_only_for_owners_members_and_collaborators() -> None:
    # An outsider's comment never starts a job that holds the App's key. The association is GitHub's,
    # from the event; write access is still checked by keep itself, through the API.
    condition = jobs("keep.yml")["keep"]["if"]
    [listed] = re.findall(
        r"contains\(fromJSON\('(\[.*?\])'\), github\.event\.comment\.author_association\)", condition
    )
    assert set(json.loads(listed)) == {"OWNER", "MEMBER", "COLLABORATOR"}
    assert condition.count(" && ") == 2  # every condition must hold
    for outsider in ("CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "MANNEQUIN", "NONE"):
        assert outsider not in condition


def test_keep_writes_only_with_the_apps_token_of_the_snapstart_pr_environment() -> None:
    job = jobs("keep.yml")["keep"]
    assert load("keep.yml")["permissions"] == {}
    assert job["permissions"] == {"contents": "read"}
    assert job["environment"] == "snapstart-pr"
    token = step_named("keep.yml", "Carry out the keep request")["env"]["GITHUB_TOKEN"]
    assert token == "${{ steps.app-token.outputs.token }}"


def test_keep_checks_out_the_default_branch_and_never_the_pull_requests_code() -> None:
    job = jobs("keep.yml")["keep"]
    checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 1
    # No ref, no repository: issue_comment's checkout is the default branch.
    assert checkouts[0]["with"] == {"persist-credentials": False}
    text = (WORKFLOWS / "keep.yml").read_text(encoding="utf-8")
    for pr_code in ("head_ref", "head.sha", "head.ref", "refs/pull/", "gh pr checkout", "git fetch"):
        assert pr_code not in text, pr_code
    # The runtime lock and the package, both from that checkout (the action's defaults).
    install = step_named("keep.yml", "Install snapstart-cleaner")
    assert install["uses"] == "./.github/actions/install"
    assert "with" not in install


def test_keep_gets_only_the_pr_number_and_comment_id_from_the_event_and_through_env() -> None:
    step = step_named("keep.yml", "Carry out the keep request")
    assert step["env"]["PR_NUMBER"] == "${{ github.event.issue.number }}"
    assert step["env"]["COMMENT_ID"] == "${{ github.event.comment.id }}"
    assert step["run"] == 'snapstart-cleaner keep --pr "$PR_NUMBER" --comment-id "$COMMENT_ID"'
    # The comment's text never reaches a step: keep reads it through the API.
    for _, other in steps("keep.yml"):
        assert "comment.body" not in json.dumps(other), other.get("name")


# --- refresh.yml: the bot re-renders after a person's edit --------------------------------------------


def test_refresh_runs_after_a_passed_plan_check_of_a_pull_request_from_this_repository() -> None:
    # A removal made in GitHub's web editor leaves plan.json's summary and plan.md stale; plan-check's
    # token may not commit, and a commit by it would not be the bot's. The bot's job starts after
    # plan-check, on the default branch, where the snapstart-pr environment lets it read the App's key.
    document = load("refresh.yml")
    assert document["on"] == {
        "workflow_run": {"workflows": [load("plan-check.yml")["name"]], "types": ["completed"]}
    }
    assert document["permissions"] == {}
    job = jobs("refresh.yml")["refresh"]
    assert job["if"] == (
        "github.event.workflow_run.event == 'pull_request'"
        " && github.event.workflow_run.conclusion == 'success'"
        " && github.event.workflow_run.head_repository.full_name == github.repository"
        " && github.event.workflow_run.pull_requests[0] != null"
    )
    assert job["if"].count(" && ") == 3  # every condition must hold
    # One refresh at a time per pull request; a newer push's refresh re-reads everything, so an older
    # one still waiting can go.
    assert document["concurrency"] == {
        "group": "snapstart-cleaner-refresh-${{ github.event.workflow_run.pull_requests[0].number }}",
        "cancel-in-progress": False,
    }


def test_refresh_checks_out_the_default_branch_and_takes_nothing_from_the_pull_requests_run() -> None:
    # The classic workflow_run attack: the privileged run checks out, downloads or runs what the pull
    # request's run produced. This job checks out the default branch (workflow_run's ref) only and
    # downloads no artifact; the plans are read through the API at the head plan-check validated, and
    # refresh-pr checks them again (removals only against the bot's first commit) before committing.
    job = jobs("refresh.yml")["refresh"]
    checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 1
    assert checkouts[0]["with"] == {"persist-credentials": False}
    assert not any("artifact" in s.get("uses", "") for s in job["steps"])
    text = (WORKFLOWS / "refresh.yml").read_text(encoding="utf-8")
    for pr_code in ("head_branch", "head.ref", "refs/pull/", "gh pr checkout", "git fetch", "display_title"):
        assert pr_code not in text, pr_code
    install = step_named("refresh.yml", "Install snapstart-cleaner")
    assert install["uses"] == "./.github/actions/install"
    assert "with" not in install


def test_refresh_gets_only_the_pr_number_and_the_validated_head_from_the_event_and_through_env() -> None:
    from cleaner.cli import build_parser

    step = step_named("refresh.yml", "Re-render the plan files and the description")
    assert step["env"]["PR_NUMBER"] == "${{ github.event.workflow_run.pull_requests[0].number }}"
    assert step["env"]["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    # Every pull request's passed plan-check starts it: any other than the open plan pull request is
    # skipped, green (test_after_every_plan_check_a_pull_request_that_is_not_the_open_plan_pr_is_skipped).
    assert step["run"] == (
        'snapstart-cleaner refresh-pr --pr "$PR_NUMBER" --head-sha "$HEAD_SHA" --files --skip-other-prs'
    )
    argv = shlex.split(step["run"].replace('"$PR_NUMBER"', "7").replace('"$HEAD_SHA"', "0" * 40))
    args = build_parser().parse_args(argv[1:])
    assert (args.pr, args.head_sha, args.files, args.skip_other_prs) == (7, "0" * 40, True, True)
    text = (WORKFLOWS / "refresh.yml").read_text(encoding="utf-8")
    from_event = {e for e in re.findall(r"\$\{\{.*?\}\}", text) if "github.event" in e}
    # Outside the job's `if`: a number and a sha, never a branch name, a title or a commit message.
    assert from_event == {step["env"]["PR_NUMBER"], step["env"]["HEAD_SHA"]}


def test_the_jobs_that_render_the_page_know_what_merging_does() -> None:
    # The description says "Merging deletes N versions" or "Merging is a dry run"; apply deletes only
    # when the variable is 'false', so every job that renders a page reads the same variable.
    renders = {
        ("scan.yml", "Open or update the pull request"),
        ("keep.yml", "Carry out the keep request"),
        ("refresh.yml", "Re-render the plan files and the description"),
        ("plan-check.yml", "Refresh the pull request's description"),
    }
    for workflow, name in renders:
        assert step_named(workflow, name)["env"]["SNAPSTART_DRY_RUN"] == "${{ vars.SNAPSTART_DRY_RUN }}", name
