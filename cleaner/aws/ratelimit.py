"""Client-side pacing of AWS calls per quota bucket, and a recorder of every request sent.

Both hook botocore's `request-created` event, which fires once per HTTP attempt (retries included), so
every request any code path sends through our clients is paced and counted, whoever the caller is.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Lambda's quotas (per account and region): GetFunction and GetPolicy have buckets of their own; every
# other control-plane call (ListFunctions, ListAliases, DeleteFunction, ...) shares one 15-rps budget
# with the user's deploy pipelines.
CONTROL_PLANE = "lambda:control-plane"
GET_FUNCTION = "lambda:GetFunction"
GET_POLICY = "lambda:GetPolicy"
GET_METRIC_DATA = "cloudwatch:GetMetricData"


def quota_bucket(service: str, operation: str) -> str:
    if service == "lambda":
        if operation in ("GetFunction", "GetPolicy"):
            return f"lambda:{operation}"
        if operation.startswith("Invoke"):
            return "lambda:invoke"
        return CONTROL_PLANE
    return f"{service}:{operation}"


class TokenBucket:
    """Allows `rate` calls per second on average, with bursts of at most `burst`; thread-safe."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is there; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


@dataclass
class RateLimiter:
    """One token bucket per (region, quota bucket); buckets without a configured rate are not paced."""

    rates: dict[str, float]
    # Injectable for tests: the pacing is then observable without waiting.
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _buckets: dict[tuple[str, str], TokenBucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    waited_seconds: float = 0.0

    def acquire(self, region: str, bucket: str) -> None:
        rate = self.rates.get(bucket)
        if rate is None:
            return
        with self._lock:
            token_bucket = self._buckets.get((region, bucket))
            if token_bucket is None:
                token_bucket = self._buckets[(region, bucket)] = TokenBucket(
                    rate, clock=self.clock, sleep=self.sleep
                )
        waited = token_bucket.acquire()
        if waited:
            with self._lock:
                self.waited_seconds += waited


@dataclass
class CallRecorder:
    """Counts every request sent, per operation, so tests and benchmarks can see what a run costs."""

    calls: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, service: str, operation: str) -> None:
        with self._lock:
            self.calls[f"{service}:{operation}"] += 1

    def by_bucket(self) -> Counter[str]:
        buckets: Counter[str] = Counter()
        for name, count in self.calls.items():
            service, operation = name.split(":", 1)
            buckets[quota_bucket(service, operation)] += count
        return buckets

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def attach(client: Any, region: str, limiter: RateLimiter | None, recorder: CallRecorder | None) -> None:
    """Pace and record every request this client sends."""
    service = client.meta.service_model.service_name

    def on_request_created(event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if limiter is not None:
            limiter.acquire(region, quota_bucket(service, operation))
        if recorder is not None:
            recorder.record(service, operation)

    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"request-created.{service_id}", on_request_created)
