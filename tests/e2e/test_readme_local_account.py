"""README "Try it on a local account", followed command by command: the commands are read out of
README.md (so the README and this test cannot drift apart) and run as a user runs them, in a shell, in a
folder with the clone's pyproject.toml, against a sandbox this test starts on a free port."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from cleaner.plan import load_plan
from cleaner.sandbox.server import DEFAULT_PORT, export_lines

from .sandbox_process import running_sandbox

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]


def readme_section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def code_blocks(section: str) -> list[list[str]]:
    """Each ```sh block of a section, as its non-empty, non-comment lines."""
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [
        [line for line in block.splitlines() if line.strip() and not line.startswith("#")] for block in blocks
    ]


SECTION = readme_section("Try it on a local account")
START, EXPORTS, COMMANDS = code_blocks(SECTION)


def test_the_section_is_start_exports_and_five_commands() -> None:
    assert START == [". .venv/bin/activate && snapstart-cleaner sandbox"]
    assert export_lines(DEFAULT_PORT) == EXPORTS
    assert len(COMMANDS) == 5
    assert [line.split()[0:2] for line in COMMANDS] == [
        ["snapstart-cleaner", "scan"],
        ["python3", "-c"],
        ["snapstart-cleaner", "validate"],
        ["snapstart-cleaner", "apply"],
        ["snapstart-cleaner", "apply"],
    ]


def test_the_readme_commands_scan_edit_validate_dry_run_and_apply_a_local_account(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(REPO / "pyproject.toml", clone / "pyproject.toml")  # the clone's [tool.cleaner]
    with running_sandbox(tmp_path) as sandbox:
        # What the sandbox prints is what the README shows, on its own port.
        assert sandbox.export_lines == export_lines(sandbox.port, sandbox.pricing_port)
        environ = sandbox.environ()
        outputs = []
        for command in COMMANDS:
            run = subprocess.run(
                ["bash", "-c", command], cwd=clone, env=environ, capture_output=True, text=True, timeout=120
            )
            assert run.returncode == 0, f"{command}\n{run.stdout}\n{run.stderr}"
            outputs.append(run.stdout)

        scanned = load_plan(clone / "scanned-plan.json")
        edited = load_plan(clone / "plans/local/plan.json")
        assert len(scanned.delete) >= 5
        # The sandbox's Price List, code storage and Cost Explorer history all answered (issue 20).
        assert scanned.pricing.regions["us-east-1"].source.value == "price_list"
        assert scanned.savings is not None and scanned.savings.notes == []
        assert scanned.savings.bill is not None and scanned.savings.storage["us-east-1"].used_bytes
        dropped = scanned.delete[0]
        assert outputs[1].startswith(f"keeping {dropped.function_name} {dropped.version}\n")
        assert [e.key for e in edited.delete] == [e.key for e in scanned.delete[1:]]
        assert "valid" in outputs[2] and "1 dropped by review" in outputs[2]
        assert f"{len(edited.delete)} would_delete" in outputs[3]
        result = json.loads((clone / "plans/local/apply-result.json").read_text())
        assert result["counts"] == {"deleted": len(edited.delete)}

        lambda_ = boto3.client(
            "lambda",
            endpoint_url=sandbox.endpoint,
            region_name="us-east-1",
            aws_access_key_id="sandbox",
            aws_secret_access_key="sandbox",
        )
        remaining = {
            (f["FunctionName"], f["Version"])
            for page in lambda_.get_paginator("list_functions").paginate(FunctionVersion="ALL")
            for f in page["Functions"]
        }
        assert (dropped.function_name, dropped.version) in remaining
        assert not {(e.function_name, e.version) for e in edited.delete} & remaining
