"""Apply throughput: a plan of N deletions applied against in-process moto with the client-side
limiter ON (the defaults: 10 rps on the shared control plane, 10 rps GetPolicy).

    python tests/benchmarks/bench_apply.py --functions 40 --versions 28 [--json]

With keep_last_n=3 every function contributes versions-3 deletions (40 x 25 = 1,000). The account is
built through the API; the scan that writes the plan runs with the limiter relaxed (it is not what is
measured here). Prints deletions per second over the deletion phase and over the whole apply, and the
calls per quota bucket.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
from moto import mock_aws

from cleaner.applier import Applier
from cleaner.apply_result import Outcome
from cleaner.aws.ratelimit import CallRecorder
from cleaner.aws.session import AwsContext
from cleaner.demo.account import SimulatedAccount
from cleaner.demo.moto_shim import install_snapstart_shim
from cleaner.plan import load_plan, plan_json_text, write_text_atomically
from cleaner.scan import scan
from cleaner.settings import ApplyLimits, Performance, ScanSettings

UNPACED = Performance(control_plane_rps=15, get_function_rps=100, get_policy_rps=15, get_metric_data_tps=50)


def run(functions: int, versions: int) -> dict[str, object]:
    install_snapstart_shim()
    now = datetime.now(UTC).replace(microsecond=0)
    settings = ScanSettings(regions=["us-east-1"], keep_last_n=3)
    with mock_aws():
        session = boto3.Session(aws_access_key_id="b", aws_secret_access_key="b", region_name="us-east-1")
        account = SimulatedAccount(session, "us-east-1", now)
        built = time.monotonic()
        for index in range(functions):
            account.function(f"fn-{index:04d}", [200 - day for day in range(versions)], memory_mb=1024)
        build_seconds = time.monotonic() - built
        # The scan is not measured: relax its pacing to the full quotas.
        plan = scan(
            AwsContext(session, performance=UNPACED.model_copy(update={"control_plane_rps": 15})),
            settings,
            now,
            "bench",
            lambda _: None,
            # Every candidate: the apply of a plan of any size is what is measured here.
            limits=ApplyLimits(max_deletions_per_apply=100_000),
        )
        path = Path(tempfile.mkdtemp()) / "plan.json"
        write_text_atomically(path, plan_json_text(plan))
        plan = load_plan(path)

        recorder = CallRecorder()
        aws = AwsContext(session, performance=Performance(), recorder=recorder)  # the defaults: limiter on
        applier = Applier(aws, plan, [plan.settings], now, dry_run=False, progress=lambda _: None)
        started = time.monotonic()
        results = applier.run()
        total_seconds = time.monotonic() - started
    deleted = sum(r.outcome is Outcome.DELETED for r in results)
    return {
        "entries": len(plan.delete),
        "deleted": deleted,
        "build_seconds": round(build_seconds, 1),
        "verify_seconds": round(applier.verify_seconds, 1),
        "delete_phase_seconds": round(applier.delete_seconds, 1),
        "total_seconds": round(total_seconds, 1),
        "deletions_per_second_delete_phase": round(deleted / applier.delete_seconds, 2),
        "deletions_per_second_overall": round(deleted / total_seconds, 2),
        "calls": dict(sorted(recorder.calls.items())),
        "calls_by_bucket": dict(sorted(recorder.by_bucket().items())),
        "limits": Performance().model_dump(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--functions", type=int, default=40)
    parser.add_argument("--versions", type=int, default=28)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = run(args.functions, args.versions)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>36}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
