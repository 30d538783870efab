"""Required status checks that will report: each check a ruleset requires on the default branch must be a
job of a workflow on that branch that runs for every pull request into it. A required check that only
runs for some pull requests (a `paths` filter, `types` without `opened` or `synchronize`, branches that
leave the default branch out) stays pending on all the others, and they can never merge.

A job's check is named by its `name:` (when it is a plain string), else by its id; a matrix job's
checks carry the matrix values after the name, so they never match the bare name."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cleaner.doctor.checks import Check, failed, passed, unreadable
from cleaner.doctor.facts import RepositoryFacts, SourceFile, Unreadable
from cleaner.doctor.rulesets import applying
from cleaner.doctor.workflow_yaml import load
from cleaner.doctor.yaml_scalars import WorkflowYamlError

AREA = "Required status checks"
# GitHub Actions' own app: checks with this integration id (or none) come from workflows.
GITHUB_ACTIONS_APP_ID = 15368
# Without these, a new pull request or a new push gets no run, and the check stays pending.
_NEEDED_TYPES = ("opened", "synchronize")


@dataclass(frozen=True)
class Job:
    workflow: str
    check_name: str | None  # None: the name is an expression, known only when it runs
    matrix: bool
    # Why the workflow does not run for every pull request into the default branch; "" when it does.
    not_every_pull_request: str


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value] if isinstance(value, list) else []


def _pull_request_gap(on: Any, default_branch: str) -> str:
    """Why `on:` does not run the workflow for every pull request into `default_branch` ("" if it does)."""
    if isinstance(on, str | list):
        return "" if "pull_request" in _strings(on) else "not triggered by pull_request"
    if not isinstance(on, Mapping) or "pull_request" not in on:
        return "not triggered by pull_request"
    config = on["pull_request"]
    if config is None or config == "":
        return ""
    if not isinstance(config, Mapping):
        return "its pull_request trigger is not a mapping"
    for key in ("paths", "paths-ignore"):
        if key in config:
            return f"pull_request has a `{key}` filter: it runs only for some pull requests"
    types = _strings(config.get("types"))
    missing = [t for t in _NEEDED_TYPES if "types" in config and t not in types]
    if missing:
        return f"pull_request `types` leaves out {', '.join(missing)}"
    branches, ignored = _strings(config.get("branches")), _strings(config.get("branches-ignore"))
    # GitHub's filter globs: `*` and `**`; fnmatch's `*` is close enough for a branch name like main.
    if "branches" in config and not _branch_listed(branches, default_branch):
        return f"pull_request `branches` leaves out {default_branch}"
    if any(fnmatch.fnmatchcase(default_branch, p.replace("**", "*")) for p in ignored):
        return f"pull_request `branches-ignore` leaves out {default_branch}"
    return ""


def _branch_listed(patterns: list[str], branch: str) -> bool:
    listed = False
    for pattern in patterns:  # a later `!pattern` takes a branch out again
        negated = pattern.startswith("!")
        if fnmatch.fnmatchcase(branch, pattern.lstrip("!").replace("**", "*")):
            listed = not negated
    return listed


def read_jobs(workflow: SourceFile, default_branch: str) -> list[Job]:
    """The jobs of one workflow file; WorkflowYamlError when it cannot be read."""
    document = load(workflow.text)
    if not isinstance(document, Mapping):
        raise WorkflowYamlError(1, "not a mapping")
    gap = _pull_request_gap(document.get("on"), default_branch)
    jobs = document.get("jobs")
    if not isinstance(jobs, Mapping):
        return []
    found = []
    for job_id, job in jobs.items():
        job = job if isinstance(job, Mapping) else {}
        name = job.get("name", job_id)
        literal = isinstance(name, str) and "${{" not in name
        strategy = job.get("strategy")
        matrix = isinstance(strategy, Mapping) and "matrix" in strategy
        found.append(Job(workflow.path, name if literal else None, matrix, gap))
    return found


def status_check_checks(facts: RepositoryFacts) -> list[Check]:
    if isinstance(facts.rulesets, Unreadable):
        return []  # the ruleset lines say so already
    required: dict[str, Any] = {}
    for ruleset in applying(facts.rulesets, facts.default_branch, facts.default_branch):
        rule = ruleset.rule("required_status_checks")
        for check in (rule.parameters.get("required_status_checks") or []) if rule else []:
            if isinstance(check, Mapping) and check.get("context"):
                required.setdefault(str(check["context"]), check.get("integration_id"))
    if not required:
        return []
    if isinstance(facts.workflows, Unreadable):
        return [
            unreadable(AREA, f"`{context}` runs on every pull request", facts.workflows)
            for context in required
        ]
    jobs: list[Job] = []
    broken: list[str] = []
    for workflow in facts.workflows:
        try:
            jobs += read_jobs(workflow, facts.default_branch)
        except WorkflowYamlError as error:
            broken.append(f"{workflow.path} could not be read ({error})")
    return [
        _one(context, integration, jobs, broken, facts.default_branch)
        for context, integration in required.items()
    ]


def _one(context: str, integration: Any, jobs: list[Job], broken: list[str], default_branch: str) -> Check:
    title = f"`{context}` runs on every pull request"
    if integration not in (None, GITHUB_ACTIONS_APP_ID):
        return failed(
            AREA,
            title,
            f"reported by the app with id {integration}, not by a workflow: doctor cannot tell when it runs",
            "make sure that app reports on every pull request, or the pull requests it skips cannot merge",
            advisory=True,
        )
    named = [job for job in jobs if job.check_name == context]
    running = [job for job in named if not job.not_every_pull_request and not job.matrix]
    if running:
        return passed(AREA, title, ", ".join(sorted({job.workflow for job in running})))
    found = [
        f"{job.workflow}: "
        + (
            f"a matrix job: its checks are named `{context} (…)`"
            if job.matrix
            else job.not_every_pull_request
        )
        for job in named
    ]
    detail = "; ".join(found + broken) or f"no job of a workflow on {default_branch} is named `{context}`"
    return failed(
        AREA,
        title,
        detail,
        "trigger that job's workflow with `pull_request` and no `paths`/`paths-ignore` filter (a job with"
        " nothing to do can pass at once), or require a check that always runs: a required check that does"
        " not run leaves every other pull request unmergeable",
    )
