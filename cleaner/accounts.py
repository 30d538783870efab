"""Many accounts: `[[tool.cleaner.accounts]]`, one account's entry, and its plan id suffix.

An organisation lists each workload account once, with the two roles `iam-template` creates in it. A
scan job scans one account (`scan --account-id ID`) with the global settings plus that account's own
`overrides` and `exclude` (`cleaner.settings.account_scan_settings`); it writes
`plans/<run-plan-id>-<account-id>/` (one plan per account and region for an account scanned per
region). No accounts listed means one account, from the workflow's variables, exactly as before.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cleaner.aws_names import AccountId, FunctionGlob, Region, shown
from cleaner.exit_codes import BadInputError

# IAM's role ARN: partition, account, then a role path and name of [\w+=,.@-] (path segments end in /).
ROLE_ARN = re.compile(
    r"arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):role/(?:[A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}"
)
# A display name: it reaches the PR body and job names, so only characters that mean nothing there.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._()-]{0,63}")


def _role_arn(value: str) -> str:
    if not ROLE_ARN.fullmatch(value):
        raise ValueError(f"{shown(value)} is not an IAM role ARN (arn:aws:iam::<account-id>:role/<name>)")
    return value


def _name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{shown(value)} is not an account name (1-64 of A-Z a-z 0-9 space . _ ( ) -)")
    return value


RoleArn = Annotated[str, AfterValidator(_role_arn)]
AccountName = Annotated[str, AfterValidator(_name)]


class AccountOverride(BaseModel):
    """`overrides` of one account: the same shape as the global ones (kept here to avoid a cycle)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    functions: FunctionGlob
    keep_last_n: int | None = Field(default=None, ge=0)
    min_age_days: int | None = Field(default=None, ge=0)


class Account(BaseModel):
    """One `[[tool.cleaner.accounts]]` entry."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: AccountId
    name: AccountName | None = None
    # None: the top-level `regions`.
    regions: list[Region] | None = None
    scan_role_arn: RoleArn
    apply_role_arn: RoleArn
    # One scan job (and one plan) per region instead of one per account: for an account large enough
    # that one job would run into the job time limit or the account's Lambda quota per region.
    split_regions: bool = False
    # On top of the global ones: an account's overrides are tried first, its exclude globs are added.
    overrides: list[AccountOverride] = Field(default_factory=list)
    exclude: list[FunctionGlob] = Field(default_factory=list)

    @model_validator(mode="after")
    def _roles_are_in_this_account(self) -> Account:
        for key in ("scan_role_arn", "apply_role_arn"):
            match = ROLE_ARN.fullmatch(getattr(self, key))
            if match and match["account"] != self.id:
                raise ValueError(f"{key} is a role of account {match['account']}, not of {self.id}")
        return self

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})" if self.name else self.id


def check_unique_ids(accounts: list[Account]) -> list[Account]:
    seen: set[str] = set()
    for account in accounts:
        if account.id in seen:
            raise ValueError(f"account {account.id} is listed more than once")
        seen.add(account.id)
    return accounts


def find_account(accounts: list[Account], account_id: str, what: str) -> Account:
    for account in accounts:
        if account.id == account_id:
            return account
    listed = ", ".join(a.id for a in accounts)
    raise BadInputError(f"{what}: account {account_id} is not in [[tool.cleaner.accounts]] ({listed})")


def plan_suffix(account_id: str, split_regions: bool, regions: list[str]) -> str:
    """What `scan --account-id` appends to the run's plan id: `-<account-id>`, and `-<region>` for one
    region of an account scanned per region. `targets` uses the same function, so the artifact the
    workflow uploads is the plan folder the scan wrote."""
    if not account_id:
        return ""
    if split_regions and len(regions) == 1:
        return f"-{account_id}-{regions[0]}"
    return f"-{account_id}"
