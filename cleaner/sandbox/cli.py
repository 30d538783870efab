"""The `sandbox` command's flags and handlers (moto is imported only when a handler runs)."""

from __future__ import annotations

import argparse
from typing import Any

from cleaner.environment import Environment
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.sandbox.server import DEFAULT_PORT, SandboxOptions


def cmd_sandbox(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.sandbox.server import run_sandbox

    if not 0 <= args.port <= 65535:
        raise BadInputError(f"--port {args.port}: a TCP port (0-65535; 0 picks a free one)")
    if args.functions is None and args.versions is not None:
        raise BadInputError("--versions needs --functions (the demo's account has its own versions)")
    if args.functions is not None and not 1 <= args.functions <= 10_000:
        raise BadInputError(f"--functions {args.functions}: 1 to 10000")
    versions = 10 if args.versions is None else args.versions
    if not 1 <= versions <= 1000:
        raise BadInputError(f"--versions {versions}: 1 to 1000")
    return run_sandbox(SandboxOptions(port=args.port, functions=args.functions, versions=versions), env)


def cmd_sandbox_invoke(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.sandbox.drift import run_invoke

    return run_invoke(args.target, args.count, env)


def cmd_sandbox_alias(args: argparse.Namespace, env: Environment) -> ExitCode:
    from cleaner.sandbox.drift import run_alias

    return run_alias(args.function, args.name, args.version, env)


def add_sandbox_parser(commands: Any) -> None:
    """`commands` is the top-level parser's subparsers action."""
    sandbox = commands.add_parser(
        "sandbox", help="serve a simulated AWS account on 127.0.0.1 to point the commands at"
    )
    sandbox.add_argument(
        "--port", type=int, default=DEFAULT_PORT, metavar="PORT", help=f"0 picks a free one ({DEFAULT_PORT})"
    )
    sandbox.add_argument(
        "--functions",
        type=int,
        metavar="N",
        help="N functions of the benchmark's mix (default: the demo's account)",
    )
    sandbox.add_argument("--versions", type=int, metavar="V", help="published versions per function (10)")
    sandbox.set_defaults(handler=cmd_sandbox)
    # Optional: without one, `sandbox` serves; with one, it makes drift in a sandbox already running.
    drift = sandbox.add_subparsers(
        dest="sandbox_command",
        metavar="[invoke | alias]",
        title="drift in a sandbox already running (optional)",
    )

    invoke = drift.add_parser("invoke", help="record invocations of FN:VERSION (or FN:ALIAS) in the sandbox")
    invoke.add_argument("target", metavar="FN:V", help="function and version (or alias), e.g. orders-api:3")
    invoke.add_argument("--count", type=int, default=1, metavar="N", help="how many invocations (1)")
    invoke.set_defaults(handler=cmd_sandbox_invoke)

    alias = drift.add_parser("alias", help="create or move an alias in the sandbox")
    alias.add_argument("function", metavar="FN", help="function name")
    alias.add_argument("name", metavar="NAME", help="alias name")
    alias.add_argument("version", metavar="V", help="the version it points at")
    alias.set_defaults(handler=cmd_sandbox_alias)
