"""The workflows' hash-locked requirements (.github/requirements.txt, .github/requirements-dev.txt) agree
with pyproject.toml, every locked requirement carries a hash, and every pip install in a workflow goes
through a lock with --require-hashes (or installs the checked-out package with nothing from an index),
also inside the local actions a job uses (.github/actions/install), which come from the checkout they
install. Offline: it reads the files only; .github/lock-requirements regenerates the locks from PyPI."""

from __future__ import annotations

import posixpath
import re
import shlex
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (it comes with moto[server])")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
RUNTIME_LOCK = ".github/requirements.txt"
DEV_LOCK = ".github/requirements-dev.txt"
# The workflows that hold AWS credentials or a write token install only what the product needs.
LOCK_OF = {
    "scan.yml": RUNTIME_LOCK,
    "apply.yml": RUNTIME_LOCK,
    "plan-check.yml": RUNTIME_LOCK,
    "keep.yml": RUNTIME_LOCK,
    "refresh.yml": RUNTIME_LOCK,
    "doctor.yml": RUNTIME_LOCK,
    "ci.yml": DEV_LOCK,
}
# The checkout each workflow installs from: the judge (apply) and the validator (plan-check) come from
# before the change they judge, with the install action of the same checkout.
JUDGE, BASE = ".snapstart-cleaner-judge", ".snapstart-cleaner-base"
CHECKOUT_OF = {name: "." for name in LOCK_OF} | {"apply.yml": JUDGE, "plan-check.yml": BASE}
# Where the locks are used: GitHub's ubuntu-latest runner with the Python setup-python installs.
RUNNER = {
    **default_environment(),
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
}
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Locked:
    version: str
    hashes: tuple[str, ...]


def parse_lock(text: str) -> dict[str, Locked]:
    """name -> pinned version and hashes; a line that is not `name==version --hash=...` raises, so a
    lock cannot smuggle in an index, a URL, a local path or an editable install."""
    locked: dict[str, Locked] = {}
    logical = re.sub(r"\\\n", " ", text)
    for number, line in enumerate(logical.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        requirement_text, _, options = line.partition(" --")
        options = f"--{options}" if options else ""
        if requirement_text.startswith("-") or "@" in requirement_text or "/" in requirement_text:
            raise ValueError(f"line {number}: not a pinned requirement: {line[:80]}")
        requirement = Requirement(requirement_text)
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==" or "*" in specifiers[0].version:
            raise ValueError(f"line {number}: {requirement_text} is not pinned with ==")
        hashes = tuple(HASH.findall(options))
        if HASH.sub("", options).strip():
            raise ValueError(f"line {number}: {requirement.name}: options other than --hash: {options[:80]}")
        name = canonicalize_name(requirement.name)
        if name in locked:
            raise ValueError(f"line {number}: {requirement.name} is locked twice")
        locked[name] = Locked(specifiers[0].version, hashes)
    return locked


def lock_problems(requirements: list[str], lock_text: str, own_name: str = "") -> list[str]:
    """Why the lock does not hold `requirements` (pyproject's strings): each must be pinned to a version
    its specifier allows, and every locked requirement must carry a sha256 hash."""
    try:
        locked = parse_lock(lock_text)
    except ValueError as error:
        return [str(error)]
    problems = [
        f"{name}=={pin.version} has no --hash=sha256:" for name, pin in locked.items() if not pin.hashes
    ]
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name == own_name:  # `snapstart-cleaner[demo]` in the dev extra: the package itself
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(RUNNER):
            continue
        if name not in locked:
            problems.append(f"{text} is not in the lock")
        elif not requirement.specifier.contains(Version(locked[name].version), prereleases=True):
            problems.append(f"{text} is locked at {locked[name].version}, which it does not allow")
    return problems


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def read(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def extra(name: str) -> list[str]:
    """An extra's requirements with its references to other extras of the package expanded."""
    project = pyproject()["project"]
    own = canonicalize_name(project["name"])
    found: list[str] = []
    for text in project["optional-dependencies"][name]:
        requirement = Requirement(text)
        if canonicalize_name(requirement.name) == own:
            for other in sorted(requirement.extras):
                found += extra(other)
        else:
            found.append(text)
    return found


# --- the locks against pyproject.toml --------------------------------------------------------------------


def test_every_runtime_dependency_is_pinned_in_the_lock_to_a_version_its_specifier_allows() -> None:
    assert lock_problems(pyproject()["project"]["dependencies"], read(RUNTIME_LOCK)) == []


def test_the_build_backend_is_locked_so_the_package_installs_without_an_index() -> None:
    # The workflows install the package with --no-build-isolation --no-index: setuptools comes from here.
    requires = pyproject()["build-system"]["requires"]
    assert requires
    assert lock_problems(requires, read(RUNTIME_LOCK)) == []
    assert lock_problems(requires, read(DEV_LOCK)) == []


def test_every_dev_requirement_is_pinned_in_the_dev_lock_to_a_version_its_specifier_allows() -> None:
    project = pyproject()["project"]
    requirements = [*project["dependencies"], *extra("dev")]
    assert any(Requirement(r).name == "moto" for r in requirements)  # the demo extra, through the dev one
    assert lock_problems(requirements, read(DEV_LOCK), canonicalize_name(project["name"])) == []


def test_every_locked_requirement_carries_a_sha256_hash() -> None:
    for path in (RUNTIME_LOCK, DEV_LOCK):
        locked = parse_lock(read(path))
        assert locked, path
        assert all(pin.hashes for pin in locked.values()), path


def test_ci_tests_the_versions_the_scan_and_apply_jobs_run() -> None:
    runtime, dev = parse_lock(read(RUNTIME_LOCK)), parse_lock(read(DEV_LOCK))
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_locks_are_for_the_runner_and_say_how_to_regenerate_them() -> None:
    for path in (RUNTIME_LOCK, DEV_LOCK):
        header = read(path).split("\n\n")[0]
        assert "Python 3.12" in header and "Linux x86_64" in header, path
        assert ".github/lock-requirements" in header, path
    assert (ROOT / ".github" / "lock-requirements").stat().st_mode & 0o111


@pytest.mark.parametrize(
    ("lock", "problem"),
    [
        ("boto3==1.40.0 \\\n    --hash=sha256:" + "a" * 64 + "\n", "PyGithub>=2.3 is not in the lock"),
        ("pygithub>=2.3\n", "not pinned with =="),
        ("pygithub==2.2.0 --hash=sha256:" + "b" * 64 + "\n", "is locked at 2.2.0, which it does not allow"),
        ("pygithub==2.4.0\n", "pygithub==2.4.0 has no --hash=sha256:"),
        ("--index-url https://example.com/simple\n", "not a pinned requirement"),
        ("pygithub @ https://example.com/x.whl\n", "not a pinned requirement"),
        ("pygithub==2.4.0 --hash=sha256:" + "b" * 64 + " --trusted-host x\n", "options other than --hash"),
    ],
)
def test_the_lock_check_catches_a_lock_that_does_not_hold_pyproject(lock: str, problem: str) -> None:
    problems = lock_problems(["boto3>=1.34", "PyGithub>=2.3"], lock)
    assert any(problem in p for p in problems), problems


# --- the workflows install through the locks -------------------------------------------------------------

PIP_INSTALL = re.compile(r"\b(?:pip3?|uv\s+pip|pipx)\s+install\b|\bpip\s+(?:download|wheel)\b|\bpip3?\s+-")
LOCKED_INSTALL = re.compile(r"^python -m pip install --require-hashes -r (?P<path>\S+)$")
PACKAGE_INSTALL = re.compile(
    r"^python -m pip install --no-deps --no-build-isolation --no-index (?:-e )?(?P<path>\S+)$"
)
# Relative to the workspace, after normalising: a checkout is `.` or one directory in it.
CHECKOUT = r"[\w-][\w.-]*|\.[\w-][\w.-]*"
LOCK_PATH = re.compile(rf"^(?:(?P<checkout>{CHECKOUT})/)?(?P<lock>\.github/requirements[\w-]*\.txt)$")
PACKAGE_PATH = re.compile(rf"^(?:\.|{CHECKOUT})$")
# `./.github/actions/<name>` from the job's own checkout, `./<path>/.github/actions/<name>` from one
# checked out at <path>.
LOCAL_ACTION = re.compile(rf"^\./(?:(?P<checkout>{CHECKOUT})/)?(?P<action>\.github/actions/[\w-]+)$")
PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
CHECKOUT_ACTION = "actions/checkout@"
INPUT = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


@dataclass(frozen=True)
class Install:
    """A pip install the checker accepted: the checkout it installs from, and the lock (None: the
    checked-out package itself)."""

    checkout: str
    lock: str | None


def _expand(script: str, env: dict[str, str]) -> str:
    """The script with $NAME and ${NAME} of `env` replaced by their values."""
    for name, value in env.items():
        script = re.sub(rf"\$(?:{name}\b|\{{{name}\}})", lambda _, value=value: value, script)
    return script


def _pip_commands(script: str) -> list[str]:
    """The lines of `script` that run pip, each as the words bash would hand it (quotes removed): a value
    with a space or anything bash would still expand then fails the checks below."""
    joined = re.sub(r"\\\n\s*", " ", script)
    commands = []
    for line in joined.splitlines():
        if PIP_INSTALL.search(line):
            try:
                commands.append(" ".join(shlex.split(line)))
            except ValueError:  # unbalanced quotes
                commands.append(line.strip())
    return commands


def _resolve(value: object, inputs: dict[str, str]) -> str:
    """An action step's env value with its `${{ inputs.<name> }}` replaced (any other expression stays)."""
    return INPUT.sub(lambda m: inputs.get(m[1], m[0]), str(value))


def _classify(command: str) -> Install | str:
    """The install `command` is, or why it is not a hash-locked one."""
    if match := LOCKED_INSTALL.match(command):
        path = posixpath.normpath(match["path"])
        if found := LOCK_PATH.match(path):
            return Install(found["checkout"] or ".", found["lock"])
    elif match := PACKAGE_INSTALL.match(command):
        # A path (`.` or `./<dir>`), never a name pip would look up.
        raw, path = match["path"], posixpath.normpath(match["path"])
        if (raw == "." or raw.startswith("./")) and PACKAGE_PATH.match(path):
            return Install(path, None)
    return f"not a hash-locked install: {command}"


def job_installs(job_steps: list[dict[str, Any]], root: Path = ROOT) -> tuple[list[Install], list[str]]:
    """Every pip install of a job, in order, reading into each local action it uses, and why any is not
    hash-locked. A local action must come from a checkout of this repository the job made before (its
    copy is read from `root`), may use only SHA-pinned actions and no local one, and installs from the
    checkout it comes from; inputs are resolved from the step's `with:` and the action's defaults."""
    installs: list[Install] = []
    problems: list[str] = []
    checked_out: set[str] = set()

    def scripts(step: dict[str, Any], env: dict[str, str], where: str, action_checkout: str | None) -> None:
        commands = _pip_commands(_expand(step.get("run", ""), env))
        if commands and "working-directory" in step:
            problems.append(f"{where}: installs in another working-directory: {step['working-directory']}")
        for command in commands:
            found = _classify(command)
            if isinstance(found, str):
                problems.append(f"{where}: {found}")
                continue
            if action_checkout is not None and found.checkout != action_checkout:
                problems.append(f"{where}: the action from {action_checkout} installs from {found.checkout}")
            installs.append(found)

    for step in job_steps:
        uses = step.get("uses", "")
        if uses.startswith(CHECKOUT_ACTION):
            options = step.get("with", {})
            if "repository" not in options:  # another repository's checkout holds no action of ours
                checked_out.add(posixpath.normpath(options.get("path", ".")))
        elif uses.startswith("./"):
            match = LOCAL_ACTION.match(uses)
            if not match:
                problems.append(f"not a local action under .github/actions: {uses}")
                continue
            checkout = match["checkout"] or "."
            definition_path = root / match["action"] / "action.yml"
            if checkout not in checked_out:
                problems.append(f"uses {uses} before checking out {checkout}")
            if not definition_path.is_file():
                problems.append(f"no such action: {uses}")
                continue
            definition = yaml.safe_load(definition_path.read_text(encoding="utf-8"))
            declared = definition.get("inputs") or {}
            given = {key: str(value) for key, value in (step.get("with") or {}).items()}
            if unknown := set(given) - set(declared):
                problems.append(f"{uses}: inputs it does not declare: {sorted(unknown)}")
            inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()} | given
            runs = definition.get("runs", {})
            if runs.get("using") != "composite":
                problems.append(f"{uses}: not a composite action")
                continue
            for inner in runs.get("steps", []):
                inner_uses = inner.get("uses")
                if inner_uses is not None and not PINNED_USES.match(inner_uses):
                    problems.append(f"{uses}: uses an action not pinned to a commit: {inner_uses}")
                env = {key: _resolve(value, inputs) for key, value in (inner.get("env") or {}).items()}
                scripts(inner, env, f"{uses}: {inner.get('name', inner_uses)}", checkout)
        else:
            scripts(step, {}, str(step.get("name", "a step")), None)
    # The package needs its build backend and dependencies from the lock of the same checkout.
    locked: set[str] = set()
    for install in installs:
        if install.lock is not None:
            locked.add(install.checkout)
        elif install.checkout not in locked:
            problems.append(f"installs the package from {install.checkout} before its locked dependencies")
    return installs, problems


def install_problems(job_steps: list[dict[str, Any]], lock: str, root: Path = ROOT) -> list[str]:
    """Why a job's pip installs are not all hash-locked with `lock`: each is `--require-hashes -r <lock>`
    or the checked-out package with --no-deps --no-build-isolation --no-index after the lock of the same
    checkout (so its build backend and dependencies are the locked ones and nothing comes from an index),
    in the job's own steps or in a local action it uses."""
    installs, problems = job_installs(job_steps, root)
    for install in installs:
        if install.lock is not None and install.lock != lock:
            problems.append(f"installs from {install.lock}, not {lock}")
    return problems


def workflow_jobs(name: str) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))["jobs"]
    return jobs


def test_the_workflows_install_only_from_the_hash_locked_requirements() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == sorted(LOCK_OF)
    locked = 0
    for name, lock in LOCK_OF.items():
        for job_name, job in workflow_jobs(name).items():
            assert install_problems(job.get("steps", []), lock) == [], f"{name}: {job_name}"
            installs, _ = job_installs(job.get("steps", []))
            # Everything from the checkout this workflow installs from, the install action's copy too.
            assert {install.checkout for install in installs} <= {CHECKOUT_OF[name]}, f"{name}: {job_name}"
            locked += sum(install.lock is not None for install in installs)
    assert locked == 10  # targets, scan and open-pr; plan-check; plans and apply; keep; refresh; doctor; ci


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ("python -m pip install .", "not a hash-locked install"),
        ('python -m pip install -e ".[dev]"', "not a hash-locked install"),
        ("pip install -r .github/requirements.txt", "not a hash-locked install"),
        (
            "python -m pip install --require-hashes -r .github/requirements-dev.txt",
            "not .github/requirements.txt",
        ),
        (
            "python -m pip install --no-deps --no-build-isolation --no-index .",
            "before its locked dependencies",
        ),
        (
            "python -m pip install --require-hashes -r .github/requirements.txt\n"
            "python -m pip install --no-deps --no-build-isolation .",
            "not a hash-locked install",
        ),
        (
            "python -m pip install --require-hashes -r .github/requirements.txt\n"
            "python -m pip install --no-deps --no-build-isolation --no-index boto3",
            "not a hash-locked install",
        ),
        (
            "python -m pip install --require-hashes -r ../.github/requirements.txt",
            "not a hash-locked install",
        ),
        ("uv pip install boto3", "not a hash-locked install"),
        ("python -m pip install \\\n  boto3", "not a hash-locked install"),
    ],
)
def test_the_install_check_catches_an_install_that_is_not_hash_locked(script: str, problem: str) -> None:
    problems = install_problems([{"run": script}], RUNTIME_LOCK)
    assert any(problem in p for p in problems), problems


# --- ... and so do the local actions they use --------------------------------------------------------------

CHECKOUT_STEP = {"uses": f"{CHECKOUT_ACTION}{'0' * 40}", "with": {"persist-credentials": False}}
JUDGE_CHECKOUT = {
    "uses": f"{CHECKOUT_ACTION}{'0' * 40}",
    "with": {"path": JUDGE, "persist-credentials": False},
}
INSTALL = "./.github/actions/install"
JUDGES_INSTALL = f"./{JUDGE}/.github/actions/install"


def test_the_install_action_is_read_with_each_jobs_inputs() -> None:
    def installs(*job_steps: dict[str, Any]) -> list[Install]:
        found, problems = job_installs(list(job_steps))
        assert problems == []
        return found

    # Each pip line is read, whichever branch of `editable` runs.
    package = Install(".", None)
    assert installs(CHECKOUT_STEP, {"uses": INSTALL}) == [Install(".", RUNTIME_LOCK), package, package]
    dev = {"uses": INSTALL, "with": {"lock": "requirements-dev.txt", "editable": "true"}}
    assert installs(CHECKOUT_STEP, dev) == [Install(".", DEV_LOCK), package, package]
    judge = {"uses": JUDGES_INSTALL, "with": {"source": JUDGE}}
    judges_package = Install(JUDGE, None)
    assert installs(JUDGE_CHECKOUT, judge) == [Install(JUDGE, RUNTIME_LOCK), judges_package, judges_package]


@pytest.mark.parametrize(
    ("job_steps", "problem"),
    [
        # A runtime workflow that asks the action for the dev lock.
        (
            [CHECKOUT_STEP, {"uses": INSTALL, "with": {"lock": "requirements-dev.txt"}}],
            "not .github/requirements.txt",
        ),
        # Any other file is no lock.
        (
            [CHECKOUT_STEP, {"uses": INSTALL, "with": {"lock": "../../unlocked.txt"}}],
            "not a hash-locked install",
        ),
        # The merge's copy of the action installing the judge: the plan pull request could edit it.
        (
            [CHECKOUT_STEP, JUDGE_CHECKOUT, {"uses": INSTALL, "with": {"source": JUDGE}}],
            f"the action from . installs from {JUDGE}",
        ),
        # The judge's copy installing the merge.
        (
            [CHECKOUT_STEP, JUDGE_CHECKOUT, {"uses": JUDGES_INSTALL}],
            f"the action from {JUDGE} installs from .",
        ),
        # A local action is read from a checkout, which must come first.
        ([{"uses": INSTALL}, CHECKOUT_STEP], "before checking out ."),
        (
            [CHECKOUT_STEP, {"uses": JUDGES_INSTALL, "with": {"source": JUDGE}}],
            f"before checking out {JUDGE}",
        ),
        ([{"uses": INSTALL, "with": {"sourse": "."}}], "inputs it does not declare: ['sourse']"),
        ([CHECKOUT_STEP, {"uses": "./.github/actions/missing"}], "no such action"),
        ([CHECKOUT_STEP, {"uses": "./tools/install"}], "not a local action under .github/actions"),
        # Installing around the action is checked as before.
        (
            [CHECKOUT_STEP, {"uses": INSTALL}, {"run": "python -m pip install boto3"}],
            "not a hash-locked install",
        ),
    ],
)
def test_the_install_check_follows_a_local_action_with_the_jobs_inputs(
    job_steps: list[dict[str, Any]], problem: str
) -> None:
    problems = install_problems(job_steps, RUNTIME_LOCK)
    assert any(problem in p for p in problems), problems


def _action_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A repository root holding the install action with `old` replaced by `new`."""
    text = (ROOT / ".github" / "actions" / "install" / "action.yml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    copy = tmp_path / ".github" / "actions" / "install" / "action.yml"
    copy.parent.mkdir(parents=True)
    copy.write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path


LOCK_LINE = 'python -m pip install --require-hashes -r "$SOURCE/.github/$LOCK"'
SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97"
LOCK_STEP = "    - name: Install the locked dependencies\n"


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        # The package without its locked dependencies (and its build backend) first.
        (LOCK_LINE, "true", "before its locked dependencies"),
        (LOCK_LINE, 'python -m pip install -r "$SOURCE/.github/$LOCK"', "not a hash-locked install"),
        (LOCK_LINE, f"{LOCK_LINE} boto3", "not a hash-locked install"),
        (LOCK_LINE, f"{LOCK_LINE}\n        pip install --upgrade pip", "not a hash-locked install"),
        (LOCK_LINE, LOCK_LINE.replace("$SOURCE", "$GITHUB_WORKSPACE"), "not a hash-locked install"),
        ('--no-index -e "./$SOURCE"', '-e "./$SOURCE"', "not a hash-locked install"),
        # An action step that is not pinned to a commit could be swapped under every job.
        (SETUP_PYTHON, "actions/setup-python@v7", "not pinned to a commit"),
        (SETUP_PYTHON, "actions/setup-python@main", "not pinned to a commit"),
        (SETUP_PYTHON, "./.github/actions/other", "not pinned to a commit"),
        (LOCK_STEP, f"{LOCK_STEP}      working-directory: sub\n", "another working-directory"),
        ("using: composite", "using: node24", "not a composite action"),
    ],
)
def test_the_install_check_catches_an_install_action_that_is_not_hash_locked(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    root = _action_copy(tmp_path, old, new)
    problems = install_problems([CHECKOUT_STEP, {"uses": INSTALL}], RUNTIME_LOCK, root)
    assert any(problem in p for p in problems), problems


def test_the_unmodified_copy_passes_the_install_check(tmp_path: Path) -> None:
    # So that the cases above fail for their change and nothing else.
    root = _action_copy(tmp_path, "using: composite", "using: composite")
    assert install_problems([CHECKOUT_STEP, {"uses": INSTALL}], RUNTIME_LOCK, root) == []
    shutil.rmtree(root / ".github")
    problems = install_problems([CHECKOUT_STEP, {"uses": INSTALL}], RUNTIME_LOCK, root)
    assert any("no such action" in p for p in problems), problems
