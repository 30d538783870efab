"""`scan`: scan AWS, write plans/<plan-id>/plan.json + plan.md, print a summary."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from cleaner.accounts import find_account, plan_suffix
from cleaner.apply_journal import JOURNAL_FILE
from cleaner.apply_result import RESULT_JSON, RESULT_MD
from cleaner.aws.session import AwsContext
from cleaner.commands.merged_plans import merged_plan_history
from cleaner.commands.writable import check_writable_folder
from cleaner.environment import Environment, load_effective_settings, parse_instant
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.plan import PLAN_JSON, PLAN_MD, Plan, default_plan_id, validate_plan_id, write_plan_files
from cleaner.render import render_plan_markdown_chunks
from cleaner.scan import scan
from cleaner.settings import Settings, account_scan_settings


def run_scan(args: argparse.Namespace, env: Environment) -> ExitCode:
    settings = load_effective_settings(args, env)
    now = parse_instant(args.now) if args.now else env.clock()
    plan_id = validate_plan_id(args.plan_id) if args.plan_id is not None else default_plan_id(now)
    account_id = args.account_id or ""
    if account_id:
        settings, plan_id = for_account(settings, account_id, args.region, plan_id)
    plan_dir = env.cwd / settings.plans_dir / plan_id
    # Before the scan, not after it: a long scan must not end in a plan that cannot be written. A scan
    # that fails leaves no folder behind, so nothing is created yet.
    check_writable_folder(plan_dir, "--plans-dir" if args.plans_dir else "plans_dir", create=False)
    check_not_overwriting(plan_dir, replace=args.replace)
    session = env.aws_session() if env.aws_session else None
    aws = AwsContext(session=session, performance=settings.performance)
    if account_id:
        check_credentials_account(aws, settings.scan.regions, account_id)
    # Capped by the scan, so the plan.json the scan workflow uploads as apply's provenance is the capped
    # one (and the scan stops reading state and policy once the plan is full).
    history = None
    if settings.scan.cost_explorer:
        history = merged_plan_history(env.cwd, env.cwd / settings.plans_dir)
    plan = scan(aws, settings.scan, now, plan_id, env.progress, limits=settings.apply, history=history)
    for stale in stale_results(plan_dir):
        stale.unlink()
        env.progress(f"removed {stale}: it belonged to the plan this scan replaces")
    json_path, md_path = write_plan_files(plan_dir, plan, render_plan_markdown_chunks(plan))
    print_summary(plan, str(json_path), str(md_path), args.format, env)
    return ExitCode.OK


# What an apply leaves beside a plan: it describes that plan, never the one a new scan writes there.
APPLY_OUTPUTS = (RESULT_JSON, RESULT_MD, JOURNAL_FILE)


def check_not_overwriting(plan_dir: Path, *, replace: bool) -> None:
    """A plan folder that holds a plan is never overwritten without --replace: its plan.json may have
    been reviewed, edited or applied."""
    existing = [name for name in (PLAN_JSON, PLAN_MD, *APPLY_OUTPUTS) if (plan_dir / name).exists()]
    if existing and not replace:
        raise BadInputError(
            f"{plan_dir} already holds {', '.join(existing)}: a scan never overwrites a plan (it may have"
            " been reviewed or applied). Choose another --plan-id, or pass --replace to scan into it again"
            " (its apply results and journal are removed with it)"
        )


def stale_results(plan_dir: Path) -> list[Path]:
    return [plan_dir / name for name in APPLY_OUTPUTS if (plan_dir / name).exists()]


def for_account(
    settings: Settings, account_id: str, flag_regions: list[str] | None, plan_id: str
) -> tuple[Settings, str]:
    """The settings and plan id of one account's scan: `plans/<plan-id>-<account-id>/`. Without
    `[[tool.cleaner.accounts]]` the id only names the plan and is checked against the credentials."""
    if not settings.accounts:
        if not re.fullmatch(r"[0-9]{12}", account_id):
            raise BadInputError(f"--account-id {account_id!r}: not a 12-digit AWS account id")
        return settings, validate_plan_id(plan_id + plan_suffix(account_id, False, []))
    account = find_account(settings.accounts, account_id, "--account-id")
    scan_settings = account_scan_settings(settings.scan, account, flag_regions)
    suffix = plan_suffix(account.id, account.split_regions, scan_settings.regions)
    return settings.model_copy(update={"scan": scan_settings}), validate_plan_id(plan_id + suffix)


def check_credentials_account(aws: AwsContext, regions: list[str], account_id: str) -> None:
    """A scan job whose credentials are for another account must not write that account's plan."""
    region = regions[0] if regions else aws.default_region or "us-east-1"
    actual = aws.account_id(region)
    if actual != account_id:
        raise BadInputError(f"--account-id {account_id}: the credentials are for account {actual}")


def print_summary(plan: Plan, json_path: str, md_path: str, output_format: str, env: Environment) -> None:
    if output_format == "json":
        env.print(
            json.dumps(
                {
                    "plan_id": plan.plan_id,
                    "plan_json": json_path,
                    "plan_md": md_path,
                    "summary": plan.summary.model_dump(mode="json"),
                    "warnings": plan.warnings,
                },
                indent=2,
            )
        )
        return
    s = plan.summary
    env.print(
        f"Plan {plan.plan_id}: {s.delete_count} SnapStart versions to delete in {s.functions_with_deletions}"
        f" functions, estimated savings ${s.estimated_monthly_savings_usd:,.2f}/month; {s.keep_count} kept."
    )
    for reason, count in s.keep_reasons.items():
        env.print(f"  kept {count:>5}  {reason.value}")
    env.print(f"  {json_path}")
    env.print(f"  {md_path}")
    for warning in plan.warnings:
        env.print(f"warning: {warning}")
