"""`/keep` in a plan that spans regions (issue 19): a function deployed in several regions has a version
of the same number in each; `/keep FN:V` must not drop them all. An unqualified name that matches
several regions is refused with the choices; `/keep REGION:FN:V` drops that region's version only."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli
from fakes.github_server import FakeGitHub
from fakes.plans import make_plan, write_plan

from cleaner.exit_codes import ExitCode
from cleaner.plan import Plan, summarize
from cleaner.settings import ScanSettings

PLAN = "plans/regions/plan.json"


def two_region_plan() -> Plan:
    """fn-000 versions 1-3 in us-east-1, and the same versions in eu-west-1."""
    east = make_plan("regions", delete=3, keep=0)
    west = [
        Plan.model_validate_json(east.model_dump_json().replace("us-east-1", "eu-west-1")).delete[i]
        for i in range(3)
    ]
    regions = ["us-east-1", "eu-west-1"]
    delete = east.delete + west
    return east.model_copy(
        update={
            "regions": regions,
            "settings": ScanSettings(regions=regions),
            "delete": delete,
            "summary": summarize(delete, []),
        }
    )


def opened(run_cli: RunCli, tmp_path: Path) -> None:
    folder = write_plan(tmp_path, two_region_plan())
    result = run_cli("open-pr", str(folder.relative_to(tmp_path)))
    assert result.code == ExitCode.OK, result.stderr


def deleted(fake: FakeGitHub) -> list[str]:
    text = fake.file_at("snapstart-cleaner/plan", PLAN)
    assert text is not None
    return [f"{e['region']}:{e['version']}" for e in json.loads(text)["delete"]]


def test_the_page_shows_the_region_qualified_form(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    opened(run_cli, tmp_path)
    how = fake_github.pulls[1].body.split("## How to keep a version", 1)[1].split("\n## ", 1)[0]
    assert "`/keep fn-000:1`" in how and "`/keep eu-west-1:fn-000:1`" in how


def test_an_unqualified_name_in_two_regions_is_refused_with_the_choices(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    opened(run_cli, tmp_path)
    fake_github.add_user("carol")
    comment = fake_github.comment(1, "carol", "/keep fn-000:2")

    result = run_cli("keep", "--pr", "1", "--comment-id", str(comment.id))

    assert result.code == ExitCode.BAD_INPUT, result.stdout
    reply = fake_github.pulls[1].comments[-1].body
    assert "`fn-000:2` is in 2 regions of the plan" in reply
    assert "`/keep eu-west-1:fn-000:2` or `/keep us-east-1:fn-000:2`" in reply and "Nothing changed" in reply
    assert len(deleted(fake_github)) == 6


def test_a_region_qualified_name_drops_that_regions_version_only(
    run_cli: RunCli, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    opened(run_cli, tmp_path)
    fake_github.add_user("carol")
    comment = fake_github.comment(1, "carol", "/keep eu-west-1:fn-000:2")

    result = run_cli("keep", "--pr", "1", "--comment-id", str(comment.id))

    assert result.code == ExitCode.OK, result.stdout
    assert "eu-west-1:2" not in deleted(fake_github) and "us-east-1:2" in deleted(fake_github)
    body = fake_github.pulls[1].body
    assert "- `fn-000` (eu-west-1): 2 — by carol" in body
