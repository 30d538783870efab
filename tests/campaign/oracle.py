"""The campaign's oracle: which versions are safe to delete at an instant, under some settings.

Written from the product contract as README.md states it ("What is a candidate", "Commands": what apply
does with each entry, "Settings") against the campaign's own model of the account, and deliberately
sharing no code with the product's policy or re-verification: a bug there cannot hide here by being
the same bug.

A version is safe when no protection fires under any of the given settings; usage is read over one
window (the longest lookback of the given settings) ending at `now`. A version is its region, function
and number: only its own region's function, aliases and series speak for it.

A plan holds at most `max_deletions_per_apply` versions, the largest savings first ("What is a
candidate": `over_deletion_cap`, `not_checked_plan_full`): `plan_cap` says which savings a plan of the
safe versions must propose across the regions, and which versions a scan may leave unchecked.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.campaign.model import ScanFlags, SettingsSpec
from tests.campaign.world import Datapoint, LiveFunction, LiveVersion


@dataclass(frozen=True)
class Rules:
    """Effective settings, as the oracle understands them."""

    min_age_days: int
    keep_last_n: int
    lookback_days: int
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    protect_tag: str
    overrides: tuple[tuple[str, int | None, int | None], ...]

    def thresholds(self, name: str) -> tuple[int, int]:
        """(keep_last_n, min_age_days) of the first override whose glob matches."""
        for glob, keep, age in self.overrides:
            if fnmatch.fnmatchcase(name, glob):
                return (
                    self.keep_last_n if keep is None else keep,
                    self.min_age_days if age is None else age,
                )
        return self.keep_last_n, self.min_age_days

    def excluded(self, name: str) -> bool:
        if self.include and not any(fnmatch.fnmatchcase(name, g) for g in self.include):
            return True
        return any(fnmatch.fnmatchcase(name, g) for g in self.exclude)


def rules(file: SettingsSpec, flags: ScanFlags | None = None) -> Rules:
    """The repository's file, with command-line flags over it (a given flag replaces the value)."""
    flags = flags or ScanFlags()
    min_age = file.min_age_days if flags.min_age_days is None else flags.min_age_days
    lookback = flags.lookback_days if flags.lookback_days is not None else file.lookback_days
    return Rules(
        min_age_days=min_age,
        keep_last_n=file.keep_last_n if flags.keep_last_n is None else flags.keep_last_n,
        # Default lookback: min_age_days (a window is at least one day long).
        lookback_days=lookback if lookback is not None else max(min_age, 1),
        include=flags.include or file.include,
        exclude=flags.exclude or file.exclude,
        protect_tag=file.protect_tag,
        overrides=file.overrides,
    )


@dataclass(frozen=True)
class Seen:
    """Invocation totals of one function over a window, per series."""

    function_level: int
    direct: dict[str, int]  # Resource=fn:X (a version number or $LATEST)
    alias: dict[str, int]  # Resource=fn:alias
    executed: dict[tuple[str, int], int]  # (alias, ExecutedVersion)


def traffic(metrics: Iterable[Datapoint], region: str, name: str, start: datetime, end: datetime) -> Seen:
    total = 0
    direct: dict[str, int] = {}
    alias: dict[str, int] = {}
    executed: dict[tuple[str, int], int] = {}
    for point in metrics:
        if (point.region, point.function) != (region, name) or not start <= point.time < end:
            continue
        total += point.count
        if point.kind == "version":
            direct[point.target] = direct.get(point.target, 0) + point.count
        elif point.kind == "latest":
            direct["$LATEST"] = direct.get("$LATEST", 0) + point.count
        elif point.kind == "alias" and point.executed is not None:
            alias[point.target] = alias.get(point.target, 0) + point.count
            key = (point.target, point.executed)
            executed[key] = executed.get(key, 0) + point.count
    return Seen(total, direct, alias, executed)


def protections(
    function: LiveFunction,
    version: LiveVersion,
    settings: list[Rules],
    metrics: list[Datapoint],
    now: datetime,
) -> set[str]:
    """Every reason that keeps `version` under any of `settings`; empty: safe to delete at `now`."""
    if not version.snapstart:
        return {"not_snapstart"}
    window = max(s.lookback_days for s in settings)
    seen = traffic(metrics, function.region, function.name, now - timedelta(days=window), now)
    # Traffic attribution: every present version's and alias's series, and $LATEST's.
    explained = sum(seen.direct.get(str(v.number), 0) for v in function.versions)
    explained += seen.direct.get("$LATEST", 0) + sum(seen.alias.get(a, 0) for a in function.aliases)
    used = seen.direct.get(str(version.number), 0) + sum(
        seen.executed.get((a, version.number), 0) for a in function.aliases
    )
    reasons: set[str] = set()
    if any(version.number == a.primary or version.number in a.weights for a in function.aliases.values()):
        reasons.add("alias_protected")
    if function.mappings.get(version.number):
        reasons.add("event_source_mapping_protected")
    if version.number in function.policies:
        reasons.add("resource_policy_protected")
    if used > 0:
        reasons.add("has_recent_invocations")
    if seen.function_level > explained:
        reasons.add("function_level_activity_uncertain")
    newest_first = sorted((v.number for v in function.versions), reverse=True)
    for rule in settings:
        if rule.excluded(function.name):
            reasons.add("excluded_by_filter")
        keep_last_n, min_age = rule.thresholds(function.name)
        if version.last_modified > now or (now - version.last_modified) // timedelta(days=1) < min_age:
            reasons.add("too_recent")
        if version.number in newest_first[:keep_last_n]:
            reasons.add("protected_kept_last_n")
        if rule.protect_tag in function.tags:
            reasons.add("tag_protected")
    return reasons


# --- the plan's cap ------------------------------------------------------------------------------------

# README "Settings": the cache is priced per GB-second of memory, one price per region (the campaign's
# second region at the first's price, or at a multiple of it set in [tool.cleaner.cache_prices]), and
# Java has no cache charge. So what deleting a version saves a month is proportional to its memory and
# its region's price, or nothing: the order (and the ties) the cap takes versions in.

# The settings' default cap (README "Settings").
DEFAULT_MAX_DELETIONS = 500
# Kept only by what the scan reads last, in savings rank order (its function's aliases, its own
# resource policy; the state, which the campaign's versions never leave Active): a version a full plan
# may leave unchecked.
LAST_CHECKS = {"alias_protected", "resource_policy_protected"}


def monthly_savings(function: LiveFunction, price_factors: Mapping[str, float]) -> float:
    """What deleting one of the function's versions saves a month, in units of the first region's
    price of one GB for a month (`price_factors`: a region's price as a multiple of it; 1 if absent)."""
    if function.runtime.startswith("java"):
        return 0.0
    return function.memory_mb / 1024 * price_factors.get(function.region, 1.0)


def plan_cap(safe_savings: list[float], cap: int | None) -> list[float]:
    """The savings of the versions a plan proposes when `safe_savings` are the safe versions' savings:
    all of them within the cap, else the `cap` largest (ties among equal savings may go either way, the
    sum cannot)."""
    limit = DEFAULT_MAX_DELETIONS if cap is None else cap
    return sorted(safe_savings, reverse=True)[:limit]
