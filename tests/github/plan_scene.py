"""The plan pull request's scene, shared by the GitHub tests that drive the real CLI (in-process)
against the fake GitHub and a moto account, as the workflows run it: the scan job (`scan`, the plan
folder uploaded as artifact `plan-<plan-id>` by a scheduled run of scan.yml on main), `open-pr` with the
App's installation token, keep.yml (`keep` with the App's token), plan-check's refresh (`refresh-pr`
with the workflow's own token) and the apply job (`apply --require-approval` in a checkout of the merge,
with the workflow's own token)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from io import StringIO
from pathlib import Path

import boto3
from fakes.github_server import ACTIONS_TOKEN, FakeGitHub

from cleaner.cli import Environment, program
from cleaner.demo.account import SimulatedAccount
from cleaner.exit_codes import ExitCode

BRANCH = "snapstart-cleaner/plan"
PLAN = "plans/p1/plan.json"
PLAN_MD = "plans/p1/plan.md"
ALL_VERSIONS = ["1", "2", "3", "4", "5", "6"]


@dataclass
class Scene:
    fake: FakeGitHub
    account: SimulatedAccount
    session: boto3.Session
    root: Path
    environ: dict[str, str]
    now: datetime
    number: int = 0
    stdout: str = ""

    def run(self, cwd: Path, *argv: str, **extra_env: str) -> tuple[ExitCode, str]:
        out, err = StringIO(), StringIO()
        env = Environment(
            stdout=out,
            stderr=err,
            cwd=cwd,
            environ={**self.environ, **extra_env},
            clock=lambda: self.now,
            aws_session=lambda: self.session,
        )
        code = program(list(argv), env)
        self.stdout = out.getvalue()
        return code, out.getvalue() + err.getvalue()

    @property
    def scanned(self) -> Path:
        return self.root / "scan-job" / "plans" / "p1"

    def scan_and_propose(self) -> int:
        job = self.root / "scan-job"
        job.mkdir(exist_ok=True)
        code, output = self.run(job, "scan", "--region", "us-east-1", "--plan-id", "p1", "--keep-last-n", "3")
        assert code == ExitCode.OK, output
        self.fake.upload_plan_artifact(self.scanned)
        code, output = self.run(job, "open-pr", "plans/p1", "--format", "json")
        assert code == ExitCode.OK, output
        self.number = int(json.loads(self.stdout)["number"])
        return self.number

    def scanned_document(self) -> dict[str, object]:
        return dict(json.loads((self.scanned / "plan.json").read_text()))

    def edited_files(self, drop: list[str], login: str = "carol") -> dict[str, str | None]:
        """What a reviewer commits after dropping versions in a clone: plan.json without them, and
        plan.md rendered with `render --against` the scan's plan."""
        document = self.scanned_document()
        entries = document["delete"]
        assert isinstance(entries, list)
        document["delete"] = [e for e in entries if e["version"] not in drop]
        clone = self.root / login / "plans" / "p1"
        clone.mkdir(parents=True, exist_ok=True)
        (clone / "plan.json").write_text(json.dumps(document, indent=2) + "\n")
        code, output = self.run(
            self.root, "render", str(clone / "plan.json"), "--against", str(self.scanned / "plan.json")
        )
        assert code == ExitCode.OK, output
        return {PLAN: (clone / "plan.json").read_text(), PLAN_MD: (clone / "plan.md").read_text()}

    def document_with_version_5_added(self) -> dict[str, object]:
        """The scan's plan with version 5 moved from `keep` to `delete` by hand: schema-valid, and exactly
        what the scan refused to propose."""
        document = self.scanned_document()
        kept, entries = document["keep"], document["delete"]
        assert isinstance(kept, list) and isinstance(entries, list)
        moved = next(e for e in kept if e["version"] == "5")
        kept.remove(moved)
        entries.append(dict(moved, reasons=["no_activity_and_stale"]))
        return document

    def apply(self, merge_sha: str, pyproject: str = "", *, dry_run: bool = False) -> tuple[ExitCode, str]:
        """The apply job: a checkout of the merge commit, then `apply --require-approval` (and
        `--dry-run` while SNAPSTART_DRY_RUN is not `false`)."""
        checkout = self.root / f"apply-{merge_sha[:8]}"
        with self.fake.lock:
            tree = self.fake._tree_of(merge_sha)
            files = {path: self.fake.blobs[blob].decode() for path, blob in tree.items()}
        for path, text in files.items():
            (checkout / path).parent.mkdir(parents=True, exist_ok=True)
            (checkout / path).write_text(text)
        if pyproject:
            (checkout / "pyproject.toml").write_text(pyproject)
        plans = sorted(p for p in files if p.startswith("plans/") and p.endswith("/plan.json"))
        assert plans, "the merge carries no plan"
        return self.run(
            checkout,
            "apply",
            plans[-1],
            "--require-approval",
            *(["--dry-run"] if dry_run else []),
            GITHUB_SHA=merge_sha,
            GITHUB_TOKEN=ACTIONS_TOKEN,
        )

    def refresh(self, *, pr: int | None = None) -> tuple[ExitCode, str]:
        """plan-check's last step after a push or an edit of the description: `refresh-pr` with the
        workflow's own token, at the head it checked."""
        number = pr or self.number
        return self.run(
            self.root,
            "refresh-pr",
            "--pr",
            str(number),
            "--head-sha",
            self.fake.head_sha(number),
            GITHUB_TOKEN=ACTIONS_TOKEN,
        )

    def keep(self, comment_id: int, *, pr: int | None = None) -> tuple[ExitCode, str]:
        """The keep workflow: a checkout of the default branch, then `keep` with the bot's token."""
        job = self.root / "keep-job"
        job.mkdir(exist_ok=True)
        return self.run(job, "keep", "--pr", str(pr or self.number), "--comment-id", str(comment_id))

    def versions(self) -> list[str]:
        found = self.session.client("lambda").list_versions_by_function(FunctionName="api")["Versions"]
        return [v["Version"] for v in found if v["Version"] != "$LATEST"]

    def last_comment(self) -> str:
        return self.fake.pulls[self.number].comments[-1].body


def make_scene(
    fake_github: FakeGitHub,
    github_environ: dict[str, str],
    account: SimulatedAccount,
    aws_session: boto3.Session,
    now: datetime,
    tmp_path: Path,
) -> Scene:
    """A scanned account (function `api`, six SnapStart versions 100..50 days old: 1, 2, 3 proposed)
    and the plan PR the scan opened; bob and carol have write access."""
    account.function("api", [100, 90, 80, 70, 60, 50])
    fake_github.add_user("bob")
    fake_github.add_user("carol")
    state = Scene(fake_github, account, aws_session, tmp_path, dict(github_environ), now)
    state.scan_and_propose()
    return state


def assert_refused(scene: Scene, code: ExitCode, output: str, why: str) -> None:
    assert code == ExitCode.FAILURES, output
    assert "Nothing was deleted" in output, output
    assert scene.versions() == ALL_VERSIONS
    comment = scene.last_comment()
    assert "Apply refused" in comment and why in comment, comment
