"""Traffic attribution (pure): which version was invoked, and what function-level traffic is unexplained.

CloudWatch publishes Lambda `Invocations` under several dimension sets:
- `FunctionName` alone: AWS aggregates every version and alias (and unqualified calls) of the function;
- `FunctionName` + `Resource=fn:version`: calls made to that version directly;
- `FunctionName` + `Resource=fn:alias`: calls made through an alias;
- `FunctionName` + `Resource=fn:alias` + `ExecutedVersion=version`: which version an alias call ran.
A call through an alias is *not* published under `Resource=fn:version`, so both must be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cleaner.inventory import Usage

Dimensions = tuple[tuple[str, str], ...]

# One canonical order for dimensions (AWS does not care; moto matches by order).
_ORDER = ("FunctionName", "Resource", "ExecutedVersion")


def invocation_dimensions(
    function_name: str, resource: str | None = None, executed_version: str | None = None
) -> Dimensions:
    values = {"FunctionName": function_name, "Resource": resource, "ExecutedVersion": executed_version}
    return tuple((name, value) for name in _ORDER if (value := values[name]) is not None)


@dataclass(frozen=True, slots=True)
class SeriesTotal:
    total: float = 0.0
    last: datetime | None = None  # newest datapoint with a non-zero value

    def __add__(self, other: SeriesTotal) -> SeriesTotal:
        lasts = [t for t in (self.last, other.last) if t is not None]
        return SeriesTotal(self.total + other.total, max(lasts) if lasts else None)


NO_TRAFFIC = SeriesTotal()


def unattributed(function_total: SeriesTotal, explained: list[SeriesTotal]) -> float:
    """Function-level invocations that no per-version or per-alias series accounts for."""
    return max(function_total.total - sum(series.total for series in explained), 0.0)


def version_usage(direct: SeriesTotal, routed: Mapping[str, SeriesTotal]) -> Usage:
    """Usage of one version from its direct series and its alias-routed series (alias -> series)."""
    via = sum((series for series in routed.values()), NO_TRAFFIC)
    both = direct + via
    return Usage(direct=direct.total, via_aliases=via.total, last_invoked=both.last)
