"""`apply PLAN_JSON [--dry-run] [--require-approval]`: delete exactly the planned versions, each one
re-verified against live AWS first; write apply-result.json + .md; report on the PR."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from cleaner.applier import Applier
from cleaner.apply_journal import JOURNAL_FILE, JournalFile, JournalHeader, new_run_id, plan_sha256
from cleaner.apply_result import RESULT_JSON, RESULT_MD, ApplyResult, Outcome, count_outcomes
from cleaner.aws.session import AwsContext
from cleaner.cancellation import stop_on_signals
from cleaner.commands.writable import check_appendable_file, check_writable_folder
from cleaner.environment import Environment
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.plan import Plan, load_plan, write_text_atomically
from cleaner.render import render_apply_markdown
from cleaner.settings import ApplyLimits, Settings, repository_scan_settings

# A plan stamped more than this far in the future was not written by a scan of ours.
_CLOCK_SKEW = timedelta(minutes=10)


def check_limits(plan: Plan, plan_path: Path, limits: ApplyLimits, env: Environment) -> None:
    """Refuse a stale plan and a plan over the blast-radius cap (limits never come from the plan)."""
    now = env.clock()
    age = now - plan.created_at
    if age > timedelta(days=limits.plan_max_age_days):
        raise BadInputError(
            f"{plan_path}: the plan is {age.days} days old, older than plan_max_age_days"
            f" ({limits.plan_max_age_days}): live state has moved on; run a new scan"
        )
    if age < -_CLOCK_SKEW:
        raise BadInputError(f"{plan_path}: created_at {plan.created_at.isoformat()} is in the future")
    if len(plan.delete) > limits.max_deletions_per_apply:
        raise BadInputError(
            f"{plan_path}: {len(plan.delete)} deletions exceed max_deletions_per_apply"
            f" ({limits.max_deletions_per_apply}): split the plan (drop entries) or raise the limit in"
            " `[tool.cleaner]`"
        )


def check_outputs(output_dir: Path, option: str, env: Environment) -> None:
    """Everything apply writes after deleting must be writable before the first deletion: a run that
    deletes and then cannot say what it deleted is the worst outcome (issue 8, attack 8)."""
    check_writable_folder(output_dir, option)
    summary_file = env.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        check_appendable_file(Path(summary_file), "GITHUB_STEP_SUMMARY")


def run_apply(args: argparse.Namespace, settings: Settings, env: Environment) -> ExitCode:
    plan_path = Path(args.plan_json)
    plan_path = plan_path if plan_path.is_absolute() else env.cwd / plan_path
    output_dir = Path(args.output) if args.output else plan_path.parent
    output_dir = output_dir if output_dir.is_absolute() else env.cwd / output_dir

    reporter = None
    try:
        check_outputs(output_dir, "--output" if args.output else "the plan's folder", env)
        plan = load_plan(plan_path)
        check_limits(plan, plan_path, settings.apply, env)
        approval_text: str | None = None
        mode_note: str | None = None
        if args.require_approval:
            from cleaner.commands.approval import establish_approval, refusal_markdown

            approval, reporter = establish_approval(plan_path, plan, settings, env, args.dry_run)
            if not approval.ok:
                env.print(f"Apply refused: {approval.reason}. Nothing was deleted.")
                reporter.comment(refusal_markdown(approval), env)
                return ExitCode.FAILURES
            approval_text, mode_note = approval.reason, approval.mode_note
        session = env.aws_session() if env.aws_session else None
        aws = AwsContext(session=session, performance=settings.performance)
        account_id = aws.account_id(plan.regions[0])
        if account_id != plan.account_id:
            raise BadInputError(
                f"{plan_path}: the plan is for account {plan.account_id},"
                f" the credentials are for {account_id}"
            )
        started_at = env.clock()
        journal = JournalFile.open(
            output_dir / JOURNAL_FILE,
            JournalHeader(
                run_id=new_run_id(),
                plan_id=plan.plan_id,
                plan_sha256=plan_sha256(plan_path),
                account_id=account_id,
                started_at=started_at,
                dry_run=args.dry_run,
            ),
            env.clock,
        )
    except BadInputError as error:
        # Bad input under --require-approval is a refusal too: say it on the merged PR.
        if args.require_approval:
            from cleaner.commands.approval import report_refusal

            report_refusal(error.message, env, reporter)
        raise

    # From the first check to the PR comment: a signal stops new deletions, never the reporting.
    with journal, stop_on_signals(env.progress) as stop:
        repository_settings = repository_scan_settings(
            settings.scan, settings.accounts, plan.account_id, plan.regions
        )
        applier = Applier(
            aws=aws,
            plan=plan,
            settings=[plan.settings, repository_settings],
            now=started_at,
            dry_run=args.dry_run,
            progress=env.progress,
            journal=journal,
            stop=stop,
        )
        entries = applier.run()
        deleted = sum(e.outcome is Outcome.DELETED for e in entries)
        rate = round(deleted / applier.delete_seconds, 2) if deleted and applier.delete_seconds else None
        result = ApplyResult(
            plan_id=plan.plan_id,
            plan_path=_display_path(plan_path, env),
            account_id=account_id,
            dry_run=args.dry_run,
            started_at=started_at,
            finished_at=env.clock(),
            approval=approval_text,
            mode_note=mode_note,
            stopped=applier.stopped_by,
            entries=entries,
            counts=count_outcomes(entries),
            verify_seconds=round(applier.verify_seconds, 3),
            delete_seconds=round(applier.delete_seconds, 3),
            deletions_per_second=rate,
        )
        markdown = render_apply_markdown(result, plan)
        write_text_atomically(output_dir / RESULT_JSON, result.model_dump_json(indent=2) + "\n")
        write_text_atomically(output_dir / RESULT_MD, markdown)
        summary_file = env.environ.get("GITHUB_STEP_SUMMARY")
        if summary_file:
            with Path(summary_file).open("a", encoding="utf-8") as summary:
                summary.write(markdown + "\n")
        if reporter is not None:
            reporter.comment(markdown, env)
        print_outcome(result, output_dir, env)
        return ExitCode.FAILURES if result.failed else ExitCode.OK


def _display_path(path: Path, env: Environment) -> str:
    try:
        return str(path.relative_to(env.cwd))
    except ValueError:
        return str(path)


def print_outcome(result: ApplyResult, output_dir: Path, env: Environment) -> None:
    counts = ", ".join(f"{n} {outcome.value}" for outcome, n in result.counts.items()) or "nothing to do"
    env.print(f"Apply{' (dry run)' if result.dry_run else ''} of plan {result.plan_id}: {counts}")
    for entry in result.entries:
        why = f"  [{', '.join(entry.reasons)}]" if entry.reasons else ""
        detail = f"  {entry.message}" if entry.message else ""
        env.print(f"  {entry.outcome.value:<16} {entry.label}{why}{detail}")
    env.print(f"  {output_dir / RESULT_JSON}")
    env.print(f"  {output_dir / RESULT_MD}")
    env.print(f"  {output_dir / JOURNAL_FILE}")
