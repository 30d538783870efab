"""Valid plans of any size, built through the product's own models and written like `scan` writes them."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cleaner.plan import Plan, PlanEntry, Pricing, summarize, write_plan_files
from cleaner.reasons import Reason
from cleaner.render import render_plan_markdown
from cleaner.settings import ScanSettings

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


def plan_entry(function_name: str, number: int, reasons: tuple[Reason, ...]) -> PlanEntry:
    data: dict[str, Any] = {
        "region": REGION,
        "function_name": function_name,
        "version": str(number),
        "function_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}:{number}",
        "runtime": "python3.12",
        "memory_mb": 1024,
        "last_modified": (NOW - timedelta(days=60)).isoformat(),
        "age_days": 60,
        "state": "Active",
        "code_sha256": base64.b64encode(
            hashlib.sha256(f"{function_name}-{number}".encode()).digest()
        ).decode(),
        "last_invoked": None,
        "invocations_in_window": 0.0,
        "estimated_monthly_cost_usd": 3.8999,
        "reasons": [reason.value for reason in reasons],
    }
    return PlanEntry.model_validate(data)


def make_plan(plan_id: str = "20261101T120000Z", delete: int = 3, keep: int = 2, functions: int = 1) -> Plan:
    """`delete` candidates and `keep` kept versions (protected_kept_last_n), spread over `functions`."""
    to_delete = [
        plan_entry(f"fn-{index % functions:03d}", index // functions + 1, (Reason.NO_ACTIVITY_AND_STALE,))
        for index in range(delete)
    ]
    to_keep = [
        plan_entry(f"fn-{index % functions:03d}", 10_000 + index, (Reason.PROTECTED_KEPT_LAST_N,))
        for index in range(keep)
    ]
    return Plan(
        schema_version=1,
        plan_id=plan_id,
        created_at=NOW,
        account_id=ACCOUNT_ID,
        regions=[REGION],
        settings=ScanSettings(regions=[REGION]),
        pricing=Pricing(cache_price_per_gb_second=0.0000015046),
        summary=summarize(to_delete, to_keep),
        delete=to_delete,
        keep=to_keep,
    )


def write_plan(root: Path, plan: Plan, plans_dir: str = "plans") -> Path:
    """plans/<plan-id>/plan.json + plan.md under `root`; returns the plan's folder."""
    plan_dir = root / plans_dir / plan.plan_id
    write_plan_files(plan_dir, plan, render_plan_markdown(plan))
    return plan_dir


_EDIT_LINK = re.compile(r"\]\(\S+/edit/\S+/plan\.json\)")


def as_plan_md(body: str) -> str:
    """A single plan's pull request body as its plan.md reads: the body links GitHub's editor of
    plan.json, the file its neighbour (the rest is the same page when the body's jobs do not pass
    SNAPSTART_DRY_RUN, as the tests' do not)."""
    return _EDIT_LINK.sub("](plan.json)", body)
