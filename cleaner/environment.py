"""What every command reads from the world, and the settings it derives from flags: the environment
(streams, working directory, variables, clock, AWS session), `[tool.cleaner]` with the flags applied,
and `--now`.

It lives apart from `cleaner.cli` so that the command modules depend on it and `cli` depends on them,
never the other way round: `cli` only parses and dispatches.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from cleaner.exit_codes import BadInputError
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


def resolve_path(env: Environment, path: str) -> Path:
    """A path the user typed, relative to the environment's working directory."""
    candidate = Path(path)
    return candidate if candidate.is_absolute() else env.cwd / candidate


# The flag that sets each setting, where the two names differ: an error names what the user typed.
SCAN_FLAGS = {"regions": "--region", "include": "--include", "exclude": "--exclude"}
APPLY_FLAGS = {"max_deletions_per_apply": "--max-deletions"}


def repository_settings(args: argparse.Namespace, env: Environment) -> Settings:
    """`[tool.cleaner]` of --config, or of ./pyproject.toml (defaults when there is none)."""
    config = resolve_path(env, args.config) if args.config else env.cwd / "pyproject.toml"
    if args.config and not config.exists():
        raise BadInputError(f"--config {args.config}: no such file")
    return load_settings(config)


def load_effective_settings(args: argparse.Namespace, env: Environment) -> Settings:
    """The scan's settings: the repository's, with the scan flags applied."""
    settings = repository_settings(args, env)
    return settings.with_overrides(
        flags=SCAN_FLAGS,
        regions=args.region or None,
        min_age_days=args.min_age_days,
        keep_last_n=args.keep_last_n,
        lookback_days=args.lookback_days,
        include=args.include or None,
        exclude=args.exclude or None,
        plans_dir=args.plans_dir,
    )


def load_apply_settings(args: argparse.Namespace, env: Environment) -> Settings:
    """Apply's settings: the repository's, with apply's limit flags applied (never the plan's)."""
    return repository_settings(args, env).with_overrides(
        flags=APPLY_FLAGS,
        plan_max_age_days=args.plan_max_age_days,
        max_deletions_per_apply=args.max_deletions,
        required_approvals=args.required_approvals,
    )


# The repository variable that decides whether apply deletes (apply.yml: a dry run unless it is `false`).
DRY_RUN_VARIABLE = "SNAPSTART_DRY_RUN"


def merge_is_dry_run(environ: Mapping[str, str]) -> bool | None:
    """What merging the plan pull request does, as the jobs that render its description see the
    repository variable SNAPSTART_DRY_RUN (passed into their env): a dry run unless it is `false`, as
    apply.yml runs apply. None when the variable is not passed at all (a run outside those jobs): the
    page then says what merging depends on instead."""
    if DRY_RUN_VARIABLE not in environ:
        return None
    return environ[DRY_RUN_VARIABLE].strip().lower() != "false"
