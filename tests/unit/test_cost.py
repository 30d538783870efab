"""The SnapStart cache cost model (cleaner/cost.py): who is billed, how much a month, how totals round."""

from __future__ import annotations

import pytest

from cleaner.cost import SECONDS_PER_MONTH, cache_is_billed, monthly_cache_cost_usd, total_usd
from cleaner.settings import DEFAULT_CACHE_PRICE_PER_GB_SECOND

PRICE = DEFAULT_CACHE_PRICE_PER_GB_SECOND


@pytest.mark.parametrize(
    ("runtime", "billed"),
    [
        ("python3.12", True),
        ("python3.9", True),
        ("dotnet8", True),
        ("java21", False),
        ("java17", False),
        ("nodejs20.x", False),
        ("provided.al2023", False),
        (None, False),  # container images have no runtime
    ],
    ids=str,
)
def test_only_python_and_dotnet_caches_are_billed(runtime: str | None, billed: bool) -> None:
    assert cache_is_billed(runtime) is billed


def test_a_month_is_thirty_days() -> None:
    assert SECONDS_PER_MONTH == 30 * 24 * 3600


@pytest.mark.parametrize(
    ("memory_mb", "monthly"),
    [
        (1024, 3.8999),  # 1 GB x 2,592,000 s x $0.0000015046 = $3.8999232
        (128, 0.4875),
        (512, 1.95),
        (10240, 38.9992),
    ],
)
def test_monthly_cost_is_gb_times_seconds_times_price(memory_mb: int, monthly: float) -> None:
    assert monthly_cache_cost_usd("python3.12", memory_mb, PRICE) == monthly


def test_unbilled_runtimes_cost_nothing_and_the_price_is_a_setting() -> None:
    assert monthly_cache_cost_usd("java21", 10240, PRICE) == 0.0
    assert monthly_cache_cost_usd(None, 1024, PRICE) == 0.0
    assert monthly_cache_cost_usd("dotnet8", 1024, 0.000002) == round(2_592_000 * 0.000002, 4)
    assert monthly_cache_cost_usd("python3.12", 1024, 0.0) == 0.0


def test_totals_round_to_cents_after_summing() -> None:
    assert total_usd([]) == 0.0
    assert total_usd([0.4875, 0.4875]) == 0.97  # not 0.49 + 0.49
    assert total_usd([3.8999] * 3) == 11.7
