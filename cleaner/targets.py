"""The work list of a workflow run, as GitHub Actions matrix entries (pure: settings and plans in).

Scanning: one entry per account of `[[tool.cleaner.accounts]]` (one per region for an account with
`split_regions = true`). Applying: one entry per changed plan, with the apply role of the plan's
account. Without accounts, one entry built from the workflow's variables (`SNAPSTART_SCAN_ROLE_ARN`,
`SNAPSTART_APPLY_ROLE_ARN`, `SNAPSTART_AWS_REGION`), so the workflows have one code path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from cleaner.accounts import ROLE_ARN, Account, find_account, plan_suffix
from cleaner.exit_codes import BadInputError
from cleaner.plan import Plan
from cleaner.settings import Settings

SCAN_ROLE_VARIABLE = "SNAPSTART_SCAN_ROLE_ARN"
APPLY_ROLE_VARIABLE = "SNAPSTART_APPLY_ROLE_ARN"
REGION_VARIABLE = "SNAPSTART_AWS_REGION"
DEFAULT_AWS_REGION = "us-east-1"
# GitHub runs at most 256 jobs from one matrix.
MAX_MATRIX_JOBS = 256


class ScanTarget(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str  # unique in the run: names the job's status artifact
    account_id: str  # "" without accounts: whichever account the credentials are for
    name: str
    regions: str  # space-separated, for `--region` flags; "" means the settings' (or AWS_REGION)
    aws_region: str  # where the credentials step calls STS
    scan_role_arn: str
    plan_suffix: str  # appended to the run's plan id by `scan --account-id`


class ApplyTarget(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan: str  # the path as given: the apply job hands it to `apply` unchanged
    plan_id: str
    account_id: str
    name: str
    aws_region: str
    apply_role_arn: str


def _variable(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name, "").strip()
    if not ROLE_ARN.fullmatch(value):
        shown = repr(value) if value else "not set"
        raise BadInputError(
            f"{name} is {shown}: without [[tool.cleaner.accounts]], the {what} role comes from this"
            " repository variable (an IAM role ARN, arn:aws:iam::<account-id>:role/<name>)"
        )
    return value


def scan_targets(
    settings: Settings, environ: Mapping[str, str], regions: Sequence[str] = ()
) -> list[ScanTarget]:
    """`regions` (the workflow's input) replaces every account's regions."""
    if not settings.accounts:
        chosen = list(regions or settings.scan.regions)
        return [
            ScanTarget(
                key="default",
                account_id="",
                name="",
                regions=" ".join(chosen),
                aws_region=chosen[0] if chosen else environ.get(REGION_VARIABLE) or DEFAULT_AWS_REGION,
                scan_role_arn=_variable(environ, SCAN_ROLE_VARIABLE, "scan"),
                plan_suffix="",
            )
        ]
    targets: list[ScanTarget] = []
    for account in settings.accounts:
        chosen = list(regions or account.regions or settings.scan.regions)
        if not chosen:
            raise BadInputError(
                f"account {account.id}: no region to scan: set its `regions` or the top-level `regions`"
            )
        groups = [[region] for region in chosen] if account.split_regions else [chosen]
        targets += [_scan_target(account, group) for group in groups]
    if len(targets) > MAX_MATRIX_JOBS:
        raise BadInputError(
            f"{len(targets)} scan jobs: GitHub runs at most {MAX_MATRIX_JOBS} jobs from one matrix"
            " (fewer accounts with split_regions, or fewer regions)"
        )
    return targets


def _scan_target(account: Account, regions: list[str]) -> ScanTarget:
    suffix = plan_suffix(account.id, account.split_regions, regions)
    return ScanTarget(
        key=suffix.lstrip("-"),
        account_id=account.id,
        name=account.name or account.id,
        regions=" ".join(regions),
        aws_region=regions[0],
        scan_role_arn=account.scan_role_arn,
        plan_suffix=suffix,
    )


def apply_targets(
    settings: Settings, environ: Mapping[str, str], plans: Sequence[tuple[str, Plan]]
) -> list[ApplyTarget]:
    """One entry per plan; a plan whose account is not listed is refused (exit 2): no apply role."""
    targets = []
    for path, plan in plans:
        if settings.accounts:
            account = find_account(settings.accounts, plan.account_id, path)
            name, role = account.name or account.id, account.apply_role_arn
        else:
            # As before accounts existed: apply itself refuses a plan for another account than its
            # credentials', and says so on the pull request.
            name, role = "", _variable(environ, APPLY_ROLE_VARIABLE, "apply")
        targets.append(
            ApplyTarget(
                plan=path,
                plan_id=plan.plan_id,
                account_id=plan.account_id,
                name=name,
                aws_region=plan.regions[0] if plan.regions else DEFAULT_AWS_REGION,
                apply_role_arn=role,
            )
        )
    if len(targets) > MAX_MATRIX_JOBS:
        raise BadInputError(
            f"{len(targets)} plans: GitHub runs at most {MAX_MATRIX_JOBS} jobs from one matrix"
        )
    return targets


def display_path(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)
