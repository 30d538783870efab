"""Independent AWS calls run concurrently; a failed call becomes a value, never stops the others."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from cleaner.aws.errors import AWS_ERRORS

T = TypeVar("T")
R = TypeVar("R")

# A long, quota-bound stage says how far it got this often (a 100,000-version scan runs for hours).
PROGRESS_EVERY_SECONDS = 30.0


class ProgressTicker:
    """Counts finished items from worker threads and reports `done/total` at most every `interval`."""

    def __init__(
        self,
        label: str,
        total: int,
        report: Callable[[str], None],
        interval: float = PROGRESS_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.report, self.interval, self.clock = label, total, report, interval, clock
        self.done = 0
        self._last = clock()
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self.done += 1
            now = self.clock()
            if now - self._last < self.interval or self.done == self.total:
                return
            self._last = now
            done = self.done
        self.report(f"{self.label}: {done:,}/{self.total:,}")


def run_concurrently(
    work: Callable[[T], R], items: list[T], max_workers: int, ticker: ProgressTicker | None = None
) -> list[R | BaseException]:
    """`work` over `items` in a thread pool (clients are paced by the rate limiter, not by this);
    results in input order, with an AWS error in place of the result of a call that failed."""

    def guarded(item: T) -> R | BaseException:
        try:
            return work(item)
        except AWS_ERRORS as error:
            return error
        finally:
            if ticker is not None:
                ticker.tick()

    if len(items) <= 1:
        return [guarded(item) for item in items]
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(guarded, items))
