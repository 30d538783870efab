"""`targets`: the scan (or, with --plans, apply) work list as a GitHub Actions matrix, JSON or text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from cleaner.environment import Environment
from cleaner.exit_codes import ExitCode
from cleaner.plan import load_plan
from cleaner.settings import Settings
from cleaner.targets import apply_targets, display_path, scan_targets


def run_targets(
    settings: Settings,
    plans: Sequence[Path] | None,
    regions: Sequence[str],
    output_format: str,
    env: Environment,
) -> ExitCode:
    entries: Sequence[BaseModel]
    if plans is None:
        entries = scan_targets(settings, env.environ, regions)
    else:
        loaded = [(display_path(path, env.cwd), load_plan(path)) for path in plans]
        entries = apply_targets(settings, env.environ, loaded)
    rows = [entry.model_dump(mode="json") for entry in entries]
    if output_format == "github-matrix":
        # One line: `echo "matrix=$(snapstart-cleaner targets)" >> "$GITHUB_OUTPUT"`, then fromJSON.
        env.print(json.dumps({"include": rows}, separators=(",", ":")))
    elif output_format == "json":
        env.print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            env.print("  ".join(f"{key}={value}" for key, value in row.items() if value != ""))
    return ExitCode.OK
