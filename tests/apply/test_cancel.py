"""Graceful cancel: SIGINT/SIGTERM during apply start no new deletion, let the in-flight one finish,
mark the rest `not_attempted`, and still write the results (exit 1). In-process: the signal is sent
to this process from inside a deletion."""

from __future__ import annotations

import os
import signal
import time
from types import FrameType
from typing import Any

import pytest

from cleaner.apply_journal import JOURNAL_FILE, JournalOutcome, read_journal
from cleaner.cancellation import stop_on_signals
from cleaner.cli import program
from cleaner.exit_codes import ExitCode
from tests.apply.conftest import Loop


def _one_worker(loop: Loop) -> None:
    # One deletion at a time, so "the in-flight one" is exactly the one that sent the signal.
    (loop.workdir / "pyproject.toml").write_text("[tool.cleaner]\nmax_workers = 1\n")


def _apply_signalling_during_first_deletion(
    loop: Loop, signals: list[signal.Signals]
) -> tuple[ExitCode, str]:
    env, out, err = loop.env()

    def send_signals(**_: Any) -> None:
        if not signals:
            return
        for number in signals:
            os.kill(os.getpid(), number)
            # The handler runs in the main thread; wait until it has spoken, then carry on deleting.
            deadline = time.monotonic() + 10
            while err.getvalue().count(number.name) < signals.count(number) and time.monotonic() < deadline:
                time.sleep(0.01)
        signals.clear()

    loop.session.events.register("before-call.lambda.DeleteFunction", send_signals)
    code = program(["apply", str(loop.plan_path)], env)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_lets_the_deletion_in_flight_finish_and_attempts_nothing_else(
    loop: Loop, number: signal.Signals
) -> None:
    _one_worker(loop)
    before = signal.getsignal(number)

    code, output = _apply_signalling_during_first_deletion(loop, [number])

    assert code == ExitCode.FAILURES, output
    assert f"{number.name}: stopping" in output
    assert loop.outcomes() == {
        "1": ("deleted", []),
        "2": ("not_attempted", []),
        "3": ("not_attempted", []),
    }
    assert loop.versions() == ["2", "3", "4", "5", "6"]
    result = loop.result()
    assert result["stopped"] == number.name and result["counts"]["not_attempted"] == 2
    page = (loop.plan_path.parent / "apply-result.md").read_text()
    assert "**2 not attempted**" in page and f"**Stopped early:** {number.name}" in page
    assert "\n\n\n" not in page
    outcomes = [
        line
        for line in read_journal(loop.plan_path.parent / JOURNAL_FILE)
        if isinstance(line, JournalOutcome)
    ]
    assert sorted((line.version, line.outcome.value) for line in outcomes) == [
        ("1", "deleted"),
        ("2", "not_attempted"),
        ("3", "not_attempted"),
    ]
    assert signal.getsignal(number) is before  # the handlers are the caller's again


def test_a_second_signal_does_not_cut_the_results_short(loop: Loop) -> None:
    _one_worker(loop)

    code, output = _apply_signalling_during_first_deletion(loop, [signal.SIGINT, signal.SIGTERM])

    assert code == ExitCode.FAILURES, output
    assert "SIGTERM: already stopping" in output
    assert loop.result()["stopped"] == "SIGINT"
    assert loop.outcomes()["2"] == ("not_attempted", [])


def test_a_rerun_after_a_cancel_finishes_the_plan(loop: Loop) -> None:
    _one_worker(loop)
    assert _apply_signalling_during_first_deletion(loop, [signal.SIGTERM])[0] == ExitCode.FAILURES

    code, output = loop.run("apply", str(loop.plan_path))

    assert code == ExitCode.OK, output
    assert loop.outcomes() == {
        "1": ("already_deleted", []),
        "2": ("deleted", []),
        "3": ("deleted", []),
    }
    assert loop.versions() == ["4", "5", "6"]


def test_handlers_are_installed_only_inside_and_the_previous_ones_restored() -> None:
    seen: list[int] = []

    def previous(signum: int, _frame: FrameType | None) -> None:
        seen.append(signum)

    original = signal.signal(signal.SIGTERM, previous)
    try:
        messages: list[str] = []
        with stop_on_signals(messages.append) as stop:
            assert not stop.is_set()
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGTERM)
            assert stop.is_set() and stop.reason == "SIGTERM"
        assert seen == []
        assert len(messages) == 2
        assert "SIGTERM: stopping" in messages[0] and "SIGTERM: already stopping" in messages[1]
        signal.raise_signal(signal.SIGTERM)
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, original)
