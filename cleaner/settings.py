"""Settings: `[tool.cleaner]` in pyproject.toml, overridden by CLI flags and workflow inputs.

`ScanSettings` is what a scan decides with; it is copied into every plan. The limits that protect an
apply (`ApplyLimits`) are deliberately *not* part of a plan: a reviewer can edit a plan, so those limits
come from the repository's settings and flags only.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cleaner.accounts import Account, check_unique_ids
from cleaner.aws_names import FunctionGlob, Region, TagKey
from cleaner.exit_codes import BadInputError
from cleaner.prices import US_EAST_1_CACHE_PRICE_PER_GB_SECOND

DEFAULT_PROTECT_TAG = "snapstart-cleaner:keep"
# The price of a region with neither a `cache_prices` setting nor a published rate in cleaner.prices:
# AWS's us-east-1 rate for the SnapStart cache of Python and .NET (USD per GB-second).
DEFAULT_CACHE_PRICE_PER_GB_SECOND = US_EAST_1_CACHE_PRICE_PER_GB_SECOND

# GitHub logins: letters, digits and single hyphens; apps end in [bot].
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
# CloudWatch keeps hourly datapoints for 455 days: no usage window can reach further back.
MAX_LOOKBACK_DAYS = 455


CachePrice = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    # strict: a TOML value of the wrong type (`keep_last_n = true`, `min_age_days = "14"`) is an error,
    # not silently coerced.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class FunctionOverride(_Strict):
    """Per-function thresholds, chosen by the first override whose glob matches the function name."""

    functions: FunctionGlob = Field(description="glob over function names")
    keep_last_n: int | None = Field(default=None, ge=0)
    min_age_days: int | None = Field(default=None, ge=0)


class ScanSettings(_Strict):
    # The same AWS patterns as plan.json's, so a scan never writes a plan its own loader refuses.
    regions: list[Region] = Field(default_factory=list)
    min_age_days: int = Field(default=14, ge=0, le=3650)
    keep_last_n: int = Field(default=3, ge=0, le=1000)
    # None: the same as min_age_days (at most MAX_LOOKBACK_DAYS).
    lookback_days: int | None = Field(default=None, ge=1, le=MAX_LOOKBACK_DAYS)
    include: list[FunctionGlob] = Field(default_factory=list)
    exclude: list[FunctionGlob] = Field(default_factory=list)
    protect_tag: TagKey = DEFAULT_PROTECT_TAG
    overrides: list[FunctionOverride] = Field(default_factory=list)
    cache_price_per_gb_second: CachePrice = DEFAULT_CACHE_PRICE_PER_GB_SECOND
    # [tool.cleaner.cache_prices]: a region's own price, before the published table and the default
    # above (cleaner.prices.resolve_cache_price). Plans written before it existed load as {}.
    cache_prices: dict[Region, CachePrice] = Field(default_factory=dict)
    # False: versions of runtimes without a SnapStart cache charge (Java) are kept as excluded_by_filter,
    # for teams that only want the deletions that save money. Plans written before it existed load as True.
    include_uncharged_runtimes: bool = True
    # Cost Explorer (ce:GetCostAndUsage, at most two requests a scan, each billed by AWS): the account's
    # SnapStart cache bill and the change measured after earlier merged plans. False: not asked.
    cost_explorer: bool = True

    @field_validator("regions")
    @classmethod
    def _regions_once_each(cls, regions: list[str]) -> list[str]:
        return sorted(set(regions), key=regions.index)

    @property
    def effective_lookback_days(self) -> int:
        if self.lookback_days is not None:
            return self.lookback_days
        return min(max(self.min_age_days, 1), MAX_LOOKBACK_DAYS)

    def thresholds_for(self, function_name: str) -> tuple[int, int]:
        """(keep_last_n, min_age_days) for one function, after per-function overrides."""
        for override in self.overrides:
            if fnmatch.fnmatchcase(function_name, override.functions):
                return (
                    override.keep_last_n if override.keep_last_n is not None else self.keep_last_n,
                    override.min_age_days if override.min_age_days is not None else self.min_age_days,
                )
        return self.keep_last_n, self.min_age_days

    def is_excluded(self, function_name: str) -> bool:
        if self.include and not any(fnmatch.fnmatchcase(function_name, g) for g in self.include):
            return True
        return any(fnmatch.fnmatchcase(function_name, g) for g in self.exclude)


class ApplyLimits(_Strict):
    plan_max_age_days: int = Field(default=14, ge=1, le=365)
    max_deletions_per_apply: int = Field(default=500, ge=1, le=100_000)
    required_approvals: int = Field(default=1, ge=1, le=10)


class GitHubSettings(_Strict):
    pr_branch: str = Field(default="snapstart-cleaner/plan", min_length=1)
    pr_labels: list[str] = Field(default_factory=lambda: ["snapstart-cleaner"])
    reviewers: list[str] = Field(default_factory=list)
    team_reviewers: list[str] = Field(default_factory=list)
    # The GitHub App's bot login (`<app-slug>[bot]`) that opens plan PRs. Set, it pins the bot: only its
    # commits, signed by GitHub, are the bot's. Empty: the bot is the plan PR's author when that is an
    # App other than github-actions[bot]. Logins listed here never count as approvals either.
    bot_logins: list[str] = Field(default_factory=list)

    @field_validator("bot_logins")
    @classmethod
    def _logins_look_like_logins(cls, logins: list[str]) -> list[str]:
        for login in logins:
            if not _LOGIN.fullmatch(login):  # `match` let "login\n" through: `$` allows a final newline
                raise ValueError(f"{login!r} is not a GitHub login")
        return logins


class Performance(_Strict):
    # The Lambda control plane shares 15 rps per account and region with the user's deploys.
    control_plane_rps: float = Field(default=10.0, gt=0, le=15)
    get_function_rps: float = Field(default=50.0, gt=0, le=100)
    get_policy_rps: float = Field(default=10.0, gt=0, le=15)
    get_metric_data_tps: float = Field(default=25.0, gt=0, le=50)
    max_workers: int = Field(default=8, ge=1, le=64)
    # Regions scanned at once by one scan: each region has its own quotas (and its own limiter buckets
    # and worker pool), so regions never slow each other down; the bound keeps threads and connections
    # in proportion.
    max_concurrent_regions: int = Field(default=4, ge=1, le=32)
    max_attempts: int = Field(default=10, ge=1, le=20)
    # Every wait on AWS is bounded, so a hung endpoint ends as a failed check or deletion, never as a
    # job that runs until its timeout. An HTTP attempt gives up after connect + read timeout; no retry
    # starts once a call has spent `retry_budget_seconds` (throttling back-off included).
    connect_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    read_timeout_seconds: float = Field(default=30.0, gt=0, le=900)
    retry_budget_seconds: float = Field(default=120.0, ge=0, le=3600)


class Settings(_Strict):
    scan: ScanSettings = Field(default_factory=ScanSettings)
    apply: ApplyLimits = Field(default_factory=ApplyLimits)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    performance: Performance = Field(default_factory=Performance)
    plans_dir: str = "plans"
    # [[tool.cleaner.accounts]]: none means one account, the one the workflow's credentials are for.
    accounts: list[Account] = Field(default_factory=list)

    _unique_accounts = field_validator("accounts")(check_unique_ids)

    @model_validator(mode="before")
    @classmethod
    def _from_flat_table(cls, data: Any) -> Any:
        """`[tool.cleaner]` is one flat table (plus `overrides`); sort its keys into the sections."""
        if not isinstance(data, dict) or set(data) <= {
            "scan",
            "apply",
            "github",
            "performance",
            "plans_dir",
            "accounts",
        }:
            return data
        sections: dict[str, dict[str, Any]] = {"scan": {}, "apply": {}, "github": {}, "performance": {}}
        owners = {
            name: section
            for section, model in (
                ("scan", ScanSettings),
                ("apply", ApplyLimits),
                ("github", GitHubSettings),
                ("performance", Performance),
            )
            for name in model.model_fields
        }
        flat: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("plans_dir", "accounts"):
                flat[key] = value
            elif key in owners:
                sections[owners[key]][key] = value
            else:
                flat[key] = value  # unknown: let `extra="forbid"` name it
        return {**flat, **sections}

    def with_overrides(self, flags: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """A copy with CLI flags applied (None means "flag not given"); validated like the file. An
        error names the flag: `flags` maps a setting to its flag where the names differ."""
        data = self.model_dump()
        for key, value in overrides.items():
            if value is None:
                continue
            for section in ("scan", "apply", "github", "performance"):
                if key in data[section]:
                    data[section][key] = value
                    break
            else:
                data[key] = value
        try:
            return type(self).model_validate(data)
        except ValidationError as error:
            raise BadInputError(f"invalid option: {describe_flag_error(error, flags or {})}") from error


_BARE_KEY = re.compile(r"[A-Za-z0-9_]+")


def _toml_path_part(part: str | int) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    # json.dumps: a key with a quote or a line break in it stays one quoted, one-line name.
    return f".{part}" if _BARE_KEY.fullmatch(part) else f".{json.dumps(part)}"


def _setting_names() -> list[str]:
    """Every key [tool.cleaner] and its tables take, for suggesting the one a misspelt key meant."""
    models: list[type[BaseModel]] = [
        Settings,
        ScanSettings,
        ApplyLimits,
        GitHubSettings,
        Performance,
        Account,
        FunctionOverride,
    ]
    sections = {"scan", "apply", "github", "performance"}
    return sorted({name for model in models for name in model.model_fields} - sections)


def _nearest(key: str, names: list[str]) -> str | None:
    found = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return found[0] if found else None


def describe_validation_error(error: ValidationError) -> str:
    parts = []
    for detail in error.errors():
        # "[key]": pydantic's marker for a bad key of a table, which the key itself names already.
        loc = [p for p in detail["loc"] if p not in ("scan", "apply", "github", "performance", "[key]")]
        # accounts[1].scan_role_arn: an index reads as one, as in the TOML array it points into; a key
        # that is not a bare word is quoted as TOML quotes it (cache_prices."eu-west-1").
        name = "".join(_toml_path_part(p) for p in loc).lstrip(".") or "(top level)"
        message = detail["msg"]
        if detail["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            nearest = _nearest(loc[-1], _setting_names())
            message = "not a setting of snapstart-cleaner" + (
                f" (did you mean `{nearest}`?)" if nearest else ""
            )
        parts.append(f"{name}: {message}")
    return "; ".join(parts)


# Names a [tool.*] table meant for this tool may have been given by mistake.
_OUR_TABLE_LOOKALIKES = ("snapstart-cleaner", "snapstart_cleaner", "snapstartcleaner")


def _check_table_name(pyproject: Path, tool: Any) -> None:
    """A misspelt table (`[tool.cleanr]`) would be ignored: defaults apply, an `exclude` stops
    excluding. Refuse a [tool.*] table whose name is close to `cleaner` instead."""
    if not isinstance(tool, dict):
        return
    for name in tool:
        if name == "cleaner":
            continue
        lowered = name.lower()
        if lowered in _OUR_TABLE_LOOKALIKES or difflib.get_close_matches(lowered, ["cleaner"], cutoff=0.75):
            raise BadInputError(
                f"{pyproject}: [tool.{name}] is not read by snapstart-cleaner: its settings go in"
                " [tool.cleaner] (rename the table)"
            )


def describe_flag_error(error: ValidationError, flags: Mapping[str, str]) -> str:
    """`--region 'x': ...`: each error names the flag as typed and the value it was given."""
    parts = []
    for detail in error.errors():
        loc = [str(p) for p in detail["loc"] if p not in ("scan", "apply", "github", "performance")]
        key = loc[0] if loc else ""
        flag = flags.get(key, "--" + key.replace("_", "-"))
        value = detail["input"]
        shown = repr(value) if isinstance(value, str) else str(value)
        parts.append(f"{flag} {shown}: {detail['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def load_settings(pyproject: Path | None) -> Settings:
    """Read `[tool.cleaner]` from a pyproject.toml; a missing file or table means the defaults."""
    if pyproject is None or not pyproject.exists():
        return Settings()
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(f"{pyproject}: cannot read: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise BadInputError(f"{pyproject}: invalid TOML: {error}") from error
    _check_table_name(pyproject, document.get("tool", {}))
    table = document.get("tool", {}).get("cleaner", {})
    if not isinstance(table, dict):
        raise BadInputError(f"{pyproject}: [tool.cleaner] must be a table")
    try:
        return Settings.model_validate(table)
    except ValidationError as error:
        raise BadInputError(f"{pyproject}: [tool.cleaner] {describe_validation_error(error)}") from error


def account_scan_settings(scan: ScanSettings, account: Account, regions: list[str] | None) -> ScanSettings:
    """The global scan settings with one account's layer on top: its regions (unless `regions`, the
    flags, say otherwise), its overrides before the global ones (the first match wins) and its
    exclude globs added to the global ones."""
    data = scan.model_dump()
    data["regions"] = list(regions or account.regions or scan.regions)
    data["overrides"] = [o.model_dump() for o in account.overrides] + data["overrides"]
    data["exclude"] = data["exclude"] + [g for g in account.exclude if g not in data["exclude"]]
    return ScanSettings.model_validate(data)


def repository_scan_settings(
    scan: ScanSettings, accounts: list[Account], account_id: str, regions: list[str]
) -> ScanSettings:
    """What the repository says about `account_id` in `regions`: the settings apply re-verifies with
    besides the plan's, with the account's own layer when it is listed (an account that keeps fewer
    versions would otherwise see its own deletions kept by the global settings)."""
    for account in accounts:
        if account.id == account_id:
            return account_scan_settings(scan, account, regions)
    return scan.model_copy(update={"regions": regions})
