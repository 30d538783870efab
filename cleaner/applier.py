"""The apply: plan -> re-verify each entry against live AWS -> delete -> result.

Re-verification is batched like the scan: one version listing and one alias listing per function, one
event-source-mapping and one tag listing per region, CloudWatch in 500-series batches, and GetPolicy
last, only for entries everything else would still delete. Deletions share the control-plane limiter.
One entry's failure never stops the others.

Each deletion is announced to the journal before its call and each outcome reported once known (the
journal makes both durable before returning). A stop request (a signal) or a journal that cannot be
written stops new deletions: every entry not yet started ends `not_attempted`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from cleaner.apply_result import EntryResult, Outcome
from cleaner.aws.concurrency import ProgressTicker, run_concurrently
from cleaner.aws.errors import AWS_ERRORS, describe, error_code, is_not_found
from cleaner.aws.lambda_inventory import RegionInventory, protected_function_arns
from cleaner.aws.metrics import MetricsReader
from cleaner.aws.session import AwsContext
from cleaner.aws.usage_probe import UsageTarget, gather_usage
from cleaner.cancellation import StopRequest
from cleaner.inventory import Alias, Evidence, Function, VersionKey
from cleaner.plan import Plan, PlanEntry
from cleaner.policy import still_candidate
from cleaner.reverify import NOT_REVERIFIED, Verdict, find_live_version, reverify
from cleaner.settings import ScanSettings

Progress = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")

# AWS refuses these deletions itself; that is a safe outcome, reported with AWS's message.
AWS_REFUSED = "aws_refused"
_REFUSAL_CODES = frozenset({"ResourceConflictException"})
JOURNAL_WRITE_FAILED = "journal_write_failed"


class Journal(Protocol):
    """Where the applier records as it goes. Both calls return only once the record is durable, and
    raise OSError when it cannot be made so."""

    def attempt(self, entry: PlanEntry) -> None: ...

    def outcome(self, result: EntryResult) -> None: ...


class NoJournal:
    """For callers that keep no journal (benchmarks, tests of the checks)."""

    def attempt(self, entry: PlanEntry) -> None:
        pass

    def outcome(self, result: EntryResult) -> None:
        pass


@dataclass
class _Pending:
    entry: PlanEntry
    live: Function
    inventory: RegionInventory
    evidence: Evidence = field(default_factory=Evidence)


@dataclass
class Applier:
    aws: AwsContext
    plan: Plan
    settings: list[ScanSettings]  # the plan's and the repository's: an entry is kept if either keeps it
    now: datetime
    dry_run: bool
    progress: Progress
    journal: Journal = field(default_factory=NoJournal)
    stop: StopRequest = field(default_factory=StopRequest)
    verify_seconds: float = 0.0
    delete_seconds: float = 0.0
    # Set (once, by whichever worker saw it first) when the journal could not be written.
    journal_error: str | None = None

    @property
    def stopped_by(self) -> str | None:
        """Why entries may have been left unattempted: the stop request's reason, or the journal."""
        if self.stop.reason is not None:
            return self.stop.reason
        if self.journal_error is not None:
            return f"the apply journal could not be written ({self.journal_error})"
        return None

    def run(self) -> list[EntryResult]:
        started = time.monotonic()
        results: dict[tuple[str, str, int], EntryResult] = {}
        pending: list[_Pending] = []
        for region in sorted({entry.region for entry in self.plan.delete}):
            entries = [entry for entry in self.plan.delete if entry.region == region]
            if self._stopping():
                for entry in entries:
                    results[entry.key] = self._record(self._not_attempted(entry))
                continue
            decided, undecided = self._verify_region(region, entries)
            pending += undecided
            for entry, verdict in decided:
                results[entry.key] = self._record(
                    _result(entry, verdict.outcome or Outcome.FAILED, verdict.reasons, verdict.message)
                )
        self.verify_seconds = time.monotonic() - started
        self.progress(
            f"re-verified {len(self.plan.delete)} entries against live AWS (versions, aliases, mappings,"
            f" tags, usage); {len(pending)} still qualify and go on to their resource-policy check and"
            " deletion"
        )

        # The last check (GetPolicy, its own quota) and the deletion (control plane) run back to back per
        # entry: the two quota buckets are used in parallel, and each deletion follows its checks at once.
        started = time.monotonic()
        ticker = ProgressTicker("entries checked and deleted", len(pending), self.progress)
        outcomes = run_concurrently(
            self._finish_and_record, pending, self.aws.performance.max_workers, ticker
        )
        for item, outcome in zip(pending, outcomes, strict=True):
            # _finish_and_record turns AWS errors into results itself; this is the last safety net.
            results[item.entry.key] = (
                self._record(_result(item.entry, Outcome.FAILED, ("delete_failed",), str(outcome)))
                if isinstance(outcome, BaseException)
                else outcome
            )
        self.delete_seconds = time.monotonic() - started
        return [results[entry.key] for entry in self.plan.delete]

    # --- re-verification -----------------------------------------------------------------------------

    def _verify_region(
        self, region: str, entries: list[PlanEntry]
    ) -> tuple[list[tuple[PlanEntry, Verdict]], list[_Pending]]:
        """Batched checks; returns entries already decided, and those still qualifying so far."""
        inventory = RegionInventory(self.aws.client("lambda", region), region)
        decided: list[tuple[PlanEntry, Verdict]] = []
        names = sorted({entry.function_name for entry in entries})
        live: dict[str, Function | None] = {}
        for name, found in zip(names, self._concurrently(inventory.list_versions, names), strict=True):
            if isinstance(found, BaseException):
                message = describe(found, "lambda:ListVersionsByFunction")
                decided += [(e, _incomplete(message)) for e in entries if e.function_name == name]
                continue
            live[name] = found
        pending: list[_Pending] = []
        for entry in entries:
            if entry.function_name not in live:
                continue
            function = live[entry.function_name]
            early = find_live_version(entry, function)
            if early is not None:
                decided.append((entry, early))
            else:
                assert function is not None  # find_live_version handled a vanished function
                pending.append(_Pending(entry, function, inventory))
        if pending:
            self._gather_evidence(region, inventory, pending)
        return decided, pending

    def _gather_evidence(self, region: str, inventory: RegionInventory, pending: list[_Pending]) -> None:
        functions = {item.live.name: item.live for item in pending}

        def fail(items: list[_Pending], permission: str, error: BaseException) -> None:
            message = describe(error, permission)
            for item in items:
                item.evidence = item.evidence.failed(message)

        # Protect tags: the plan's and the repository's keys, one listing each.
        tagged: set[str] = set()
        try:
            tagging = self.aws.client("resourcegroupstaggingapi", region)
            for tag in sorted({s.protect_tag for s in self.settings}):
                tagged |= {arn.rsplit(":", 1)[-1] for arn in protected_function_arns(tagging, tag)}
        except AWS_ERRORS as error:
            fail(pending, "tag:GetResources", error)
        else:
            for item in pending:
                item.evidence = item.evidence.with_(tag_protected=item.live.name in tagged)

        aliases: dict[str, list[Alias]] = {}
        names = sorted(functions)
        for name, found in zip(names, self._concurrently(inventory.list_aliases, names), strict=True):
            items = [item for item in pending if item.live.name == name]
            if isinstance(found, BaseException):
                fail(items, "lambda:ListAliases", found)
                continue
            aliases[name] = found
            for item in items:
                routes = [d for alias in found if (d := alias.describe_target(item.entry.version))]
                item.evidence = item.evidence.with_(aliases=tuple(routes))

        try:
            mappings = inventory.event_source_mappings_by_version()
        except AWS_ERRORS as error:
            fail(pending, "lambda:ListEventSourceMappings", error)
        else:
            for item in pending:
                found_mappings = mappings.get((item.live.name, item.entry.version), [])
                item.evidence = item.evidence.with_(event_source_mappings=tuple(found_mappings))

        # Usage over the whole lookback window ending now (datapoints arrive late), and over the longer of
        # the plan's and the repository's lookbacks: a plan cannot narrow the window it is checked over.
        reader = MetricsReader(self.aws.client("cloudwatch", region), self.aws.performance.max_workers)
        lookback = timedelta(days=self.lookback_days)
        targets = [UsageTarget(functions[name], aliases[name]) for name in names if name in aliases]
        findings = gather_usage(reader, targets, self.now - lookback, self.now)
        for item in pending:
            key = (region, item.live.name)
            if key in findings.errors:
                item.evidence = item.evidence.failed(findings.errors[key])
            elif key in findings.unattributed:
                item.evidence = item.evidence.with_(
                    usage=findings.usage[VersionKey(region, item.live.name, item.entry.version)],
                    unattributed_function_invocations=findings.unattributed[key],
                )

    @property
    def lookback_days(self) -> int:
        return max(s.effective_lookback_days for s in self.settings)

    # --- recording and stopping --------------------------------------------------------------------------

    def _stopping(self) -> bool:
        return self.stop.is_set() or self.journal_error is not None

    def _not_attempted(self, entry: PlanEntry) -> EntryResult:
        return _result(
            entry, Outcome.NOT_ATTEMPTED, (), f"apply stopped before this entry: {self.stopped_by}"
        )

    def _record(self, result: EntryResult) -> EntryResult:
        """Journal an outcome; a journal that cannot be written stops every later deletion (a deletion
        that could not be recorded must not be followed by more)."""
        try:
            self.journal.outcome(result)
        except OSError as error:
            self._journal_failed(error)
        return result

    def _journal_failed(self, error: OSError) -> None:
        if self.journal_error is None:
            self.journal_error = error.strerror or str(error)
            self.progress(f"the apply journal cannot be written ({self.journal_error}): no new deletion")

    def _finish_and_record(self, item: _Pending) -> EntryResult:
        """One entry from its last check to its journaled outcome, all in one worker, so the outcome is
        durable before this worker starts another deletion."""
        try:
            result = self._finish(item)
        except AWS_ERRORS as error:
            result = _result(item.entry, Outcome.FAILED, ("delete_failed",), str(error))
        return self._record(result)

    def _finish(self, item: _Pending) -> EntryResult:
        """GetPolicy last (own 15-rps quota), only where everything else would still delete; then the
        final verdict and, unless this is a dry run, the deletion."""
        if self._stopping():
            return self._not_attempted(item.entry)
        if self._still_qualifies(item):
            try:
                statements = item.inventory.own_policy_statements(
                    item.entry.function_arn, item.live.name, item.entry.version
                )
            except AWS_ERRORS as error:
                item.evidence = item.evidence.failed(describe(error, "lambda:GetPolicy"))
            else:
                item.evidence = item.evidence.with_(own_policy_statements=tuple(statements))
        verdict = reverify(item.entry, item.live, item.evidence, self.settings, self.now)
        if verdict.outcome is not None:
            return _result(item.entry, verdict.outcome, verdict.reasons, verdict.message)
        if self.dry_run:
            return _result(item.entry, Outcome.WOULD_DELETE, (), "every check passed (dry run)")
        return self._delete(item.entry, item.inventory)

    def _still_qualifies(self, item: _Pending) -> bool:
        version = next(v for v in item.live.versions if str(v.version) == item.entry.version)
        return all(
            still_candidate(item.live, version, item.evidence, s, self.now, not_required=NOT_REVERIFIED)
            for s in self.settings
        )

    # --- deletion ------------------------------------------------------------------------------------

    def _delete(self, entry: PlanEntry, inventory: RegionInventory) -> EntryResult:
        # Checked again: a stop may have come while this entry's GetPolicy was in flight.
        if self._stopping():
            return self._not_attempted(entry)
        try:
            self.journal.attempt(entry)
        except OSError as error:
            self._journal_failed(error)
            return _result(
                entry, Outcome.FAILED, (JOURNAL_WRITE_FAILED,), f"not deleted: {self.journal_error}"
            )
        started = time.monotonic()
        try:
            inventory.delete_version(entry.function_name, entry.version)
        except AWS_ERRORS as error:
            seconds = time.monotonic() - started
            message = describe(error, "lambda:DeleteFunction")
            if is_not_found(error) and _retried(error):
                # The version was there at re-verification a moment ago, and an earlier attempt of this
                # very call may have deleted it and lost the answer (a 5xx or a timeout on the way back):
                # count it as this run's deletion, or the record would miss a version this run deleted.
                return _result(
                    entry, Outcome.DELETED, (), f"an attempt's answer was lost; retry: {message}", seconds
                )
            if is_not_found(error):
                return _result(entry, Outcome.ALREADY_DELETED, (), message, seconds)
            if error_code(error) in _REFUSAL_CODES or "replicated" in message.lower():
                return _result(entry, Outcome.SKIPPED, (AWS_REFUSED,), message, seconds)
            return _result(entry, Outcome.FAILED, ("delete_failed",), message, seconds)
        return _result(entry, Outcome.DELETED, (), "", time.monotonic() - started)

    def _concurrently(self, work: Callable[[T], R], items: list[T]) -> list[R | BaseException]:
        return run_concurrently(work, items, self.aws.performance.max_workers)


def _retried(error: BaseException) -> bool:
    """Did botocore retry the call before this answer?"""
    metadata = getattr(error, "response", {}).get("ResponseMetadata", {})
    return int(metadata.get("RetryAttempts", 0)) > 0


def _incomplete(message: str) -> Verdict:
    return Verdict(Outcome.FAILED, ("check_incomplete",), message)


def _result(
    entry: PlanEntry, outcome: Outcome, reasons: tuple[str, ...], message: str, seconds: float = 0.0
) -> EntryResult:
    return EntryResult(
        region=entry.region,
        function_name=entry.function_name,
        version=entry.version,
        outcome=outcome,
        reasons=list(reasons),
        message=message,
        seconds=round(seconds, 4),
    )
