"""`demo`: the whole loop on an embedded simulated AWS account (moto, in-process).

No AWS account, credentials or GitHub are needed. The account is built to show every reason flag; two
things moto cannot simulate are answered by small, labelled hooks on the demo's own boto3 session:
CloudFront's Lambda@Edge associations (moto does not store them) and one denied permission (to show a
check that cannot complete keeping its versions). The loop then goes on as a reviewer would: drop one
version from the plan, re-render, validate the edit against the scanner's original, and apply.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.settings import ApplyLimits, ScanSettings

if TYPE_CHECKING:
    from cleaner.environment import Environment

DEMO_REGION = "us-east-1"
DEMO_SETTINGS = ScanSettings(regions=[DEMO_REGION], min_age_days=14, keep_last_n=3, exclude=["sandbox-*"])
DEMO_SETTINGS_FILE = "demo-settings.toml"


def demo_settings_toml() -> str:
    """DEMO_SETTINGS as a `[tool.cleaner]` table (the values are plain names and numbers)."""
    s = DEMO_SETTINGS
    return (
        "# The demo's settings: what `apply --config` reads in the demo.\n"
        "[tool.cleaner]\n"
        f"regions = {json.dumps(s.regions)}\n"
        f"min_age_days = {s.min_age_days}\n"
        f"keep_last_n = {s.keep_last_n}\n"
        f"exclude = {json.dumps(s.exclude)}\n"
    )


def shown(path: Path, env: Environment) -> str:
    """`path` as the user would type it where they ran the demo: relative to their folder if inside it."""
    try:
        return str(path.relative_to(env.cwd))
    except ValueError:
        return str(path)


# The CLI's entry point: the demo runs the real commands through it, and receives it from the CLI so
# that the demo, below the CLI, never imports it (cleaner.cli -> cleaner.demo, one way).
Program = Callable[[list[str], "Environment"], ExitCode]


def run_demo(output: Path, env: Environment, program: Program) -> ExitCode:
    try:
        import boto3
        from moto import mock_aws
    except ImportError as error:
        raise BadInputError(
            "the demo needs moto: pip install 'snapstart-cleaner[demo]' (or '.[demo]' in a checkout)"
        ) from error
    from cleaner.aws.session import AwsContext
    from cleaner.commands.scan import print_summary
    from cleaner.demo.account import DEMO_ACCOUNT_ID
    from cleaner.demo.moto_shim import install_snapstart_shim
    from cleaner.demo.savings_seed import seed_demo_savings
    from cleaner.demo.scenario import build_demo_account, install_demo_hooks
    from cleaner.plan import plan_json_text, write_plan_files, write_text_atomically
    from cleaner.render import render_plan_markdown
    from cleaner.scan import scan

    install_snapstart_shim()
    now = env.clock().replace(microsecond=0)
    plan_dir = output / "plans" / "demo"
    if plan_dir.exists():
        shutil.rmtree(plan_dir)  # a re-run starts from a fresh account: never apply a stale result
    with mock_aws():
        session = boto3.Session(
            aws_access_key_id="demo", aws_secret_access_key="demo", region_name=DEMO_REGION
        )
        # Never let an AWS_ENDPOINT_URL from the environment send demo traffic anywhere.
        session._session.set_config_variable("ignore_configured_endpoint_urls", True)
        env.progress(f"demo: building a simulated account {DEMO_ACCOUNT_ID} in {DEMO_REGION} (moto)")
        build_demo_account(session, DEMO_REGION, now)
        install_demo_hooks(session)
        # What a plan is worth: code sizes, the Price List's answer, a bill with an earlier merged plan.
        history = seed_demo_savings(session, DEMO_ACCOUNT_ID, DEMO_REGION, now)

        env.print("== 1. scan ==")
        env.print(
            f"Scanning with min_age_days={DEMO_SETTINGS.min_age_days},"
            f" keep_last_n={DEMO_SETTINGS.keep_last_n}, exclude={DEMO_SETTINGS.exclude}"
        )
        plan = scan(
            AwsContext(session=session),
            DEMO_SETTINGS,
            now,
            "demo",
            env.progress,
            limits=ApplyLimits(),
            history=history,
        )
        json_path, md_path = write_plan_files(plan_dir, plan, render_plan_markdown(plan))
        original_path = output / "original-plan.json"
        write_text_atomically(original_path, plan_json_text(plan))
        # The demo's settings, as a file the real commands read: never the ./pyproject.toml of wherever
        # the demo happens to run.
        settings_path = output / DEMO_SETTINGS_FILE
        write_text_atomically(settings_path, demo_settings_toml())
        print_summary(plan, shown(json_path, env), shown(md_path, env), "text", env)
        env.print(f"Review page (the pull request body): {shown(md_path, env)}")

        # The rest runs the real commands, as the workflows do, with the paths a user would type.
        demo_env = replace(env, environ={}, clock=lambda: now, aws_session=lambda: session)
        if not plan.delete:
            return ExitCode.OK
        dropped = max(plan.delete, key=lambda e: (e.estimated_monthly_cost_usd, e.key))
        env.print()
        env.print(f"== 2. review: the reviewer keeps {dropped.label} by deleting its entry from plan.json ==")
        edited = plan.model_copy(update={"delete": [e for e in plan.delete if e.key != dropped.key]})
        write_text_atomically(json_path, plan_json_text(edited))
        for argv in (
            ["render", shown(json_path, env)],
            ["validate", shown(json_path, env), "--against", shown(original_path, env)],
        ):
            env.print(f"$ snapstart-cleaner {' '.join(argv)}")
            code = program(argv, demo_env)
            if code != ExitCode.OK:
                return code

        drifted = next((e for e in edited.delete if e.function_name == "orders-api"), None)
        if drifted is not None:
            env.print()
            env.print(f"Meanwhile a deploy points a new alias `hotfix` at {drifted.label}.")
            session.client("lambda").create_alias(
                FunctionName=drifted.function_name, Name="hotfix", FunctionVersion=drifted.version
            )
        env.print()
        env.print("== 3. merge -> apply: each entry re-verified against live state, then deleted ==")
        apply_argv = ["apply", shown(json_path, env), "--config", shown(settings_path, env)]
        env.print(f"$ snapstart-cleaner {' '.join(apply_argv)}")
        code = program(apply_argv, demo_env)
        remaining = {
            (f["FunctionName"], f["Version"])
            for f in session.client("lambda").list_functions(FunctionVersion="ALL")["Functions"]
        }
        still_there = (dropped.function_name, dropped.version) in remaining
        env.print()
        env.print(f"{dropped.label}, dropped in review, still exists: {still_there}")
        env.print(f"Outcome page (posted on the merged PR): {shown(plan_dir / 'apply-result.md', env)}")
        return code
