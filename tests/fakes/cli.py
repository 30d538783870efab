"""Running the CLI in-process, the way a workflow step runs it, and capturing what it printed."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cleaner.cli import Environment, program
from cleaner.exit_codes import ExitCode


@dataclass
class Run:
    code: ExitCode
    stdout: str
    stderr: str


def run_in_process(argv: Sequence[str], cwd: Path, environ: Mapping[str, str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = program(list(argv), Environment(stdout=out, stderr=err, cwd=cwd, environ=dict(environ)))
    return Run(code, out.getvalue(), err.getvalue())
