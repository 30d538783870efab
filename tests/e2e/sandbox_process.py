"""`snapstart-cleaner sandbox` as a user starts it: a subprocess on a free port, read until it prints the
lines to export, stopped (SIGTERM, as Ctrl-C would) when the test is done."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fakes.cli import subprocess_environ

BIN = Path(sys.executable).parent


@dataclass
class Sandbox:
    port: int
    export_lines: list[str]
    stdout: list[str]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pricing_port(self) -> int:
        line = next(line for line in self.export_lines if "AWS_ENDPOINT_URL_PRICING=" in line)
        return int(line.rsplit(":", 1)[1])

    def environ(self) -> dict[str, str]:
        """A shell's environment after pasting the export lines: nothing inherited that reaches AWS."""
        exported: dict[str, str] = {}
        for line in self.export_lines:
            for assignment in line.removeprefix("export ").split():
                name, _, value = assignment.partition("=")
                exported[name] = value
        # The venv's scripts first, as after `. .venv/bin/activate`.
        base = subprocess_environ(None, PATH=f"{BIN}:{subprocess_environ(None)['PATH']}")
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            base.pop(name)
        return {**base, **exported}


@contextmanager
def running_sandbox(cwd: Path, *flags: str, timeout: float = 60) -> Iterator[Sandbox]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cleaner", "sandbox", "--port", "0", *flags],
        cwd=cwd,
        env=subprocess_environ(None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while not any(line.startswith("export AWS_ACCESS_KEY_ID=") for line in seen):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(
                    f"the sandbox ended: {seen} {process.stderr.read() if process.stderr else ''}"
                )
            seen.append(line)
        exports = [line for line in seen if line.startswith("export ")]
        port = int(exports[0].rsplit(":", 1)[1])
        yield Sandbox(port, exports, seen)
    finally:
        process.terminate()
        code = process.wait(timeout=30)
        assert code == 0, f"the sandbox stopped with {code}"
