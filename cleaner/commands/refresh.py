"""`refresh-pr --pr N [--head-sha SHA] [--files] [--skip-other-prs]`: re-render the plan pull request's
title and description from the plans on its branch (see `cleaner.github.refresh`); with `--files`, first
commit plan.json's summary and plan.md re-rendered as the bot when a person's edit left them stale.
Exit 0 done (or nothing to do), 1 a plan on the branch is not removals-only (nothing written, as keep),
2 not an open plan pull request (nothing written; 0 with `--skip-other-prs`, as refresh.yml runs it
after every pull request's plan-check), 3 GitHub access error."""

from __future__ import annotations

from cleaner.environment import Environment, merge_is_dry_run
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.github.client import open_repository
from cleaner.github.refresh import NotTheOpenPlanPullRequest, refresh_description
from cleaner.settings import Settings


def run_refresh(
    number: int,
    head_sha: str | None,
    settings: Settings,
    env: Environment,
    files: bool = False,
    skip_other_prs: bool = False,
) -> ExitCode:
    if number < 1:
        raise BadInputError("--pr must be a positive number")
    repo = open_repository(env.environ)
    try:
        outcome = refresh_description(
            repo, settings, number, head_sha, env.progress, dry_run=merge_is_dry_run(env.environ), files=files
        )
    except NotTheOpenPlanPullRequest as other:
        if not skip_other_prs:
            raise
        env.print(f"refresh-pr: PR #{number}: skipped: {other}")
        return ExitCode.OK
    env.print(f"refresh-pr: PR #{number}: {outcome.message}")
    return outcome.exit_code
