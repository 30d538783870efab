"""The whole GitOps loop through the real CLI (subprocesses), real PyGithub against the fake GitHub on
127.0.0.1 and a moto server: scan -> open-pr -> a second scan updates the same PR -> a reviewer commit
drops a version -> a third scan leaves the PR alone -> validate and refresh the description -> approve
-> merge -> apply --require-approval -> exactly the reviewed versions are deleted, and the outcome lands
on the PR."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from fakes.cli import subprocess_environ
from fakes.github_server import ACTIONS_TOKEN, FakeGitHub

from cleaner.demo.account import SimulatedAccount

pytestmark = pytest.mark.e2e

BRANCH = "snapstart-cleaner/plan"


class Workflow:
    """What the workflow steps run, each as its own process, in a checkout folder."""

    def __init__(self, checkout: Path, moto_url: str, github: dict[str, str], fake: FakeGitHub) -> None:
        self.checkout = checkout
        self.environ = subprocess_environ(moto_url, **github)
        self.fake = fake

    def run(self, *argv: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cleaner", *argv],
            cwd=self.checkout,
            env={**self.environ, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *argv: str, **extra_env: str) -> str:
        done = self.run(*argv, **extra_env)
        assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def scan_and_propose(self, plan_id: str) -> dict[str, object]:
        """scan.yml: the scan job writes the plan and uploads its folder as artifact `plan-<plan-id>`
        (a scheduled run on the default branch); the open-pr job opens or updates the PR."""
        self.ok("scan", "--region", "us-east-1", "--plan-id", plan_id)
        self.fake.upload_plan_artifact(self.checkout / "plans" / plan_id)
        return dict(json.loads(self.ok("open-pr", f"plans/{plan_id}", "--format", "json")))


def deleted_versions(session: boto3.Session) -> set[tuple[str, str]]:
    present = {
        (f["FunctionName"], f["Version"])
        for f in session.client("lambda").list_functions(FunctionVersion="ALL")["Functions"]
    }
    everything = {("orders", str(v)) for v in range(1, 7)} | {("billing", str(v)) for v in range(1, 6)}
    return everything - present


@pytest.fixture
def account(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> SimulatedAccount:
    """An account on the moto server, seeded from this process (which also backdates its versions)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return SimulatedAccount(boto3.Session(region_name="us-east-1"), "us-east-1", datetime.now(UTC))


def test_the_reviewed_plan_is_exactly_what_gets_deleted(
    account: SimulatedAccount,
    moto_server: str,
    fake_github: FakeGitHub,
    github_environ: dict[str, str],
    tmp_path: Path,
) -> None:
    session = account.session
    account.function("orders", [100, 90, 80, 70, 60, 50])  # proposes 1, 2, 3
    account.function("billing", [100, 90, 80, 70, 60])  # proposes 1, 2
    fake_github.add_user("bob")  # a reviewer with write access
    scanner = Workflow(tmp_path / "scan-job", moto_server, github_environ, fake_github)
    scanner.checkout.mkdir()

    # 1. The weekly scan opens the plan PR.
    first = scanner.scan_and_propose("scan-1")
    assert first["action"] == "created"
    number = int(str(first["number"]))
    assert fake_github.file_at(BRANCH, "plans/scan-1/plan.json") is not None

    # 2. The next scan replaces the bot-only PR's contents: still one PR, now with the new plan only.
    second = scanner.scan_and_propose("scan-2")
    assert (second["action"], second["number"]) == ("updated", number)
    assert [p.number for p in fake_github.open_pulls()] == [number]
    assert fake_github.file_at(BRANCH, "plans/scan-1/plan.json") is None
    original = fake_github.file_at(BRANCH, "plans/scan-2/plan.json")
    assert original is not None

    # 3. Review: alice keeps orders:2 by deleting its entry, re-renders and pushes to the PR branch.
    editor = tmp_path / "alice" / "plans" / "scan-2"
    editor.mkdir(parents=True)
    document = json.loads(original)
    document["delete"] = [
        e for e in document["delete"] if (e["function_name"], e["version"]) != ("orders", "2")
    ]
    (editor / "plan.json").write_text(json.dumps(document, indent=2) + "\n")
    scanner.ok("render", str(editor / "plan.json"))
    fake_github.commit_files(
        BRANCH,
        {
            "plans/scan-2/plan.json": (editor / "plan.json").read_text(),
            "plans/scan-2/plan.md": (editor / "plan.md").read_text(),
        },
        user=fake_github.add_user("alice"),
        message="Keep orders:2",
    )
    edited_head = fake_github.head_sha(number)

    # 4. A third scan must not overwrite a human's commit: it comments instead.
    third = scanner.scan_and_propose("scan-3")
    assert (third["action"], third["number"]) == ("commented", number)
    assert fake_github.head_sha(number) == edited_head

    # 5. The PR check validates the edit against the plan as the scanner first committed it.
    check = Workflow(tmp_path / "check-job", moto_server, github_environ, fake_github)
    (check.checkout / "plans" / "scan-2").mkdir(parents=True)
    for name in ("plan.json", "plan.md"):
        text = fake_github.file_at(edited_head, f"plans/scan-2/{name}")
        assert text is not None
        (check.checkout / "plans" / "scan-2" / name).write_text(text)
    (check.checkout / "original.json").write_text(original)
    validated = check.ok("validate", "plans/scan-2/plan.json", "--against", "original.json")
    assert "4 versions to delete, 1 dropped by review" in validated
    # Its last step re-renders the description from the plans at the head it validated, with the
    # workflow's own token: the page bob reads is the plan that runs.
    refreshed = check.ok(
        "refresh-pr", "--pr", str(number), "--head-sha", edited_head, GITHUB_TOKEN=ACTIONS_TOKEN
    )
    assert "re-rendered the title and description" in refreshed
    assert "delete 4 versions" in fake_github.pulls[number].title

    # 6. Approved after the edit, merged; the apply job checks out the merge and applies.
    fake_github.review(number, "bob")
    merge_sha = fake_github.merge(number)
    applier = Workflow(tmp_path / "apply-job", moto_server, github_environ, fake_github)
    (applier.checkout / "plans" / "scan-2").mkdir(parents=True)
    for name in ("plan.json", "plan.md"):
        text = fake_github.file_at(merge_sha, f"plans/scan-2/{name}")
        assert text is not None
        (applier.checkout / "plans" / "scan-2" / name).write_text(text)
    output = applier.ok(
        "apply",
        "plans/scan-2/plan.json",
        "--require-approval",
        GITHUB_SHA=merge_sha,
        GITHUB_TOKEN=ACTIONS_TOKEN,
    )

    assert deleted_versions(session) == {("orders", "1"), ("orders", "3"), ("billing", "1"), ("billing", "2")}
    assert "4 deleted" in output
    outcome = fake_github.pulls[number].comments[-1].body
    assert "SnapStart Cleaner apply" in outcome and "**4 deleted**" in outcome
    assert (
        "- `billing` (us-east-1) deleted: 1, 2" in outcome
        and "- `orders` (us-east-1) deleted: 1, 3" in outcome
    )


def test_a_merge_nobody_approved_deletes_nothing_and_says_why_on_the_pr(
    account: SimulatedAccount,
    moto_server: str,
    fake_github: FakeGitHub,
    github_environ: dict[str, str],
    tmp_path: Path,
) -> None:
    session = account.session
    account.function("orders", [100, 90, 80, 70, 60, 50])
    workflow = Workflow(tmp_path, moto_server, github_environ, fake_github)
    number = int(str(workflow.scan_and_propose("scan-1")["number"]))
    merge_sha = fake_github.merge(number)  # merged without a review

    refused = workflow.run("apply", "plans/scan-1/plan.json", "--require-approval", GITHUB_SHA=merge_sha)

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Nothing was deleted" in refused.stdout
    assert not {version for version in deleted_versions(session) if version[0] == "orders"}
    assert "Apply refused" in fake_github.pulls[number].comments[-1].body
