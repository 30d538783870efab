"""Regions scanned at once: each region's scan runs in its own thread (up to the bound), a failed
region fails the scan with the error a scan of one region after another would raise, and the warnings
read as if the regions had been scanned in order."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cleaner.exit_codes import AccessError
from cleaner.scan import WarningLog, scan_regions

# Only a guard against a hung test: nothing here waits for time to pass.
GUARD_SECONDS = 30


class StubRegion:
    """What scan_regions needs of a RegionScan: `run`."""

    def __init__(
        self, name: str, log: list[str], barrier: threading.Barrier | None = None, fail: bool = False
    ):
        self.name, self.log, self.barrier, self.fail = name, log, barrier, fail

    def run(self) -> None:
        self.log.append(f"start {self.name}")
        if self.barrier is not None:
            self.barrier.wait()  # returns only once every region of the barrier has started
        self.log.append(f"end {self.name}")
        if self.fail:
            raise AccessError(f"lambda:ListFunctions denied (region {self.name})")


def test_regions_are_scanned_at_once() -> None:
    log: list[str] = []
    barrier = threading.Barrier(3, timeout=GUARD_SECONDS)
    regions: list[Any] = [StubRegion(name, log, barrier) for name in ("us-east-1", "eu-west-1", "ap-south-1")]

    scan_regions(regions, max_concurrent=4)

    assert sorted(log) == sorted(f"{verb} {r.name}" for r in regions for verb in ("start", "end"))


def test_one_region_at_a_time_scans_them_in_order() -> None:
    log: list[str] = []
    regions: list[Any] = [StubRegion(name, log) for name in ("us-east-1", "eu-west-1")]

    scan_regions(regions, max_concurrent=1)

    assert log == ["start us-east-1", "end us-east-1", "start eu-west-1", "end eu-west-1"]


def test_a_failed_region_fails_the_scan_with_the_first_error_in_region_order_once_all_stopped() -> None:
    log: list[str] = []
    barrier = threading.Barrier(3, timeout=GUARD_SECONDS)
    regions: list[Any] = [
        StubRegion("us-east-1", log, barrier),
        StubRegion("eu-west-1", log, barrier, fail=True),
        StubRegion("ap-south-1", log, barrier, fail=True),
    ]

    with pytest.raises(AccessError, match=r"region eu-west-1\)"):
        scan_regions(regions, max_concurrent=3)

    assert {"end us-east-1", "end eu-west-1", "end ap-south-1"} <= set(log)


def test_merged_warnings_read_as_if_the_regions_had_been_scanned_in_order() -> None:
    one = WarningLog()
    one.notes.append("usage was looked at over 3 days only")
    east, west, sequential = WarningLog(), WarningLog(), WarningLog()
    sequential.notes.append("usage was looked at over 3 days only")
    for log in (east, sequential):
        log.record("lambda:GetPolicy", "AccessDeniedException", "denied in us-east-1", 2)
        log.notes.append("cloudwatch:ListMetrics failed (region us-east-1)")
    for log in (west, sequential):
        log.record("lambda:GetPolicy", "AccessDeniedException", "denied in eu-west-1", 3)
        log.record("lambda:ListAliases", "ThrottlingException", "throttled", 1)
        log.notes.append("cloudwatch:ListMetrics failed (region eu-west-1)")

    merged = WarningLog.merged([one, east, west])

    assert merged.lines() == sequential.lines()
    assert "for 5 version(s)" in merged.lines()[0] and "denied in us-east-1" in merged.lines()[0]
