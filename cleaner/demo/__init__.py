"""`demo`: the whole loop on an embedded simulated AWS account (moto, in-process).

No AWS account, credentials or GitHub are needed. The account is built to show every reason flag; two
things moto cannot simulate are answered by small, labelled hooks on the demo's own boto3 session:
CloudFront's Lambda@Edge associations (moto does not store them) and one denied permission (to show a
check that cannot complete keeping its versions).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cleaner.exit_codes import BadInputError, ExitCode
from cleaner.settings import ScanSettings

if TYPE_CHECKING:
    from cleaner.cli import Environment

DEMO_REGION = "us-east-1"
DEMO_SETTINGS = ScanSettings(regions=[DEMO_REGION], min_age_days=14, keep_last_n=3, exclude=["sandbox-*"])


def run_demo(output: Path, env: Environment) -> ExitCode:
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
    from cleaner.demo.scenario import build_demo_account, install_demo_hooks
    from cleaner.plan import write_plan_files
    from cleaner.render import render_plan_markdown
    from cleaner.scan import scan

    install_snapstart_shim()
    now = env.clock().replace(microsecond=0)
    with mock_aws():
        session = boto3.Session(
            aws_access_key_id="demo", aws_secret_access_key="demo", region_name=DEMO_REGION
        )
        # Never let an AWS_ENDPOINT_URL from the environment send demo traffic anywhere.
        session._session.set_config_variable("ignore_configured_endpoint_urls", True)
        env.progress(f"demo: building a simulated account {DEMO_ACCOUNT_ID} in {DEMO_REGION} (moto)")
        build_demo_account(session, DEMO_REGION, now)
        install_demo_hooks(session)
        aws = AwsContext(session=session)
        plan = scan(aws, DEMO_SETTINGS, now, "demo", env.progress)
        markdown = render_plan_markdown(plan)
        json_path, md_path = write_plan_files(output / "plans" / plan.plan_id, plan, markdown)
        env.print(
            "SnapStart Cleaner demo: a simulated account, scanned with "
            f"min_age_days={DEMO_SETTINGS.min_age_days}, keep_last_n={DEMO_SETTINGS.keep_last_n},"
            f" exclude={DEMO_SETTINGS.exclude}"
        )
        env.print()
        print_summary(plan, str(json_path), str(md_path), "text", env)
        env.print()
        env.print(f"Review page (the pull request body): {md_path}")
    return ExitCode.OK
