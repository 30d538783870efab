"""`open-pr PLAN_DIR...`: open, replace, comment on or close the plan pull request (GitHub REST API) for
one plan, or for the plans of one scan run (one per account, failed accounts named)."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

from cleaner.environment import Environment, merge_is_dry_run
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.github.client import open_repository
from cleaner.github.plan_pr import FailedAccount, PlanFiles, PlanSet, publish_plan
from cleaner.plan import PLAN_JSON, PLAN_MD, load_plan
from cleaner.settings import Settings
from cleaner.validate import check_derived


def read_plan_files(plan_dir: Path, plans_dir: str) -> PlanFiles:
    """The plan and its rendering as they will be committed, refused unless plan.md is in sync."""
    if plan_dir.is_file() and plan_dir.name == PLAN_JSON:
        plan_dir = plan_dir.parent
    json_path, md_path = plan_dir / PLAN_JSON, plan_dir / PLAN_MD
    plan = load_plan(json_path)
    try:
        markdown = md_path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise BadInputError(f"{md_path}: missing: run `snapstart-cleaner render {json_path}`") from error
    findings = check_derived(plan, markdown)
    if findings:
        problems = "; ".join(f"{finding.file}: {finding.message}" for finding in findings)
        raise BadInputError(f"{plan_dir}: {problems}")
    repo_dir = PurePosixPath(plans_dir.replace("\\", "/"))
    if repo_dir.is_absolute() or ".." in repo_dir.parts:
        raise BadInputError(f"plans_dir {plans_dir!r}: must be a folder inside the repository (e.g. plans)")
    return PlanFiles(
        plan=plan,
        plan_json=json_path.read_text(encoding="utf-8"),
        plan_md=markdown,
        repo_dir=str(repo_dir / plan.plan_id),
    )


def run_open_pr(
    plan_dirs: list[Path],
    settings: Settings,
    output_format: str,
    env: Environment,
    failed: list[str] | None = None,
) -> ExitCode:
    plans = PlanSet(
        [read_plan_files(plan_dir, settings.plans_dir) for plan_dir in plan_dirs],
        [FailedAccount.parse(text) for text in failed or []],
        {account.id: account.name for account in settings.accounts if account.name},
        dry_run=merge_is_dry_run(env.environ),
    )
    repo = open_repository(env.environ)
    result = publish_plan(repo, plans, settings.github, env.progress)
    for warning in result.warnings:
        env.progress(f"warning: {warning}")
    if output_format == "json":
        env.print(json.dumps(result.model_dump(mode="json"), indent=2))
    elif result.number is None:
        env.print(f"plan {result.plan_id}: {result.message}")
    else:
        env.print(f"plan {result.plan_id}: {result.action.value} PR #{result.number}: {result.message}")
        env.print(f"  {result.url}")
    return ExitCode.OK
