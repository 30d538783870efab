"""Cost model of the SnapStart cache (pure).

Python and .NET versions with SnapStart are billed for their cached snapshot for as long as they exist:
memory (GB) x seconds x price per GB-second. Java SnapStart has no cache charge. Restores are billed per
GB restored, but a version nobody invokes is never restored, so deleting it saves only the cache.
"""

from __future__ import annotations

SECONDS_PER_MONTH = 2_592_000  # a month is 30 days in every cost figure (plan.md, the PR, apply)

# Runtime families whose SnapStart cache is billed. Extend here when AWS bills another runtime.
BILLED_RUNTIME_PREFIXES: tuple[str, ...] = ("python", "dotnet")


def cache_is_billed(runtime: str | None) -> bool:
    return runtime is not None and runtime.startswith(BILLED_RUNTIME_PREFIXES)


def monthly_cache_cost_usd(runtime: str | None, memory_mb: int, price_per_gb_second: float) -> float:
    if not cache_is_billed(runtime):
        return 0.0
    return round(memory_mb / 1024 * SECONDS_PER_MONTH * price_per_gb_second, 4)


def total_usd(costs: list[float]) -> float:
    return round(sum(costs), 2)
