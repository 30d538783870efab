"""The command line: a thin layer that parses flags, calls one use case, prints, and maps errors to
exit codes. `program(argv, env)` is the whole program as a function of its environment, for tests."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from cleaner.exit_codes import BadInputError, CleanerError, ExitCode
from cleaner.settings import Settings, load_settings


@dataclass
class Environment:
    """Everything a command reads from the world: streams, working directory, variables and clock."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    cwd: Path = field(default_factory=Path.cwd)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] = field(default_factory=lambda: lambda: datetime.now(UTC))
    # Builds the boto3 session; tests and the demo inject their own.
    aws_session: Callable[[], Any] | None = None

    def print(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def progress(self, text: str) -> None:
        print(text, file=self.stderr, flush=True)


def parse_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as error:
        raise BadInputError(
            f"--now {value!r}: not an ISO 8601 instant (e.g. 2026-01-31T00:00:00Z)"
        ) from error
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _resolve(env: Environment, path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else env.cwd / candidate


def repository_settings(args: argparse.Namespace, env: Environment) -> Settings:
    """`[tool.cleaner]` of --config, or of ./pyproject.toml (defaults when there is none)."""
    config = _resolve(env, args.config) if args.config else env.cwd / "pyproject.toml"
    if args.config and not config.exists():
        raise BadInputError(f"--config {args.config}: no such file")
    return load_settings(config)


def load_effective_settings(args: argparse.Namespace, env: Environment) -> Settings:
    settings = repository_settings(args, env)
    return settings.with_overrides(
        regions=args.region or None,
        min_age_days=args.min_age_days,
        keep_last_n=args.keep_last_n,
        lookback_days=args.lookback_days,
        include=args.include or None,
        exclude=args.exclude or None,
        plans_dir=args.plans_dir,
    )


# --- commands ----------------------------------------------------------------------------------------


def cmd_scan(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.scan import run_scan

    return run_scan(args, env)


def cmd_render(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.plan_files import run_render

    return run_render(_resolve(env, args.plan_json), env)


def cmd_validate(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.plan_files import run_validate

    against = _resolve(env, args.against) if args.against else None
    return run_validate(_resolve(env, args.plan_json), against, args.format, env)


def cmd_iam_template(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.iam import run_iam_template

    return run_iam_template(args, env)


def cmd_apply(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.apply import run_apply

    settings = repository_settings(args, env).with_overrides(
        plan_max_age_days=args.plan_max_age_days,
        max_deletions_per_apply=args.max_deletions,
        required_approvals=args.required_approvals,
    )
    return run_apply(args, settings, env)


def cmd_open_pr(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.open_pr import run_open_pr

    plan_dirs = [_resolve(env, p) for p in args.plan_dir]
    settings = repository_settings(args, env)
    return run_open_pr(plan_dirs, settings, args.format, env, failed=args.failed_account)


def cmd_targets(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.targets import run_targets

    plans = [_resolve(env, p) for p in args.plans] if args.plans is not None else None
    settings = repository_settings(args, env).with_overrides(regions=args.region or None)
    regions = settings.scan.regions if args.region else []
    return run_targets(settings, plans, regions, args.format, env)


def cmd_demo(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.demo import run_demo

    return run_demo(_resolve(env, args.output), env)


def _add_scan_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", action="append", metavar="R", help="region to scan (repeatable)")
    parser.add_argument(
        "--min-age-days", type=int, metavar="N", help="keep versions younger than N days (14)"
    )
    parser.add_argument("--keep-last-n", type=int, metavar="N", help="keep the newest N versions (3)")
    parser.add_argument("--lookback-days", type=int, metavar="N", help="usage window (default: min-age-days)")
    parser.add_argument("--include", action="append", metavar="GLOB", help="only these function names")
    parser.add_argument("--exclude", action="append", metavar="GLOB", help="never these function names")
    parser.add_argument("--plans-dir", metavar="DIR", help="where plans are written (plans)")
    parser.add_argument("--plan-id", metavar="ID", help="plan id (default: the scan's UTC time)")
    parser.add_argument("--now", metavar="ISO8601", help="evaluate as of this instant (reproducible plans)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="summary format")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snapstart-cleaner",
        description="Find Lambda SnapStart versions that bill for nothing; delete them in a reviewed PR.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PYPROJECT", help="settings file (default: ./pyproject.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = commands.add_parser(
        "scan", parents=[common], help="scan AWS and write plans/<plan-id>/plan.json + plan.md"
    )
    _add_scan_options(scan)
    scan.add_argument("--account-id", metavar="ID", help="scan this account of [[tool.cleaner.accounts]]")
    scan.set_defaults(handler=cmd_scan)

    render = commands.add_parser(
        "render", parents=[common], help="re-render plan.md (and the summary) from an edited plan.json"
    )
    render.add_argument("plan_json", metavar="PLAN_JSON")
    render.set_defaults(handler=cmd_render)

    validate = commands.add_parser(
        "validate", parents=[common], help="check schema, Markdown sync and removals-only edits"
    )
    validate.add_argument("plan_json", metavar="PLAN_JSON")
    validate.add_argument("--against", metavar="ORIGINAL_JSON", help="the plan as the scanner proposed it")
    validate.add_argument("--format", choices=("text", "json", "github"), default="text")
    validate.set_defaults(handler=cmd_validate)

    open_pr = commands.add_parser(
        "open-pr", parents=[common], help="open or update the plan pull request (GitHub REST API)"
    )
    open_pr.add_argument("plan_dir", nargs="+", metavar="PLAN_DIR", help="plan folders (one per account)")
    open_pr.add_argument(
        "--failed-account", action="append", default=[], metavar="ID=MESSAGE", help="an account not scanned"
    )
    open_pr.add_argument("--format", choices=("text", "json"), default="text")
    open_pr.set_defaults(handler=cmd_open_pr)

    apply = commands.add_parser(
        "apply", parents=[common], help="re-verify and delete exactly the versions in a merged plan"
    )
    apply.add_argument("plan_json", metavar="PLAN_JSON")
    apply.add_argument("--dry-run", action="store_true", help="run every check, delete nothing")
    apply.add_argument(
        "--require-approval",
        action="store_true",
        help="refuse unless the plan arrived through a merged, approved PR (GitHub API; set by apply.yml)",
    )
    apply.add_argument("--output", metavar="DIR", help="result folder (default: the plan's)")
    apply.add_argument("--plan-max-age-days", type=int, metavar="N", help="refuse older plans (14)")
    apply.add_argument("--max-deletions", type=int, metavar="N", help="refuse larger plans (500)")
    apply.add_argument("--required-approvals", type=int, metavar="N", help="approving reviews needed (1)")
    apply.set_defaults(handler=cmd_apply)

    targets = commands.add_parser(
        "targets", parents=[common], help="the scan (or apply) work list from [[tool.cleaner.accounts]]"
    )
    targets.add_argument("--plans", nargs="+", metavar="PLAN_JSON", help="apply: one entry per plan")
    targets.add_argument("--region", action="append", metavar="R", help="scan these regions in every account")
    targets.add_argument("--format", choices=("github-matrix", "json", "text"), default="github-matrix")
    targets.set_defaults(handler=cmd_targets)

    demo = commands.add_parser(
        "demo", parents=[common], help="the whole loop on a simulated AWS account (no AWS needed)"
    )
    demo.add_argument(
        "--output", default="demo-output", metavar="DIR", help="where the demo writes (demo-output)"
    )
    demo.set_defaults(handler=cmd_demo)

    iam = commands.add_parser(
        "iam-template", help="print a CloudFormation template: GitHub OIDC provider, scan role, apply role"
    )
    iam.add_argument("--github-repo", required=True, metavar="OWNER/NAME", help="the repository to trust")
    provider = iam.add_mutually_exclusive_group()
    provider.add_argument(
        "--create-oidc-provider", action="store_true", help="create the GitHub OIDC provider too"
    )
    provider.add_argument(
        "--oidc-provider-arn", metavar="ARN", help="an existing provider (default: the account's own)"
    )
    iam.add_argument("--function-prefix", metavar="PREFIX", help="apply may delete only PREFIX* functions")
    iam.add_argument(
        "--environment", default="snapstart-cleanup", metavar="ENV", help="the apply job's environment"
    )
    iam.add_argument("--default-branch", default="main", metavar="BRANCH", help="the branch scans run on")
    iam.add_argument(
        "--oidc-subject",
        choices=("job-workflow-ref", "default"),
        default="job-workflow-ref",
        help="the repository's OIDC subject template: job-workflow-ref (repo, context, job_workflow_ref:"
        " each role trusts exactly its workflow file on BRANCH; set the repository first) or default"
        " (GitHub's own: the apply role trusts the environment, and its branch rule protects it)",
    )
    iam.add_argument(
        "--stackset",
        action="store_true",
        help="for a service-managed StackSet: fixed role names, OIDC provider per account by parameter",
    )
    iam.set_defaults(handler=cmd_iam_template)
    return parser


def program(argv: Sequence[str], env: Environment) -> ExitCode:
    parser = build_parser()
    try:
        # argparse writes usage errors and --help to sys.stderr/sys.stdout: send them to env's streams.
        with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
            args = parser.parse_args(list(argv))
    except SystemExit as exit_:
        # argparse exits 2 on usage errors (the contract's "bad input") and 0 for --help.
        return ExitCode.OK if exit_.code in (0, None) else ExitCode.BAD_INPUT
    try:
        handler: Callable[[argparse.Namespace, Environment], ExitCode] = args.handler
        return handler(args, env)
    except CleanerError as error:
        print(f"error: {error.message}", file=env.stderr)
        return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    return int(program(sys.argv[1:] if argv is None else argv, Environment()))
