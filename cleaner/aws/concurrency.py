"""Independent AWS calls run concurrently; a failed call becomes a value, never stops the others."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from cleaner.aws.errors import AWS_ERRORS

T = TypeVar("T")
R = TypeVar("R")


def run_concurrently(work: Callable[[T], R], items: list[T], max_workers: int) -> list[R | BaseException]:
    """`work` over `items` in a thread pool (clients are paced by the rate limiter, not by this);
    results in input order, with an AWS error in place of the result of a call that failed."""

    def guarded(item: T) -> R | BaseException:
        try:
            return work(item)
        except AWS_ERRORS as error:
            return error

    if len(items) <= 1:
        return [guarded(item) for item in items]
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return list(pool.map(guarded, items))
