"""What each command's `--help` says beyond its flags: one line on what it does, its exit codes and the
environment variables it reads. Kept next to each other here so a command's help is one place to read
and the test can hold every command to it."""

from __future__ import annotations

import argparse
from importlib import metadata

from cleaner import __version__

_AWS = (
    "AWS credentials and region: boto3's default chain (AWS_PROFILE, AWS_ACCESS_KEY_ID,\n"
    "  AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_DEFAULT_REGION or AWS_REGION, ...)",
    "AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_LAMBDA etc.): send AWS calls to a local endpoint, e.g. the\n"
    "  one `snapstart-cleaner sandbox` prints",
)
_GITHUB = (
    "GITHUB_TOKEN, GITHUB_REPOSITORY (OWNER/NAME): the repository and the token that writes to it",
    "GITHUB_API_URL: the API of GitHub Enterprise Server (default https://api.github.com)",
    "SNAPSTART_CLEANER_GITHUB_FAST=1: no client-side throttling or retries (tests against a local fake)",
)

# name: (one-line description, {exit code: meaning}, environment variables read)
COMMANDS: dict[str, tuple[str, dict[int, str], tuple[str, ...]]] = {
    "scan": (
        "Scan AWS for SnapStart versions that bill for nothing; write plans/<plan-id>/plan.json and\n"
        "plan.md and print a summary. Read-only: nothing in AWS changes.",
        {
            0: "the plan was written (it may propose nothing)",
            2: "bad flag, settings file or plans folder (named)",
            3: "an AWS call failed (the call and the permission are named)",
        },
        _AWS,
    ),
    "render": (
        "Re-render plan.md and the plan's summary from a plan.json a reviewer edited.",
        {0: "rendered", 2: "the plan is unreadable or invalid (file, line and field named)"},
        (),
    ),
    "validate": (
        "Check a plan: schema, plan.md in sync, and (with --against) that the edit only removed entries.",
        {
            0: "valid",
            1: "findings (each with file and line)",
            2: "a plan is unreadable or invalid (file, line and field named)",
        },
        (),
    ),
    "targets": (
        "The scan (or, with --plans, the apply) work list from [[tool.cleaner.accounts]], as a GitHub\n"
        "Actions matrix: one entry per account (or account and region), or per plan with its apply role.",
        {
            0: "the work list is printed",
            2: "bad settings, a plan that cannot be read, or a plan whose account is not listed",
        },
        (
            "SNAPSTART_SCAN_ROLE_ARN, SNAPSTART_APPLY_ROLE_ARN: the one account's roles when no"
            " [[tool.cleaner.accounts]] are listed; SNAPSTART_AWS_REGION: the region scanned (and where"
            " STS is called) when neither --region nor [tool.cleaner] regions name one",
        ),
    ),
    "open-pr": (
        "Open, update, comment on or close the one plan pull request (one or several accounts' plans),\n"
        "through GitHub's REST API.",
        {
            0: "done (what was done is printed)",
            2: "bad plan folder, plan.md out of sync, bad settings or missing variables",
            3: "a GitHub call failed",
        },
        _GITHUB,
    ),
    "keep": (
        "Carry out a `/keep FUNCTION:VERSION ...` comment on the plan pull request: drop those versions\n"
        "from its plan (removals only), commit as the bot with a Requested-by trailer, re-render, reply.",
        {
            0: "done (the reply on the PR says what was dropped)",
            1: "refused, and the reply on the PR says why: no write access, a version not in the plan,\n"
            "     not the plan PR, or its branch moved meanwhile (retry)",
            2: "a comment that is not a keep request, a comment of another PR, or bad settings",
            3: "a GitHub call failed",
        },
        _GITHUB,
    ),
    "refresh-pr": (
        "Re-render the plan pull request's title and description from the plans on its branch, as keep\n"
        'does ("Dropped in review" against the scan\'s plan, failed accounts kept); plan-check runs it\n'
        "after a person pushed an edit. Writes nothing when the description is already right.",
        {
            0: "done, or nothing to write (up to date, or the branch moved on from --head-sha)",
            1: "a plan on the branch is not a removals-only subset of the scan's (nothing written),\n"
            "     as keep refuses it",
            2: "not an open plan PR (nothing written), a bad --pr or --head-sha, or bad settings",
            3: "a GitHub call failed",
        },
        _GITHUB,
    ),
    "apply": (
        "Re-verify each version of a merged plan against live AWS and delete exactly those that still\n"
        "qualify; write apply-result.json and apply-result.md. Drift is skipped and reported, not an error.",
        {
            0: "every entry deleted, already gone or skipped for drift (or would be, with --dry-run)",
            1: "a deletion failed or a check could not complete (other entries still went); or\n"
            "     --require-approval refused the plan",
            2: "bad plan, stale or oversized plan, unwritable output, or a plan for another account",
            3: "an AWS or GitHub call stopped the run",
        },
        (
            *_AWS,
            "GITHUB_STEP_SUMMARY: when set, the result page is appended to it (GitHub Actions)",
            "with --require-approval: GITHUB_SHA (the pushed merge commit) and the GitHub variables:",
            *_GITHUB,
        ),
    ),
    "doctor": (
        "Check, through the GitHub API (and AWS with --aws), every setting the security model rests on:\n"
        "the rulesets, CODEOWNERS, required checks, environments, the bot's GitHub App, the Actions\n"
        "settings, the OIDC subject, the variables and the roles' trust. A checklist, each line ✓ or ✗\n"
        "with its fix. A setting the token cannot read is ✗ (could not read), never ✓: the full check\n"
        "needs a repository admin's token (GITHUB_TOKEN=$(gh auth token)). Reads only; changes nothing.",
        {
            0: "every setting holds (advisory lines aside; with --allow-unreadable, every one it could read)",
            1: "a setting to fix, or one this token could not read (each line says which and how)",
            2: "bad flag or settings",
            3: "GitHub (or, with --aws, AWS) could not be reached: bad token or repository, no credentials",
        },
        (
            "GITHUB_TOKEN, GITHUB_REPOSITORY (OWNER/NAME): the repository and a token that reads its\n"
            "  settings (a repository admin's reads all of them; a workflow's own token only some)",
            *_GITHUB[1:],
            "with --aws: the roles of [[tool.cleaner.accounts]], else of the repository variables, read",
            "  with these credentials (each account's own):",
            *_AWS,
        ),
    ),
    "iam-template": (
        "Print a CloudFormation template: GitHub's OIDC provider, a read-only scan role and an apply\n"
        "role that may delete versions only.",
        {0: "printed", 2: "bad flag value (named), e.g. a --subject-prefix of another repository"},
        (),
    ),
    "demo": (
        "Run the whole loop (scan, review, validate, apply) on an embedded simulated AWS account (moto).\n"
        "No AWS, no GitHub; the demo's own settings, never ./pyproject.toml.",
        {0: "the loop ran", 1: "a step found failures", 2: "moto is not installed, or bad --output"},
        ("none: AWS_ENDPOINT_URL and credentials are ignored, the account is in this process",),
    ),
    "sandbox": (
        "Serve a simulated AWS account (moto) on 127.0.0.1 to point the real commands at, until Ctrl-C.\n"
        "Its versions are dated relative to now, so a scan proposes deletions; `sandbox invoke` and\n"
        "`sandbox alias` make drift for apply to find.",
        {0: "stopped with Ctrl-C", 2: "the port is taken, a bad flag, or moto is not installed"},
        ("none (it prints the AWS_ENDPOINT_URL and credentials to export where you run the commands)",),
    ),
    "sandbox invoke": (
        "Record invocations of a version (FN:VERSION) or an alias (FN:ALIAS) in the running sandbox, as\n"
        "CloudWatch would: the qualified series and the function-level total, at the current minute.",
        {
            0: "recorded",
            2: "bad FN:V, or AWS_ENDPOINT_URL is not a local sandbox",
            3: "the sandbox answered an error",
        },
        ("AWS_ENDPOINT_URL (required: http://127.0.0.1:PORT or http://localhost:PORT)", _AWS[0]),
    ),
    "sandbox alias": (
        "Create an alias, or move an existing one, to a version in the running sandbox.",
        {0: "done", 2: "AWS_ENDPOINT_URL is not a local sandbox", 3: "the sandbox answered an error"},
        ("AWS_ENDPOINT_URL (required: http://127.0.0.1:PORT or http://localhost:PORT)", _AWS[0]),
    ),
}

_EXIT_MEANING = {0: "success", 1: "failures found", 2: "bad input or usage", 3: "access error"}


def epilog(name: str) -> str:
    _, exits, environment = COMMANDS[name]
    lines = ["exit codes:"]
    lines += [f"  {code}  {meaning}" for code, meaning in exits.items()]
    lines += ["", "environment:"]
    lines += [f"  {variable}" for variable in environment] or ["  none"]
    return "\n".join(lines)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def document(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """Give every (sub)command its description, exit codes and environment, and remember its parser
    (`command_parser`), so a bad flag is answered with that command's usage, not the top level's."""
    for name, sub in _subparsers(parser).items():
        full = f"{prefix}{name}"
        sub.set_defaults(command_parser=sub)
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        if full in COMMANDS:
            sub.description = COMMANDS[full][0]
            sub.epilog = epilog(full)
        else:
            codes = "\n".join(f"  {code}  {meaning}" for code, meaning in _EXIT_MEANING.items())
            sub.epilog = f"exit codes:\n{codes}"
        document(sub, prefix=f"{full} ")


def version_text() -> str:
    """The installed distribution's version; the package's own when it runs from a plain checkout."""
    try:
        version = metadata.version("snapstart-cleaner")
    except metadata.PackageNotFoundError:
        version = __version__
    return f"snapstart-cleaner {version}"
