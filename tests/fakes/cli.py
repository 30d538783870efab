"""Running the CLI in-process, the way a workflow step runs it, and capturing what it printed."""

from __future__ import annotations

import io
import os
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


def subprocess_environ(aws_endpoint: str | None, **extra: str) -> dict[str, str]:
    """The environment of a CLI subprocess: fake AWS credentials, nothing inherited that could reach
    real AWS (no profile, no metadata service), and the local endpoint when given."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if aws_endpoint is not None:
        environ["AWS_ENDPOINT_URL"] = aws_endpoint
    return {**environ, **extra}
