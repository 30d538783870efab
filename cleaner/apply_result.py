"""The outcome of an apply: one pydantic model, rendered as apply-result.json and apply-result.md."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from cleaner.plan import UtcDatetime

RESULT_JSON = "apply-result.json"
RESULT_MD = "apply-result.md"


class Outcome(StrEnum):
    DELETED = "deleted"
    WOULD_DELETE = "would_delete"  # --dry-run: every check passed
    ALREADY_DELETED = "already_deleted"  # gone before we got there: success, so re-runs are idempotent
    SKIPPED = "skipped"  # drifted since the scan: no longer qualifies (reported, not an error)
    FAILED = "failed"  # the deletion failed, or a re-verification check could not be completed
    # apply was stopped (SIGINT/SIGTERM, or a journal it could not write) before this entry's deletion
    # started: nothing was done to it; a re-run of the plan picks it up.
    NOT_ATTEMPTED = "not_attempted"


class EntryResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str
    function_name: str
    version: str
    outcome: Outcome
    # Why it was skipped or failed: `version_changed`, `invoked_since_scan`, or a reason flag.
    reasons: list[str] = Field(default_factory=list)
    message: str = ""  # details, or AWS's own message
    seconds: float = 0.0  # time spent deleting this entry

    @property
    def label(self) -> str:
        return f"{self.function_name}:{self.version} ({self.region})"


class ApplyResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: str
    plan_path: str
    account_id: str
    dry_run: bool
    started_at: UtcDatetime
    finished_at: UtcDatetime
    approval: str | None = None  # how the approval was established, with --require-approval
    # When the page the reviewers approved said another mode than the one apply ran in (the variable
    # SNAPSTART_DRY_RUN changed between the pull request and the merge): what changed.
    mode_note: str | None = None
    stopped: str | None = None  # why apply stopped early (e.g. SIGTERM), when it did
    entries: list[EntryResult]
    counts: dict[Outcome, int] = Field(default_factory=dict)
    verify_seconds: float = 0.0
    delete_seconds: float = 0.0
    deletions_per_second: float | None = None

    @property
    def failed(self) -> bool:
        return any(entry.outcome in (Outcome.FAILED, Outcome.NOT_ATTEMPTED) for entry in self.entries)


def count_outcomes(entries: list[EntryResult]) -> dict[Outcome, int]:
    return {outcome: n for outcome in Outcome if (n := sum(e.outcome is outcome for e in entries))}
