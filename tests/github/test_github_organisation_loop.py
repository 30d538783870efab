"""The organisation loop through the real CLI (subprocesses), the fake GitHub and ONE moto server holding
three accounts (moto's STS AssumeRole returns credentials that act in the role's account):

targets -> one scan job per account (the third account's role is missing: its job fails with exit 3)
-> one PR with two plans and a warning naming the third -> approval -> merge -> targets --plans -> one
apply job per plan, each with its account's apply role and --require-approval -> each deletes only in
its own account. The moto server counts the requests each account received."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from fakes.cli import subprocess_environ
from fakes.github_server import FakeGitHub

from cleaner.demo.account import SimulatedAccount
from cleaner.demo.moto_shim import install_snapstart_shim

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
PROD, STAGE, SANDBOX = "111111111111", "222222222222", "333333333333"
NAMES = {PROD: "prod", STAGE: "stage", SANDBOX: "sandbox"}
RUN = "20261101T060000Z"


def role(account: str, kind: str) -> str:
    return f"arn:aws:iam::{account}:role/snapstart-cleaner-{kind}"


SETTINGS = '[tool.cleaner]\nregions = ["us-east-1"]\n\n' + "".join(
    f'[[tool.cleaner.accounts]]\nid = "{account}"\nname = "{name}"\n'
    f'scan_role_arn = "{role(account, "scan")}"\napply_role_arn = "{role(account, "apply")}"\n\n'
    for account, name in NAMES.items()
)


class CountingMoto:
    """A moto server on 127.0.0.1 that counts the requests it serves per account and service (the
    account from the request's access key, which the test maps when it hands out credentials)."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        # Port 0: bound to a free port at start(), which no other process can take first.
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""
        self.accounts: dict[str, str] = {"testing": "123456789012"}
        self.calls: Counter[tuple[str, str]] = Counter()

    def start(self) -> None:
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.get_host_and_port()[1]}"
        wsgi = self.server._server
        assert wsgi is not None
        app = wsgi.app

        def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            # Credential=<access key>/<date>/<region>/<service>/aws4_request
            authorization = environ.get("HTTP_AUTHORIZATION", "")
            if "Credential=" in authorization:
                scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
                self.calls[(self.accounts.get(scope[0], "?"), scope[3])] += 1
            return app(environ, start_response)

        wsgi.app = counting

    def stop(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10
        )
        self.server.stop()

    def assume(self, role_arn: str) -> dict[str, str]:
        """What configure-aws-credentials leaves in a job's environment after AssumeRoleWithWebIdentity."""
        sts = boto3.client("sts", endpoint_url=self.url, region_name=REGION)
        credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="snapstart-cleaner")["Credentials"]
        self.accounts[credentials["AccessKeyId"]] = role_arn.split(":")[4]
        return {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
            "AWS_REGION": REGION,
        }

    def per_account(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for (account, service), count in sorted(self.calls.items()):
            table.setdefault(account, {})[service] = count
        return table


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingMoto]:
    install_snapstart_shim()
    server = CountingMoto()
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)  # the seeding sessions of this process
    try:
        yield server
    finally:
        server.stop()


def seed(moto: CountingMoto, account: str, functions: dict[str, list[float]]) -> boto3.Session:
    credentials = moto.assume(role(account, "seed"))
    session = boto3.Session(
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
        region_name=REGION,
    )
    simulated = SimulatedAccount(session, REGION, datetime.now(UTC), account_id=account)
    for name, ages in functions.items():
        simulated.function(name, ages)
    return session


def versions(session: boto3.Session) -> set[tuple[str, str]]:
    client = session.client("lambda")
    return {
        (f["FunctionName"], f["Version"])
        for f in client.list_functions(FunctionVersion="ALL")["Functions"]
        if f["Version"] != "$LATEST"
    }


class Job:
    """One workflow job: its own checkout folder, the CLI as a subprocess, AWS through the moto server."""

    def __init__(self, root: Path, moto: CountingMoto, github: dict[str, str]) -> None:
        self.checkout = root
        self.checkout.mkdir(parents=True, exist_ok=True)
        (self.checkout / "pyproject.toml").write_text(SETTINGS, encoding="utf-8")
        self.environ = subprocess_environ(moto.url, **github)

    def run(self, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cleaner", *argv],
            cwd=self.checkout,
            env={**self.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *argv: str, **env: str) -> str:
        done = self.run(*argv, **env)
        assert done.returncode == 0, f"{argv}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout


def test_one_pr_for_the_organisation_and_each_apply_deletes_only_in_its_own_account(
    moto: CountingMoto,
    fake_github: FakeGitHub,
    github_environ: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prod = seed(moto, PROD, {"orders": [100, 90, 80, 70, 60, 50]})  # proposes 1, 2, 3
    stage = seed(moto, STAGE, {"orders": [100, 90, 80, 70, 60], "billing": [40, 30, 20, 10]})  # 1, 2; 1
    seed(moto, SANDBOX, {"orders": [100, 90, 80, 70]})  # never scanned: its role is "missing"
    before = {PROD: versions(prod), STAGE: versions(stage)}
    fake_github.add_user("bob")
    moto.calls.clear()  # count the workflow's requests only

    # scan.yml, job `targets`.
    matrix = json.loads(Job(tmp_path / "targets", moto, github_environ).ok("targets"))
    assert [(t["account_id"], t["name"], t["scan_role_arn"]) for t in matrix["include"]] == [
        (account, name, role(account, "scan")) for account, name in NAMES.items()
    ]

    # scan.yml, one `scan` job per target; each uploads its plan folder as artifact plan-<plan-id>.
    statuses: dict[str, tuple[int, str]] = {}
    plan_dirs: list[str] = []
    for target in matrix["include"]:
        job = Job(tmp_path / f"scan-{target['key']}", moto, github_environ)
        if target["account_id"] == SANDBOX:
            # configure-aws-credentials fails (no such role in that account): the scan never runs.
            statuses[SANDBOX] = (
                3,
                f"could not assume the scan role {target['scan_role_arn']} through GitHub OIDC",
            )
            # And had the job run with another account's credentials, the scan would refuse them.
            wrong = job.run(
                "scan", "--plan-id", RUN, "--account-id", SANDBOX, **moto.assume(role(PROD, "scan"))
            )
            assert wrong.returncode == 2 and "the credentials are for account 111111111111" in wrong.stderr
            assert not (job.checkout / "plans").exists()
            continue
        credentials = moto.assume(target["scan_role_arn"])
        summary = json.loads(
            job.ok("scan", "--format", "json", "--plan-id", RUN, "--account-id", target["account_id"],
                   "--region", target["regions"], **credentials)
        )  # fmt: skip
        assert summary["plan_id"] == f"{RUN}{target['plan_suffix']}" == f"{RUN}-{target['account_id']}"
        plan_dir = job.checkout / "plans" / summary["plan_id"]
        fake_github.upload_plan_artifact(plan_dir)
        statuses[target["account_id"]] = (0, "")
        plan_dirs.append(str(plan_dir))

    # scan.yml, job `open-pr`: every successful account's plan in ONE pull request, the failure named.
    opener = Job(tmp_path / "open-pr", moto, github_environ)
    failures = [
        f"--failed-account={a}=exit {code}: {message}" for a, (code, message) in statuses.items() if code
    ]
    report = json.loads(opener.ok("open-pr", *plan_dirs, *failures, "--format", "json"))
    assert report["action"] == "created" and report["failed_accounts"] == [SANDBOX]
    number = int(report["number"])
    body = fake_github.pulls[number].body
    assert body.startswith(
        "# SnapStart Cleaner: 3 accounts\n\n**6 SnapStart versions to delete** in 2 accounts"
    )
    assert f"> - sandbox (`{SANDBOX}`): exit 3: could not assume the scan role" in body
    summary_rows = [line for line in body.split("\n---\n")[0].splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[:3] for row in summary_rows] == [
        ["| prod", f"`{PROD}`", "3"],
        ["| stage", f"`{STAGE}`", "3"],
        ["| sandbox", f"`{SANDBOX}`", "—"],
    ]

    # Review and merge; apply.yml's `plans` job turns the merged plans into the apply matrix.
    fake_github.review(number, "bob")
    merge_sha = fake_github.merge(number)
    lister = Job(tmp_path / "plans-job", moto, github_environ)
    merged = [f"plans/{RUN}-{account}/plan.json" for account in (PROD, STAGE)]
    for path in merged:
        text = fake_github.file_at(merge_sha, path)
        assert text is not None
        (lister.checkout / path).parent.mkdir(parents=True)
        (lister.checkout / path).write_text(text, encoding="utf-8")
    apply_matrix = json.loads(lister.ok("targets", "--plans", *merged))
    assert [(t["plan"], t["account_id"], t["apply_role_arn"]) for t in apply_matrix["include"]] == [
        (merged[0], PROD, role(PROD, "apply")),
        (merged[1], STAGE, role(STAGE, "apply")),
    ]

    # apply.yml, one `apply` job per plan, each with its account's apply role.
    for target in apply_matrix["include"]:
        job = Job(tmp_path / f"apply-{target['account_id']}", moto, github_environ)
        for name in ("plan.json", "plan.md"):
            text = fake_github.file_at(merge_sha, target["plan"].replace("plan.json", name))
            assert text is not None
            (job.checkout / target["plan"]).parent.mkdir(parents=True, exist_ok=True)
            (job.checkout / target["plan"]).with_name(name).write_text(text, encoding="utf-8")
        output = job.ok(
            "apply",
            target["plan"],
            "--require-approval",
            GITHUB_SHA=merge_sha,
            **moto.assume(target["apply_role_arn"]),
        )
        assert "3 deleted" in output

    calls = moto.per_account()
    # The test's stand-in for the OIDC exchange calls STS with the default keys; everything the CLI
    # did ran in the account of its job's role, and the sandbox account received nothing.
    assert set(calls) == {PROD, STAGE, "123456789012"}
    assert set(calls["123456789012"]) == {"sts"}
    assert all(calls[a]["lambda"] > 0 and calls[a]["monitoring"] > 0 for a in (PROD, STAGE))
    with capsys.disabled():
        print(f"\nrequests per account and service in the organisation e2e run: {json.dumps(calls)}")

    # Each apply deleted exactly its own account's candidates, nothing anywhere else.
    assert before[PROD] - versions(prod) == {("orders", "1"), ("orders", "2"), ("orders", "3")}
    assert before[STAGE] - versions(stage) == {("orders", "1"), ("orders", "2"), ("billing", "1")}
    comments = [c.body for c in fake_github.pulls[number].comments]
    assert sum("SnapStart Cleaner apply" in c and "**3 deleted**" in c for c in comments) == 2
