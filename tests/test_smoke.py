from datetime import datetime

import boto3

from cleaner.aws.session import AwsContext
from cleaner.demo.account import SimulatedAccount
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, ScanSettings


def test_a_stale_unused_snapstart_version_is_proposed_and_the_newest_are_kept(
    account: SimulatedAccount, aws_session: boto3.Session, now: datetime
) -> None:
    account.function("api", [100, 90, 80, 70, 60])
    plan = scan(
        AwsContext(aws_session),
        ScanSettings(regions=["us-east-1"]),
        now,
        "t",
        lambda _: None,
        limits=ApplyLimits(),
    )
    assert [e.version for e in plan.delete] == ["1", "2"]
    assert [e.version for e in plan.keep] == ["3", "4", "5"]
