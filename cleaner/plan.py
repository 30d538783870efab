"""The plan: pydantic models of plan.json (schema_version 1), how a plan is built, read and written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from cleaner.aws_names import (
    QUALIFIED_ARN,
    AccountId,
    CodeSha256,
    FunctionName,
    FunctionState,
    QualifiedFunctionArn,
    Region,
    Runtime,
    VersionNumber,
    shown,
)
from cleaner.cost import total_usd
from cleaner.exit_codes import BadInputError
from cleaner.jsonlines import line_for, locate_lines
from cleaner.plan_pricing import Pricing as Pricing  # re-exported: part of the plan model
from cleaner.plan_pricing import RegionPrice as RegionPrice
from cleaner.reasons import Reason, sort_reasons
from cleaner.savings import Savings
from cleaner.settings import ApplyLimits, ScanSettings

SCHEMA_VERSION = 1
PLAN_JSON = "plan.json"
PLAN_MD = "plan.md"

# A plan id names a folder under plans/: keep it to one safe path segment.
_PLAN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a time zone (e.g. Z)")
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlanEntry(_Strict):
    region: Region
    function_name: FunctionName
    version: VersionNumber
    function_arn: QualifiedFunctionArn  # naming this entry's region, function and version (below)
    runtime: Runtime | None  # None: a container image has no runtime
    memory_mb: int = Field(ge=128, le=10240)
    last_modified: UtcDatetime
    age_days: int = Field(ge=0)
    state: FunctionState | None  # None: not looked up, because a cheaper check already kept it
    code_sha256: CodeSha256
    last_invoked: UtcDatetime | None
    # Invocations (direct + alias-routed) in the lookback window; null when usage was not looked up
    # because a cheaper check already kept the version.
    invocations_in_window: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    estimated_monthly_cost_usd: float = Field(ge=0, allow_inf_nan=False)
    reasons: list[Reason] = Field(min_length=1)
    details: list[str] = Field(default_factory=list)
    # The version's deployment package (`CodeSize` in the listing), counted toward the region's code
    # storage limit; null in plans written before it was recorded.
    code_size_bytes: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _arn_names_this_version(self) -> PlanEntry:
        match = QUALIFIED_ARN.fullmatch(self.function_arn)
        if not match:  # checked by its type already; kept so `match` is never None below
            # Lambda's longest qualified ARN is about 170 characters: show all of one, cut only absurd values.
            raise ValueError(
                f"function_arn {shown(self.function_arn, 200)} is not a qualified Lambda version ARN"
            )
        if (match["region"], match["name"], match["version"]) != (
            self.region,
            self.function_name,
            self.version,
        ):
            raise ValueError("function_arn does not match region, function_name and version")
        if sort_reasons(self.reasons) != self.reasons:
            raise ValueError("reasons must be listed once each, in the documented order")
        return self

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.region, self.function_name, int(self.version))

    @property
    def label(self) -> str:
        return f"{self.function_name}:{self.version} ({self.region})"


class Summary(_Strict):
    delete_count: int = Field(ge=0)
    keep_count: int = Field(ge=0)
    functions_with_deletions: int = Field(ge=0)
    estimated_monthly_savings_usd: float = Field(ge=0, allow_inf_nan=False)
    estimated_monthly_cost_kept_usd: float = Field(ge=0, allow_inf_nan=False)
    keep_reasons: dict[Reason, int]
    # Would-be candidates whose state and resource policy the scan never read because the plan was full
    # (kept `not_checked_plan_full`): up to this many more may qualify in the next plan. 0 in plans
    # written before the scan stopped at the cap.
    not_checked_count: int = Field(default=0, ge=0)


class PlanConflict(ValueError):
    """A plan-level rule broken at one place; `path` locates it, for the error's line number."""

    def __init__(self, path: tuple[str | int, ...], message: str, problem: str) -> None:
        super().__init__(message)
        self.path = path
        self.problem = problem


class EntryConflict(PlanConflict):
    """A plan-level rule broken by one entry."""

    def __init__(self, section: str, index: int, entry: PlanEntry, problem: str) -> None:
        super().__init__((section, index), f"{section}[{index}] {entry.label}: {problem}", problem)


class Plan(_Strict):
    schema_version: Literal[1]
    plan_id: str = Field(pattern=f"^{_PLAN_ID.pattern}$")
    created_at: UtcDatetime
    account_id: AccountId
    regions: list[Region]
    settings: ScanSettings
    pricing: Pricing
    summary: Summary
    # The repository's apply limits when the scan ran, for the review page's "On merge" box only: apply
    # enforces its own settings from the default branch and never reads these (nor can a review edit
    # them: validate keeps them as the scan wrote them). None in plans written before they were shown.
    apply_limits: ApplyLimits | None = None
    # What the plan is worth beyond the estimate (cleaner.savings): code storage by region, the cache
    # bill from Cost Explorer and earlier merged plans. None in plans written before they were read.
    savings: Savings | None = None
    warnings: list[str] = Field(default_factory=list)
    delete: list[PlanEntry]
    keep: list[PlanEntry]

    @model_validator(mode="after")
    def _entries_are_consistent(self) -> Plan:
        seen: set[tuple[str, str, int]] = set()
        for section in ("delete", "keep"):
            for index, entry in enumerate(getattr(self, section)):
                if entry.key in seen:
                    raise EntryConflict(section, index, entry, "listed more than once")
                seen.add(entry.key)
                arn_account = entry.function_arn.split(":")[4]
                if arn_account != self.account_id:
                    raise EntryConflict(
                        section,
                        index,
                        entry,
                        f"function_arn is in account {arn_account}, the plan is for {self.account_id}",
                    )
                if entry.region not in self.regions:
                    raise EntryConflict(
                        section, index, entry, f"region {entry.region} is not among the plan's regions"
                    )
                deletes = entry.reasons == [Reason.NO_ACTIVITY_AND_STALE]
                if section == "delete" and not deletes:
                    raise EntryConflict(
                        section, index, entry, "a deletion must have exactly the reason no_activity_and_stale"
                    )
                if section == "keep" and Reason.NO_ACTIVITY_AND_STALE in entry.reasons:
                    raise EntryConflict(
                        section, index, entry, "a kept version cannot carry no_activity_and_stale"
                    )
        return self

    @model_validator(mode="after")
    def _every_region_has_one_price(self) -> Plan:
        # {}: a plan from before per-region prices, whose one price is every region's.
        priced = set(self.pricing.regions)
        if priced and priced != set(self.regions):
            problem = (
                f"prices {', '.join(sorted(priced))}; the plan's regions are"
                f" {', '.join(self.regions) or 'none'}"
            )
            raise PlanConflict(("pricing", "regions"), f"pricing.regions {problem}", problem)
        return self

    @model_validator(mode="after")
    def _storage_is_of_the_plans_regions(self) -> Plan:
        stored = set(self.savings.storage) if self.savings else set()
        if stored - set(self.regions):
            others = ", ".join(sorted(stored - set(self.regions)))
            problem = f"storage of {others}: not among the plan's regions"
            raise PlanConflict(("savings", "storage"), f"savings.storage {problem}", problem)
        return self

    def with_derived_summary(self) -> Plan:
        return self.model_copy(update={"summary": summarize(self.delete, self.keep)})


def summarize(delete: list[PlanEntry], keep: list[PlanEntry]) -> Summary:
    keep_reasons: dict[Reason, int] = {}
    for reason in sort_reasons({r for entry in keep for r in entry.reasons}):
        keep_reasons[reason] = sum(reason in entry.reasons for entry in keep)
    return Summary(
        delete_count=len(delete),
        keep_count=len(keep),
        functions_with_deletions=len({(e.region, e.function_name) for e in delete}),
        estimated_monthly_savings_usd=total_usd([e.estimated_monthly_cost_usd for e in delete]),
        estimated_monthly_cost_kept_usd=total_usd([e.estimated_monthly_cost_usd for e in keep]),
        keep_reasons=keep_reasons,
        not_checked_count=sum(Reason.NOT_CHECKED_PLAN_FULL in entry.reasons for entry in keep),
    )


def sort_entries(entries: list[PlanEntry]) -> list[PlanEntry]:
    """Stable order, so two scans of the same account diff cleanly."""
    return sorted(entries, key=lambda e: e.key)


def default_plan_id(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def validate_plan_id(plan_id: str) -> str:
    if not plan_id:
        raise BadInputError("--plan-id '': empty; leave the flag out for an id from the scan's UTC time")
    if not _PLAN_ID.fullmatch(plan_id):
        raise BadInputError(f"--plan-id {plan_id!r}: use letters, digits, '.', '_' and '-' only")
    return plan_id


# --- reading -----------------------------------------------------------------------------------------


def parse_plan(text: str, source: str) -> Plan:
    """Parse plan.json text; errors name the file, the line and (for schema errors) entry and field."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInputError(f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from error
    if isinstance(document, dict) and isinstance(document.get("schema_version"), str):
        line = line_for(locate_lines(text), ("schema_version",))
        raise BadInputError(
            f"{source}:{line}: schema_version must be the number {SCHEMA_VERSION}, not the string"
            f" {json.dumps(document['schema_version'])}"
        )
    if isinstance(document, dict) and document.get("schema_version") not in (None, SCHEMA_VERSION):
        raise BadInputError(
            f"{source}: unsupported schema_version {document['schema_version']!r}"
            f" (this version of snapstart-cleaner reads {SCHEMA_VERSION})"
        )
    try:
        # Strict: a reviewer's "1024" for 1024 or true for 1 is an error, not silently coerced.
        return Plan.model_validate_json(text, strict=True)
    except ValidationError as error:
        raise BadInputError(describe_plan_errors(error, text, document, source)) from error


def describe_plan_errors(error: ValidationError, text: str, document: object, source: str) -> str:
    lines = locate_lines(text)
    messages = []
    for detail in error.errors():
        path = tuple(detail["loc"])
        message = detail["msg"]
        cause = detail.get("ctx", {}).get("error")
        if isinstance(cause, PlanConflict):
            # Raised on the whole plan, about one part of it: point at that part, not at line 1.
            path, message = (*path, *cause.path), cause.problem
        line = line_for(lines, path)
        messages.append(f"{source}:{line}: {_describe_path(path, document)}: {message}")
    return "\n".join(messages)


def _describe_path(path: tuple[str | int, ...], document: object) -> str:
    if not path:
        return "plan"
    text = str(path[0])
    node = document.get(path[0]) if isinstance(document, dict) else None
    for part in path[1:]:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and "function_name" in node:
                # Escaped: the text comes from the file, and one error must stay one line.
                label = f"{node.get('function_name')}:{node.get('version')}"
                text += f" ({label.encode('unicode_escape').decode('ascii')})"
        else:
            text += f".{part}"
            node = node.get(part) if isinstance(node, dict) else None
    return text


def load_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise BadInputError(f"{path}: no such plan file") from error
    except IsADirectoryError as error:
        raise BadInputError(
            f"{path}: a folder, not a plan file: give its {PLAN_JSON} ({path / PLAN_JSON})"
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(f"{path}: cannot read: {error}") from error
    return parse_plan(text, str(path))


# --- writing -----------------------------------------------------------------------------------------


def plan_json_chunks(plan: Plan) -> Iterator[str]:
    """plan.json in pieces: the same text as `model_dump_json(indent=2)`, one entry at a time, so a
    plan of 100,000 entries is never held as one string on top of the plan itself."""
    tail = '  "delete": [],\n  "keep": []\n}'
    head = plan.model_copy(update={"delete": [], "keep": []}).model_dump_json(indent=2)
    if not head.endswith(tail):  # the entry lists must stay the last fields of Plan
        raise AssertionError("Plan's last fields must be delete and keep")
    yield head[: -len(tail)]
    for name, entries, closing in (("delete", plan.delete, ",\n"), ("keep", plan.keep, "\n")):
        if not entries:
            yield f'  "{name}": []{closing}'
            continue
        yield f'  "{name}": [\n'
        for index, entry in enumerate(entries):
            separator = ",\n" if index < len(entries) - 1 else "\n"
            yield "    " + entry.model_dump_json(indent=2).replace("\n", "\n    ") + separator
        yield f"  ]{closing}"
    yield "}\n"


def plan_json_text(plan: Plan) -> str:
    return "".join(plan_json_chunks(plan))


def _write_temporary(path: Path, text: str | Iterable[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as file:
            file.writelines([text] if isinstance(text, str) else text)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_text_atomically(path: Path, text: str | Iterable[str]) -> None:
    _write_temporary(path, text).replace(path)


def write_plan_files(plan_dir: Path, plan: Plan, markdown: str | Iterable[str]) -> tuple[Path, Path]:
    """Write plan.json and plan.md (streamed) to temporary files and only then put both in place, so
    a failure while rendering leaves no half-written plan."""
    json_path, md_path = plan_dir / PLAN_JSON, plan_dir / PLAN_MD
    written: list[Path] = []
    try:
        written.append(_write_temporary(json_path, plan_json_chunks(plan)))
        written.append(_write_temporary(md_path, markdown))
    except BaseException:
        for temporary in written:
            temporary.unlink(missing_ok=True)
        raise
    written[0].replace(json_path)
    written[1].replace(md_path)
    return json_path, md_path
