"""Alias discovery: ListAliases (one control-plane call per function), only for the functions that still
hold a candidate once their traffic is known: `alias_protected`, and usage read again wherever the
aliases it returns differ from the names usage was read with, so a candidate is judged exactly as if
aliases had been listed first."""

from __future__ import annotations

from cleaner.scan.context import RegionContext
from cleaner.scan.ledger import ByFunction, Ledger, Pair, by_function
from cleaner.scan.usage import UsageRead, reread_with_listed_aliases


def list_aliases(context: RegionContext, ledger: Ledger, read: UsageRead, grouped: ByFunction) -> list[str]:
    """ListAliases for these functions (one call each); records alias protection on every version.

    Returns the functions whose listing succeeded (a failure keeps that function's candidates)."""
    context.progress(f"{context.region}: listing aliases of {len(grouped)} functions")
    names = list(grouped)
    listed = []
    for name, result in zip(names, context.concurrently(context.inventory.list_aliases, names), strict=True):
        function, candidates = grouped[name]
        if isinstance(result, BaseException):
            ledger.fail(candidates, "lambda:ListAliases", result)
            continue
        read.aliases[name] = result
        listed.append(name)
        for version in function.versions:
            routes = [d for alias in result if (d := alias.describe_target(str(version.version)))]
            ledger.set([version], aliases=tuple(routes))
    return listed


def check_aliases(context: RegionContext, ledger: Ledger, survivors: list[Pair], read: UsageRead) -> None:
    """First the functions usage left pending (read again with their listed aliases), then every other
    function still holding a candidate (read again where its aliases differ from those usage used)."""
    if read.pending:
        listed = list_aliases(context, ledger, read, read.pending)
        reread_with_listed_aliases(context, ledger, read, read.pending, listed)
        survivors = ledger.survivors()
        if not survivors:
            return
    grouped = {name: pair for name, pair in by_function(survivors).items() if name not in read.aliases}
    listed = list_aliases(context, ledger, read, grouped)
    differ = [
        name
        for name in listed
        if name in read.busy
        and frozenset(alias.name for alias in read.aliases[name]) != read.alias_names.get(name)
    ]
    reread_with_listed_aliases(context, ledger, read, grouped, differ)
