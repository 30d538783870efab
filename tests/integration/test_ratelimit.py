"""Client-side pacing: the token buckets ask for the sleeps that keep each quota bucket at its rate.
A fake clock and sleep make the pacing observable without waiting."""

from __future__ import annotations

import threading

import boto3
import pytest

from cleaner.aws.ratelimit import (
    CONTROL_PLANE,
    GET_FUNCTION,
    CallRecorder,
    RateLimiter,
    TokenBucket,
    attach,
    quota_bucket,
)


class FakeTime:
    """A clock that only moves when someone sleeps (or the test says so)."""

    def __init__(self, advance_on_sleep: bool = True) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.advance_on_sleep = advance_on_sleep
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if self.advance_on_sleep:
                self.now += seconds


def test_a_bucket_allows_its_burst_then_one_call_per_interval() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=5, burst=5, clock=time.clock, sleep=time.sleep)

    waits = [bucket.acquire() for _ in range(10)]

    assert waits[:5] == [0.0] * 5
    assert waits[5:] == pytest.approx([0.2] * 5)
    assert time.sleeps == pytest.approx([0.2] * 5)
    assert time.now == pytest.approx(1.0)


def test_a_bucket_refills_while_idle_up_to_its_burst() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=10, burst=3, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        bucket.acquire()

    time.now += 60.0  # a long pause refills the bucket, but never beyond its burst

    assert [bucket.acquire() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 0.1])


def test_concurrent_callers_are_given_successive_slots() -> None:
    time = FakeTime(advance_on_sleep=False)  # every caller arrives at the same instant
    bucket = TokenBucket(rate=10, burst=1, clock=time.clock, sleep=time.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        waited = bucket.acquire()
        with lock:
            waits.append(waited)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(waits) == pytest.approx([i / 10 for i in range(20)])


def test_the_limiter_paces_each_region_and_quota_bucket_on_its_own() -> None:
    time = FakeTime(advance_on_sleep=False)
    limiter = RateLimiter({CONTROL_PLANE: 2, GET_FUNCTION: 50}, clock=time.clock, sleep=time.sleep)

    for _ in range(4):
        limiter.acquire("us-east-1", CONTROL_PLANE)
    for _ in range(4):
        limiter.acquire("eu-west-1", CONTROL_PLANE)
    for _ in range(40):
        limiter.acquire("us-east-1", GET_FUNCTION)
    for _ in range(100):
        limiter.acquire("us-east-1", "cloudfront:ListDistributions")  # no rate configured: not paced

    # Each region's control plane: a burst of 2, then 0.5 s and 1 s; GetFunction stays in its burst.
    assert sorted(time.sleeps) == pytest.approx([0.5, 0.5, 1.0, 1.0])
    assert limiter.waited_seconds == pytest.approx(3.0)


def test_lambda_operations_map_to_their_quota_buckets() -> None:
    assert quota_bucket("lambda", "ListFunctions") == CONTROL_PLANE
    assert quota_bucket("lambda", "ListAliases") == CONTROL_PLANE
    assert quota_bucket("lambda", "DeleteFunction") == CONTROL_PLANE
    assert quota_bucket("lambda", "GetFunction") == "lambda:GetFunction"
    assert quota_bucket("lambda", "GetPolicy") == "lambda:GetPolicy"
    assert quota_bucket("cloudwatch", "GetMetricData") == "cloudwatch:GetMetricData"


def test_every_request_a_client_sends_is_paced_and_recorded(aws_session: boto3.Session) -> None:
    time = FakeTime()
    limiter = RateLimiter({CONTROL_PLANE: 1}, clock=time.clock, sleep=time.sleep)
    recorder = CallRecorder()
    client = aws_session.client("lambda", region_name="us-east-1")
    attach(client, "us-east-1", limiter, recorder)

    for _ in range(3):
        client.list_functions()
    client.list_event_source_mappings()

    assert recorder.calls == {"lambda:ListFunctions": 3, "lambda:ListEventSourceMappings": 1}
    assert recorder.by_bucket() == {CONTROL_PLANE: 4}
    assert time.sleeps == pytest.approx([1.0, 1.0, 1.0])
