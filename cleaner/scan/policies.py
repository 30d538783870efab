"""The last per-version checks: GetFunction (the state: ListFunctions omits it on AWS) and then, only
for a version that still qualifies, GetPolicy (its own resource policy; no listing exists for it).
Which versions, and in which order, is cleaner.scan.rank_order's business."""

from __future__ import annotations

from cleaner.aws.concurrency import ProgressTicker
from cleaner.aws.errors import AWS_ERRORS
from cleaner.scan.context import RegionContext
from cleaner.scan.ledger import Ledger, Pair

# What one version's checks found: its state (or the error), then its policy's statement ids (None:
# not asked, the state kept it) or the error.
Checked = tuple[str | BaseException, list[str] | BaseException | None]


def check_state_then_policy(context: RegionContext, ledger: Ledger, survivors: list[Pair]) -> None:
    """Per version, GetFunction (state) and then, only if it still qualifies, GetPolicy.

    GetPolicy comes last and only for versions every other check would delete (its quota is 15 rps
    and no listing exists for it); chaining the two per version, across the pool, keeps both of
    their separate quota buckets busy at once instead of one after the other."""
    context.progress(
        f"{context.region}: reading the state and own resource policy of {len(survivors)} versions"
    )
    ticker = ProgressTicker(f"{context.region}: state and policy checked", len(survivors), context.progress)
    results = context.concurrently(lambda pair: state_then_policy(context, ledger, pair), survivors, ticker)
    for (_, version), result in zip(survivors, results, strict=True):
        if isinstance(result, BaseException):  # not expected: state_then_policy reports its errors
            ledger.fail([version], "lambda:GetFunction", result)
            continue
        state, statements = result
        if isinstance(state, BaseException):
            ledger.fail([version], "lambda:GetFunction", state)
            continue
        ledger.set([version], state=state)
        if isinstance(statements, BaseException):
            ledger.fail([version], "lambda:GetPolicy", statements)
        elif statements is not None:
            ledger.set([version], own_policy_statements=tuple(statements))


def state_then_policy(context: RegionContext, ledger: Ledger, pair: Pair) -> Checked:
    """Runs in a worker thread: reads the ledger, returns results; the caller records them."""
    function, version = pair
    try:
        state = context.inventory.version_state(function.name, str(version.version))
    except AWS_ERRORS as error:
        return error, None
    evidence = ledger.evidence[version.key].with_(state=state)
    if not ledger.qualifies_with(function, version, evidence):
        return state, None
    try:
        return state, context.inventory.own_policy_statements(
            version.function_arn, function.name, str(version.version)
        )
    except AWS_ERRORS as error:
        return state, error
