"""Many accounts: `[[tool.cleaner.accounts]]` (validated, exit 2 naming the key), the scan settings of one
account, and `targets` (the scan and apply work lists) through the CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes.cli import run_in_process
from fakes.plans import make_plan, write_plan

from cleaner.accounts import plan_suffix
from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.settings import FunctionOverride, account_scan_settings, load_settings, repository_scan_settings

PROD, STAGE, DEV = "111111111111", "222222222222", "123456789012"


def account_toml(account_id: str, name: str = "", extra: str = "") -> str:
    named = f'name = "{name}"\n' if name else ""
    return (
        f'[[tool.cleaner.accounts]]\nid = "{account_id}"\n{named}'
        f'scan_role_arn = "arn:aws:iam::{account_id}:role/snapstart-cleaner-scan"\n'
        f'apply_role_arn = "arn:aws:iam::{account_id}:role/snapstart-cleaner-apply"\n{extra}\n'
    )


def write_settings(root: Path, body: str) -> Path:
    path = root / "pyproject.toml"
    path.write_text(f'[tool.cleaner]\nregions = ["us-east-1"]\nkeep_last_n = 3\n\n{body}', encoding="utf-8")
    return path


ORG = (
    account_toml(PROD, "prod", 'regions = ["us-east-1", "eu-west-1"]\nsplit_regions = true')
    + account_toml(STAGE, "stage", 'exclude = ["legacy-*"]\n[[tool.cleaner.accounts.overrides]]\n'
                   'functions = "api-*"\nkeep_last_n = 1')
    + account_toml(DEV)
)  # fmt: skip


def test_no_accounts_listed_is_the_single_account_settings_unchanged(tmp_path: Path) -> None:
    settings = load_settings(write_settings(tmp_path, ""))
    assert settings.accounts == []
    assert settings.with_overrides(keep_last_n=5).accounts == []


def test_accounts_are_read_and_survive_flag_overrides(tmp_path: Path) -> None:
    settings = load_settings(write_settings(tmp_path, ORG))
    assert [(a.id, a.name, a.regions, a.split_regions) for a in settings.accounts] == [
        (PROD, "prod", ["us-east-1", "eu-west-1"], True),
        (STAGE, "stage", None, False),
        (DEV, None, None, False),
    ]
    # CLI flags re-validate the whole settings: the accounts must come through unchanged.
    assert settings.with_overrides(min_age_days=30).accounts == settings.accounts


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (account_toml(PROD) + account_toml(STAGE).replace("role/snapstart-cleaner-scan", "user/x"),
         "accounts[1].scan_role_arn"),
        (account_toml("11111111111"), "accounts[0].id"),
        (account_toml(PROD).replace(f"iam::{PROD}:role/snapstart-cleaner-apply", f"iam::{STAGE}:role/a"),
         "accounts[0]: Value error, apply_role_arn is a role of account 222222222222"),
        (account_toml(PROD, "<b>prod</b>"), "accounts[0].name"),
        (account_toml(PROD, extra='regions = ["mars-1"]'), "accounts[0].regions[0]"),
        (account_toml(PROD, extra="colour = 1"), "accounts[0].colour"),
        (account_toml(PROD, extra='[[tool.cleaner.accounts.overrides]]\nfunctions = "a"\nkeep_last_n = -1'),
         "accounts[0].overrides[0].keep_last_n"),
        (account_toml(PROD) + account_toml(PROD), "accounts: Value error, account 111111111111 is listed"),
    ],
)  # fmt: skip
def test_a_bad_account_is_refused_naming_its_key(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(BadInputError) as raised:
        load_settings(write_settings(tmp_path, body))
    assert raised.value.exit_code == ExitCode.BAD_INPUT
    assert key in raised.value.message


def test_an_accounts_layer_adds_to_the_global_settings(tmp_path: Path) -> None:
    settings = load_settings(write_settings(tmp_path, ORG + '[[tool.cleaner.overrides]]\nfunctions = "*"\n'))
    stage = settings.accounts[1]
    scan = account_scan_settings(settings.scan.model_copy(update={"exclude": ["tmp-*"]}), stage, None)
    assert scan.regions == ["us-east-1"]  # the top-level regions
    assert scan.exclude == ["tmp-*", "legacy-*"]
    # The account's overrides are tried first: the first match wins.
    assert scan.overrides == [
        FunctionOverride(functions="api-*", keep_last_n=1),
        FunctionOverride(functions="*"),
    ]
    assert scan.thresholds_for("api-orders") == (1, 14)
    assert scan.is_excluded("legacy-billing") and not settings.scan.is_excluded("legacy-billing")
    # Flags (--region) beat the account's regions.
    assert account_scan_settings(settings.scan, settings.accounts[0], ["eu-west-1"]).regions == ["eu-west-1"]


def test_apply_re_verifies_with_the_accounts_own_layer_when_it_is_listed(tmp_path: Path) -> None:
    settings = load_settings(write_settings(tmp_path, ORG))
    stage = repository_scan_settings(settings.scan, settings.accounts, STAGE, ["us-east-1"])
    assert stage.thresholds_for("api-x") == (1, 14)
    unlisted = repository_scan_settings(settings.scan, settings.accounts, "999999999999", ["eu-west-1"])
    assert unlisted == settings.scan.model_copy(update={"regions": ["eu-west-1"]})


def test_the_plan_suffix_names_the_account_and_the_region_of_a_split_account() -> None:
    assert plan_suffix("", False, ["us-east-1"]) == ""
    assert plan_suffix(PROD, False, ["us-east-1"]) == f"-{PROD}"
    assert plan_suffix(PROD, True, ["eu-west-1"]) == f"-{PROD}-eu-west-1"
    assert plan_suffix(PROD, True, ["us-east-1", "eu-west-1"]) == f"-{PROD}"  # the whole account


# --- targets through the CLI -------------------------------------------------------------------------------

ROLE_VARIABLES = {
    "SNAPSTART_SCAN_ROLE_ARN": f"arn:aws:iam::{DEV}:role/snapstart-cleaner-scan",
    "SNAPSTART_APPLY_ROLE_ARN": f"arn:aws:iam::{DEV}:role/snapstart-cleaner-apply",
}


def test_targets_prints_one_scan_job_per_account_and_per_region_of_a_split_one(tmp_path: Path) -> None:
    write_settings(tmp_path, ORG)
    run = run_in_process(["targets"], tmp_path, {})
    assert run.code == ExitCode.OK, run.stderr
    [line] = run.stdout.splitlines()  # one line for $GITHUB_OUTPUT and fromJSON
    include = json.loads(line)["include"]
    assert [
        (t["key"], t["account_id"], t["regions"], t["aws_region"], t["plan_suffix"]) for t in include
    ] == [
        (f"{PROD}-us-east-1", PROD, "us-east-1", "us-east-1", f"-{PROD}-us-east-1"),
        (f"{PROD}-eu-west-1", PROD, "eu-west-1", "eu-west-1", f"-{PROD}-eu-west-1"),
        (STAGE, STAGE, "us-east-1", "us-east-1", f"-{STAGE}"),
        (DEV, DEV, "us-east-1", "us-east-1", f"-{DEV}"),
    ]
    assert include[2]["scan_role_arn"] == f"arn:aws:iam::{STAGE}:role/snapstart-cleaner-scan"
    assert [t["name"] for t in include] == ["prod", "prod", "stage", DEV]


def test_targets_regions_flag_replaces_every_accounts_regions(tmp_path: Path) -> None:
    write_settings(tmp_path, account_toml(STAGE, extra='regions = ["eu-west-1"]'))
    run = run_in_process(["targets", "--region", "ap-south-1", "--format", "json"], tmp_path, {})
    assert [t["regions"] for t in json.loads(run.stdout)] == ["ap-south-1"]
    bad = run_in_process(["targets", "--region", "mars"], tmp_path, {})
    assert bad.code == ExitCode.BAD_INPUT and "--regions" in bad.stderr


def test_without_accounts_targets_is_one_job_from_the_workflows_variables(tmp_path: Path) -> None:
    write_settings(tmp_path, "")
    run = run_in_process(["targets", "--format", "json"], tmp_path, ROLE_VARIABLES)
    assert run.code == ExitCode.OK, run.stderr
    assert json.loads(run.stdout) == [
        {
            "key": "default",
            "account_id": "",
            "name": "",
            "regions": "us-east-1",
            "aws_region": "us-east-1",
            "scan_role_arn": ROLE_VARIABLES["SNAPSTART_SCAN_ROLE_ARN"],
            "plan_suffix": "",
        }
    ]
    missing = run_in_process(["targets"], tmp_path, {})
    assert missing.code == ExitCode.BAD_INPUT
    assert "SNAPSTART_SCAN_ROLE_ARN is not set" in missing.stderr


def test_targets_plans_gives_each_plan_its_accounts_apply_role(tmp_path: Path) -> None:
    write_settings(tmp_path, ORG)
    write_plan(tmp_path, make_plan(f"run-{DEV}"))
    run = run_in_process(
        ["targets", "--plans", f"plans/run-{DEV}/plan.json", "--format", "github-matrix"], tmp_path, {}
    )
    assert run.code == ExitCode.OK, run.stderr
    assert json.loads(run.stdout) == {
        "include": [
            {
                "plan": f"plans/run-{DEV}/plan.json",
                "plan_id": f"run-{DEV}",
                "account_id": DEV,
                "name": DEV,
                "aws_region": "us-east-1",
                "apply_role_arn": f"arn:aws:iam::{DEV}:role/snapstart-cleaner-apply",
            }
        ]
    }


def test_targets_refuses_a_plan_whose_account_is_not_listed(tmp_path: Path) -> None:
    write_settings(tmp_path, account_toml(PROD))
    write_plan(tmp_path, make_plan("run-x"))  # a plan of account 123456789012
    run = run_in_process(["targets", "--plans", "plans/run-x/plan.json"], tmp_path, {})
    assert run.code == ExitCode.BAD_INPUT
    assert f"plans/run-x/plan.json: account {DEV} is not in [[tool.cleaner.accounts]]" in run.stderr
    assert run.stdout == ""


def test_targets_plans_without_accounts_uses_the_apply_role_variable(tmp_path: Path) -> None:
    write_settings(tmp_path, "")
    write_plan(tmp_path, make_plan("p1"))
    run = run_in_process(
        ["targets", "--plans", "plans/p1/plan.json", "--format", "text"], tmp_path, ROLE_VARIABLES
    )
    assert run.code == ExitCode.OK, run.stderr
    assert run.stdout == (
        f"plan=plans/p1/plan.json  plan_id=p1  account_id={DEV}  aws_region=us-east-1"
        f"  apply_role_arn={ROLE_VARIABLES['SNAPSTART_APPLY_ROLE_ARN']}\n"
    )
