"""`keep --pr N --comment-id ID`: carry out a `/keep FN:V ...` comment on the plan pull request (see
`cleaner.github.keep`). Exit 0 done, 1 refused (the reply on the PR says why), 2 bad input, 3 GitHub
access error."""

from __future__ import annotations

from cleaner.environment import Environment, merge_is_dry_run
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.github.client import open_repository
from cleaner.github.keep import keep_versions
from cleaner.settings import Settings


def run_keep(number: int, comment_id: int, settings: Settings, env: Environment) -> ExitCode:
    if number < 1 or comment_id < 1:
        raise BadInputError("--pr and --comment-id must be positive numbers")
    repo = open_repository(env.environ)
    outcome = keep_versions(repo, settings, number, comment_id, env.progress, merge_is_dry_run(env.environ))
    prefix = "keep" if outcome.exit_code == ExitCode.OK else "keep refused"
    env.print(f"{prefix}: PR #{number}: {outcome.message}")
    return outcome.exit_code
