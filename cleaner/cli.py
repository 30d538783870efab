"""The command line: a thin layer that parses flags, calls one use case, prints, and maps errors to
exit codes. `program(argv, env)` is the whole program as a function of its environment, for tests.

What the commands share (the environment, settings from flags, `--now`) is in `cleaner.environment`;
the command modules import it from there, never from here."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence

from cleaner.environment import Environment, load_apply_settings, repository_settings, resolve_path
from cleaner.exit_codes import CleanerError, ExitCode
from cleaner.help import document, version_text
from cleaner.sandbox.cli import add_sandbox_parser

# Tests and older callers import these from here.
__all__ = ["Environment", "build_parser", "main", "program"]


# --- commands ----------------------------------------------------------------------------------------


def cmd_scan(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.scan import run_scan

    return run_scan(args, env)


def cmd_render(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.plan_files import run_render

    against = resolve_path(env, args.against) if args.against else None
    return run_render(resolve_path(env, args.plan_json), against, env)


def cmd_validate(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.plan_files import run_validate

    against = resolve_path(env, args.against) if args.against else None
    return run_validate(resolve_path(env, args.plan_json), against, args.format, env)


def cmd_iam_template(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.iam import run_iam_template

    return run_iam_template(args, env)


def cmd_apply(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.apply import run_apply

    return run_apply(args, load_apply_settings(args, env), env)


def cmd_open_pr(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.open_pr import run_open_pr

    plan_dirs = [resolve_path(env, p) for p in args.plan_dir]
    settings = repository_settings(args, env)
    return run_open_pr(plan_dirs, settings, args.format, env, failed=args.failed_account)


def cmd_keep(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.keep import run_keep

    return run_keep(args.pr, args.comment_id, repository_settings(args, env), env)


def cmd_refresh_pr(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.refresh import run_refresh

    return run_refresh(
        args.pr, args.head_sha, repository_settings(args, env), env, args.files, args.skip_other_prs
    )


def cmd_targets(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.targets import run_targets

    plans = [resolve_path(env, p) for p in args.plans] if args.plans is not None else None
    settings = repository_settings(args, env).with_overrides(regions=args.region or None)
    regions = settings.scan.regions if args.region else []
    return run_targets(settings, plans, regions, args.format, env)


def cmd_doctor(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.commands.doctor import run_doctor

    return run_doctor(args, env)


def cmd_demo(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.demo import run_demo

    return run_demo(resolve_path(env, args.output), env, program)


_PLAN_JSON_HELP = "the plan file (plans/<plan-id>/plan.json); plan.md is read and written beside it"


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
    parser.add_argument("--version", action="version", version=version_text())
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PYPROJECT", help="settings file (default: ./pyproject.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = commands.add_parser(
        "scan", parents=[common], help="scan AWS and write plans/<plan-id>/plan.json + plan.md"
    )
    _add_scan_options(scan)
    scan.add_argument("--account-id", metavar="ID", help="scan this account of [[tool.cleaner.accounts]]")
    scan.add_argument(
        "--replace",
        action="store_true",
        help="scan into a plan folder that already holds a plan (its apply results and journal go too)",
    )
    scan.set_defaults(handler=cmd_scan)

    render = commands.add_parser(
        "render", help="re-render plan.md (and the summary) from an edited plan.json"
    )
    render.add_argument("plan_json", metavar="PLAN_JSON", help=_PLAN_JSON_HELP)
    render.add_argument(
        "--against",
        metavar="ORIGINAL_JSON",
        help="the plan as the scanner proposed it: plan.md then lists what review dropped",
    )
    render.set_defaults(handler=cmd_render)

    validate = commands.add_parser("validate", help="check schema, Markdown sync and removals-only edits")
    validate.add_argument(
        "plan_json",
        metavar="PLAN_JSON",
        help="the plan file (plans/<plan-id>/plan.json); plan.md beside it is checked, never written",
    )
    validate.add_argument("--against", metavar="ORIGINAL_JSON", help="the plan as the scanner proposed it")
    validate.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text (file:line: message), json (one object) or github (::error annotations) (text)",
    )
    validate.set_defaults(handler=cmd_validate)

    open_pr = commands.add_parser(
        "open-pr", parents=[common], help="open or update the plan pull request (GitHub REST API)"
    )
    open_pr.add_argument(
        "plan_dir", nargs="+", metavar="PLAN_DIR", help="plan folders (plans/<plan-id>), one per account"
    )
    open_pr.add_argument(
        "--failed-account",
        action="append",
        default=[],
        metavar="ID=MESSAGE",
        help="an account whose scan failed, named in the PR with why (repeatable)",
    )
    open_pr.add_argument(
        "--format", choices=("text", "json"), default="text", help="what was done, as text or JSON (text)"
    )
    open_pr.set_defaults(handler=cmd_open_pr)

    keep = commands.add_parser(
        "keep",
        parents=[common],
        help="carry out a `/keep FN:V ...` comment: drop those versions from the plan PR (GitHub REST API)",
    )
    keep.add_argument("--pr", type=int, required=True, metavar="N", help="the plan pull request's number")
    keep.add_argument(
        "--comment-id", type=int, required=True, metavar="ID", help="the id of the `/keep` comment on it"
    )
    keep.set_defaults(handler=cmd_keep)

    refresh = commands.add_parser(
        "refresh-pr",
        parents=[common],
        help="re-render the plan pull request's title and description from the plans on its branch"
        " (GitHub REST API; plan-check runs it after a person's push)",
    )
    refresh.add_argument("--pr", type=int, required=True, metavar="N", help="the plan pull request's number")
    refresh.add_argument(
        "--head-sha",
        metavar="SHA",
        help="describe the plans at this commit, and write nothing once the branch has moved on from it"
        " (default: the pull request's head)",
    )
    refresh.add_argument(
        "--files",
        action="store_true",
        help="also commit, as the bot (the GitHub App's token), plan.json's summary and plan.md re-rendered"
        " when a person's edit (a removal in GitHub's web editor) left them stale",
    )
    refresh.add_argument(
        "--skip-other-prs",
        action="store_true",
        help="exit 0, writing nothing, when the pull request is closed or not the plan pull request (for"
        " refresh.yml, which runs after every pull request's plan-check); without it that is bad input (2)",
    )
    refresh.set_defaults(handler=cmd_refresh_pr)

    apply = commands.add_parser(
        "apply", parents=[common], help="re-verify and delete exactly the versions in a merged plan"
    )
    apply.add_argument("plan_json", metavar="PLAN_JSON", help="the merged plan (plans/<plan-id>/plan.json)")
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
    targets.add_argument(
        "--format",
        choices=("github-matrix", "json", "text"),
        default="github-matrix",
        help="one JSON line for fromJSON (github-matrix, the default), JSON, or text",
    )
    targets.set_defaults(handler=cmd_targets)

    doctor = commands.add_parser(
        "doctor",
        parents=[common],
        help="check every setting the security model rests on (GitHub API; AWS with --aws): a checklist",
    )
    doctor.add_argument(
        "--aws", action="store_true", help="also read the scan and apply roles' trust policies (iam:GetRole)"
    )
    doctor.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text, json (one object) or github (Markdown for $GITHUB_STEP_SUMMARY) (text)",
    )
    doctor.add_argument(
        "--allow-unreadable",
        action="store_true",
        help="exit 0 when every setting this token could read holds (a workflow's token cannot read the"
        " admin-only ones; they stay ✗ in the checklist)",
    )
    doctor.set_defaults(handler=cmd_doctor)

    demo = commands.add_parser("demo", help="the whole loop on a simulated AWS account (no AWS needed)")
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
        "--subject-prefix",
        metavar="PREFIX",
        help="where both roles' OIDC subjects start: the repository's sub_claim_prefix, as `gh api"
        " repos/OWNER/NAME/actions/oidc/customization/sub --jq .sub_claim_prefix` prints it;"
        " repo:OWNER/NAME (the default) or, with GitHub's immutable subjects, repo:OWNER@ID/NAME@ID",
    )
    iam.add_argument(
        "--stackset",
        action="store_true",
        help="for a service-managed StackSet: fixed role names, OIDC provider per account by parameter",
    )
    iam.set_defaults(handler=cmd_iam_template)

    add_sandbox_parser(commands)
    document(parser)
    return parser


def program(argv: Sequence[str], env: Environment) -> ExitCode:
    parser = build_parser()
    try:
        # argparse writes usage errors and --help to sys.stderr/sys.stdout: send them to env's streams.
        with contextlib.redirect_stdout(env.stdout), contextlib.redirect_stderr(env.stderr):
            args, unknown = parser.parse_known_args(list(argv))
            if unknown:
                # Said with the usage of the command they were given to, not the top level's.
                command_parser: argparse.ArgumentParser = getattr(args, "command_parser", parser)
                command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
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
