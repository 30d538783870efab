"""Alias discovery: ListAliases (one control-plane call per function): `alias_protected`, and usage read
again wherever the aliases it returns differ from the names usage was read with, so a candidate is
judged exactly as if aliases had been listed first.

Two moments: the functions usage left pending are listed right after usage (their traffic cannot be
judged without them); every other function is listed in the last stage, when one of its would-be
candidates comes up in savings rank order (cleaner.scan.rank_order), so a scan lists the aliases of the
functions its capped plan can reach, not of every function still holding a candidate."""

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


def settle_pending(context: RegionContext, ledger: Ledger, read: UsageRead) -> None:
    """The functions usage left pending: aliases listed, usage read again with them."""
    if read.pending:
        listed = list_aliases(context, ledger, read, read.pending)
        reread_with_listed_aliases(context, ledger, read, read.pending, listed)


def check_aliases(context: RegionContext, ledger: Ledger, survivors: list[Pair], read: UsageRead) -> None:
    """The functions of these would-be candidates whose aliases are not listed yet: listed, and usage
    read again where their aliases differ from those usage used (a function with traffic only)."""
    grouped = {name: pair for name, pair in by_function(survivors).items() if name not in read.aliases}
    if not grouped:
        return
    listed = list_aliases(context, ledger, read, grouped)
    differ = [
        name
        for name in listed
        if name in read.busy
        and frozenset(alias.name for alias in read.aliases[name]) != read.alias_names.get(name)
    ]
    reread_with_listed_aliases(context, ledger, read, grouped, differ)
