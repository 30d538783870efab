"""Where a region's stages get their AWS adapters, worker pool and progress line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from cleaner.aws.concurrency import ProgressTicker, run_concurrently
from cleaner.aws.lambda_inventory import RegionInventory
from cleaner.aws.session import AwsContext
from cleaner.settings import ScanSettings

Progress = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class RegionContext:
    aws: AwsContext
    region: str
    settings: ScanSettings
    now: datetime
    progress: Progress

    @cached_property
    def inventory(self) -> RegionInventory:
        return RegionInventory(self.client("lambda"), self.region)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.aws.client(service, region or self.region)

    def concurrently(
        self, work: Callable[[T], R], items: list[T], ticker: ProgressTicker | None = None
    ) -> list[R | BaseException]:
        return run_concurrently(work, items, self.aws.performance.max_workers, ticker)
