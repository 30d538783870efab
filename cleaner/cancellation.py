"""A graceful stop on SIGINT/SIGTERM: the signal asks; the work that can stop (starting a deletion)
checks. GitHub cancels a job with SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Set once, from a signal handler or a test; read from any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


@contextmanager
def stop_on_signals(
    notify: Callable[[str], None], signals: tuple[signal.Signals, ...] = STOP_SIGNALS
) -> Iterator[StopRequest]:
    """While inside, SIGINT/SIGTERM set the yielded StopRequest instead of ending the process; the
    previous handlers are restored on the way out. A second signal is reported and otherwise ignored,
    so it cannot cut the writing of the results short (SIGKILL still can; the journal covers that).

    Handlers can only be installed from the main thread; elsewhere (an embedding program's worker) the
    request is yielded without handlers and the process keeps its own."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            message = f"{name}: already stopping; the results are being written (a second signal is ignored)"
        else:
            message = f"{name}: stopping: no new deletion is started; in-flight calls finish, then results"
        stop.request(name)
        # The main thread may have been interrupted inside a write to the same stream (a reentrant
        # write raises): the stop itself is what matters, not this message.
        with contextlib.suppress(RuntimeError, OSError):
            notify(message)

    previous = {number: signal.signal(number, handle) for number in signals}
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            # None: a handler installed outside Python; the default is the closest we can restore.
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
