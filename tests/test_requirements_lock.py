"""The workflows' hash-locked requirements (.github/requirements.txt, .github/requirements-dev.txt) agree
with pyproject.toml, every locked requirement carries a hash, and every pip install in a workflow goes
through a lock with --require-hashes (or installs the checked-out package with nothing from an index).
Offline: it reads the files only; .github/lock-requirements regenerates the locks from PyPI."""

from __future__ import annotations

import re
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
    "doctor.yml": RUNTIME_LOCK,
    "ci.yml": DEV_LOCK,
}
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
LOCKED_INSTALL = re.compile(
    r"^python -m pip install --require-hashes"
    r" -r (?P<checkout>(?:\.[\w.-]+/)?)(?P<lock>\.github/requirements[\w-]*\.txt)$"
)
PACKAGE_INSTALL = re.compile(
    r"^python -m pip install --no-deps --no-build-isolation --no-index (?:-e )?(?P<checkout>\.|\./[\w.-]+)$"
)


def install_problems(job_steps: list[dict[str, Any]], lock: str) -> list[str]:
    """Why a job's pip installs are not all hash-locked: each is `--require-hashes -r <lock>` or the
    checked-out package with --no-deps --no-build-isolation --no-index after the lock of the same checkout
    (so its build backend and dependencies are the locked ones and nothing comes from an index)."""
    problems: list[str] = []
    locked_checkouts: set[str] = set()
    for step in job_steps:
        script = re.sub(r"\\\n\s*", " ", step.get("run", ""))
        for line in script.splitlines():
            command = line.strip()
            if not PIP_INSTALL.search(command):
                continue
            if match := LOCKED_INSTALL.match(command):
                if match["lock"] != lock:
                    problems.append(f"installs from {match['lock']}, not {lock}: {command}")
                locked_checkouts.add(match["checkout"].rstrip("/") or ".")
            elif match := PACKAGE_INSTALL.match(command):
                checkout = match["checkout"].removeprefix("./") if match["checkout"] != "." else "."
                if checkout not in locked_checkouts:
                    problems.append(f"installs the package before its locked dependencies: {command}")
            else:
                problems.append(f"not a hash-locked install: {command}")
    return problems


def workflow_jobs(name: str) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))["jobs"]
    return jobs


def test_the_workflows_install_only_from_the_hash_locked_requirements() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == sorted(LOCK_OF)
    installs = 0
    for name, lock in LOCK_OF.items():
        for job_name, job in workflow_jobs(name).items():
            assert install_problems(job.get("steps", []), lock) == [], f"{name}: {job_name}"
            installs += sum("--require-hashes" in step.get("run", "") for step in job.get("steps", []))
    assert installs == 9  # targets, scan and open-pr; plan-check; plans and apply; keep; doctor; ci


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
        ("uv pip install boto3", "not a hash-locked install"),
        ("python -m pip install \\\n  boto3", "not a hash-locked install"),
    ],
)
def test_the_install_check_catches_an_install_that_is_not_hash_locked(script: str, problem: str) -> None:
    problems = install_problems([{"run": script}], RUNTIME_LOCK)
    assert any(problem in p for p in problems), problems
