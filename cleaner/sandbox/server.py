"""Serve a simulated account (moto, in this process) on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import errno
import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import Any

from cleaner.environment import Environment
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.sandbox.price_list import PriceListEndpoint

SANDBOX_REGION = "us-east-1"
# moto accepts any key; these say what they are wherever they end up (a shell history, a log).
SANDBOX_KEY = "sandbox"
DEFAULT_PORT = 5050


@dataclass(frozen=True)
class SandboxOptions:
    port: int = DEFAULT_PORT
    functions: int | None = None  # None: the demo's account; else the benchmark's mix
    versions: int = 10


def export_lines(port: int, pricing_port: int | None = None) -> list[str]:
    """What to paste where the commands run: the endpoint, the Price List's (moto has none: the
    sandbox serves one on `pricing_port`, by default the next port), throwaway credentials and the
    region."""
    pricing = port + 1 if pricing_port is None else pricing_port
    return [
        f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}",
        f"export AWS_ENDPOINT_URL_PRICING=http://127.0.0.1:{pricing}",
        f"export AWS_ACCESS_KEY_ID={SANDBOX_KEY} AWS_SECRET_ACCESS_KEY={SANDBOX_KEY}"
        f" AWS_REGION={SANDBOX_REGION} AWS_DEFAULT_REGION={SANDBOX_REGION}",
    ]


class _EndpointSession:
    """A boto3 session whose clients all talk to the sandbox's endpoint (the seeding code asks a session
    for clients by service and region, as the product does)."""

    def __init__(self, session: Any, endpoint: str) -> None:
        self._session = session
        self._endpoint = endpoint

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._session.client(service, endpoint_url=self._endpoint, **kwargs)


def _check_port(port: int) -> None:
    """Bind the port once ourselves: a port in use is then our one clear error, before werkzeug prints
    its own advice and exits its thread with status 1."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            reason = "another program listens there" if error.errno == errno.EADDRINUSE else error.strerror
            raise BadInputError(
                f"--port {port}: cannot listen on 127.0.0.1:{port}: {reason} (stop it, or pick another"
                " port: --port 0 takes a free one)"
            ) from error


def _start_server(port: int) -> Any:
    """Start moto's threaded server; a port that cannot be bound is an error here, not a hang (moto's
    `start` waits for a ready signal its thread never sends when binding fails)."""
    from moto.server import ThreadedMotoServer

    _check_port(port)
    failure: list[BaseException] = []

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            try:
                super()._server_entry()
            except BaseException as error:  # the thread's only way to report it
                failure.append(error)
                self._server_ready_event.set()

    server = Server(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    if failure:
        error = failure[0]
        if isinstance(error, SystemExit):  # werkzeug's way of saying the bind failed after our probe
            reason = "the port could not be bound"
        else:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise BadInputError(f"--port {port}: cannot listen on 127.0.0.1:{port}: {reason} (try --port 0)")
    return server


def _seed(session: Any, options: SandboxOptions, env: Environment) -> str:
    """Build the account; returns what it is, for the banner."""
    from cleaner.demo.account import DEMO_ACCOUNT_ID

    now = env.clock().replace(microsecond=0)
    if options.functions is None:
        from cleaner.demo.scenario import build_demo_account

        build_demo_account(session, SANDBOX_REGION, now)
        what = "the demo's account"
    else:
        from cleaner.demo.mix import build_specs, seed_account

        seed_account(session, build_specs(options.functions, options.versions), now, env.progress)
        what = f"the benchmark's mix, {options.functions} functions x {options.versions} versions"
    functions = session.client("lambda", region_name=SANDBOX_REGION).get_paginator("list_functions")
    names, versions = set(), 0
    for page in functions.paginate(FunctionVersion="ALL"):
        for function in page["Functions"]:
            names.add(function["FunctionName"])
            versions += function["Version"] != "$LATEST"
    return f"account {DEMO_ACCOUNT_ID}, {what}: {len(names)} functions, {versions} published versions"


def run_sandbox(options: SandboxOptions, env: Environment, stop: threading.Event | None = None) -> ExitCode:
    """Serve until Ctrl-C (or SIGTERM, or `stop` is set)."""
    import boto3

    from cleaner.demo.moto_shim import install_snapstart_shim

    try:
        install_snapstart_shim()
    except ImportError as error:
        raise BadInputError(
            "the sandbox needs moto: pip install 'snapstart-cleaner[demo]' (or '.[demo]' in a checkout)"
        ) from error
    # One line per request on stderr would bury the banner; the commands print what they do.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = _start_server(options.port)
    stop = stop or threading.Event()
    restore = _stop_on_sigterm(stop)
    try:
        port = server.get_host_and_port()[1]
        endpoint = f"http://127.0.0.1:{port}"
        session = _EndpointSession(
            boto3.Session(
                aws_access_key_id=SANDBOX_KEY, aws_secret_access_key=SANDBOX_KEY, region_name=SANDBOX_REGION
            ),
            endpoint,
        )
        env.progress(f"sandbox: building a simulated account on {endpoint} (moto, in memory)")
        described = _seed(session, options, env)
        seed_bill(env.clock().replace(microsecond=0))
        with _price_list(port + 1 if options.port else 0) as prices:
            for line in _banner(endpoint, port, described, int(prices.url.rsplit(":", 1)[1])):
                env.print(line)
            env.stdout.flush()  # a pipe buffers: whoever waits for the export lines must see them now
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        server.stop()
    env.progress("sandbox: stopped; the simulated account is gone")
    return ExitCode.OK


def _price_list(port: int) -> PriceListEndpoint:
    try:
        return PriceListEndpoint(port=port)
    except OSError as error:
        raise BadInputError(
            f"--port {port - 1}: the sandbox's Price List cannot listen on 127.0.0.1:{port}, the next port:"
            f" {error.strerror or error} (pick another --port; --port 0 takes free ones)"
        ) from error


def seed_bill(now: datetime) -> None:
    """What a plan is worth, beyond moto: the demo's code sizes (the demo's account only) and a Cost
    Explorer history (the cache's daily cost, a step down 24 days ago), queued on moto's Cost Explorer."""
    from cleaner.demo.account import DEMO_ACCOUNT_ID
    from cleaner.demo.savings_seed import (
        DEMO_CODE_SIZES,
        DEMO_DAILY_AFTER,
        DEMO_DAILY_BEFORE,
        DEMO_MERGED_DAYS_AGO,
        cost_and_usage_result,
        queue_cost_results,
        seed_code_sizes,
        stepped_history,
    )

    seed_code_sizes(DEMO_ACCOUNT_ID, SANDBOX_REGION, DEMO_CODE_SIZES)
    daily = stepped_history(now, SANDBOX_REGION, DEMO_MERGED_DAYS_AGO, DEMO_DAILY_BEFORE, DEMO_DAILY_AFTER)
    queue_cost_results([cost_and_usage_result(daily)], DEMO_ACCOUNT_ID)


def _banner(endpoint: str, port: int, described: str, pricing_port: int) -> list[str]:
    return [
        f"Sandbox: a simulated AWS account on {endpoint}, {SANDBOX_REGION}: {described}.",
        "Versions are dated relative to now; a Price List on port"
        f" {pricing_port} and a Cost Explorer history are seeded. Point the commands at it, in another"
        " terminal:",
        "",
        *export_lines(port, pricing_port),
        "",
        "Drift while a plan waits: snapstart-cleaner sandbox invoke FN:VERSION [--count N]",
        "                          snapstart-cleaner sandbox alias FN NAME VERSION",
        "Not simulated here (the demo fakes them on its own client): a Lambda@Edge association and a",
        "denied lambda:GetPolicy. Ctrl-C stops the sandbox; the account lives in memory only.",
    ]


def _stop_on_sigterm(stop: threading.Event) -> Callable[[], None]:
    """`kill` (SIGTERM) stops the sandbox as Ctrl-C does. Signals can only be handled on the main
    thread; elsewhere (a test running it in a thread) `stop` is the way."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handle)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
