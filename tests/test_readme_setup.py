"""The README's two set-up commands: one line each, each in a virtual environment; command 1 installs
only the `demo` extra; command 2's test command is exactly what `.ci/run` runs. And its "Set-up from
zero": the GitHub App step the workflows point to sets up what they read, and the personal-token bot is
gone from it."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

from cleaner.settings import GitHubSettings

REPO = Path(__file__).resolve().parents[1]
VENV = "python3 -m venv .venv && . .venv/bin/activate && "
WORKFLOWS = REPO / ".github" / "workflows"
TEST_COMMAND = "python3 -m pytest -q -n auto --dist worksteal"


def setup_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Set-up: two commands\n") :]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None
    return [line for line in block[1].splitlines() if line.strip() and not line.startswith("#")]


def test_command_1_makes_a_venv_installs_only_the_demo_extra_and_runs_the_demo() -> None:
    first, _ = setup_commands()
    assert first == f'{VENV}python3 -m pip install -e ".[demo]" && python3 -m cleaner demo'


def test_command_2_makes_a_venv_installs_the_dev_extra_and_runs_what_ci_runs() -> None:
    _, second = setup_commands()
    assert second == f'{VENV}python3 -m pip install -e ".[dev]" && {TEST_COMMAND}'
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == TEST_COMMAND
    assert 'python -m pip install --quiet -e ".[demo]"' in ci
    assert (
        ci.index('python -m pip install --quiet -e ".[demo]"')
        < next(i for i, line in enumerate(ci) if line.startswith("python3 -m cleaner demo"))
        < ci.index('python -m pip install --quiet -e ".[dev]"')
    )


def test_the_demo_extra_is_moto_with_its_server() -> None:
    """The sandbox needs moto's server (Flask) as well as the demo's in-process moto."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert [dependency.split(">")[0] for dependency in project["optional-dependencies"]["demo"]] == [
        "moto[server]"
    ]


# --- "Set-up from zero" --------------------------------------------------------------------------------


def readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def set_up_steps() -> dict[str, str]:
    """The numbered steps of "Set-up from zero", by their bold titles."""
    text = readme()
    section = text[text.index("\n## Set-up from zero\n") :]
    section = section[: section.index("\n## ", 1)]
    steps = {}
    for step in re.split(r"\n(?=\d+\. \*\*)", section)[1:]:
        title = re.match(r"\d+\. \*\*(.+?)\*\*", step)
        assert title is not None
        steps[title[1]] = step
    return steps


def workflows_text() -> str:
    return "".join(path.read_text(encoding="utf-8") for path in sorted(WORKFLOWS.glob("*.yml")))


def test_the_github_app_step_the_workflows_point_to_sets_up_what_they_read() -> None:
    # The bot jobs' error names this step when the App is not set up.
    assert 'README, "Set-up from zero", the GitHub App step' in workflows_text()
    [app] = [step for title, step in set_up_steps().items() if "GitHub App" in title]
    step = " ".join(app.split())
    for needed in (
        "owned by the organisation",
        "no webhook",
        "Contents: Read and write",
        "Pull requests: Read and write",
        "Metadata: Read-only, nothing else",
        "install it on this repository only",
        "the variable `SNAPSTART_APP_CLIENT_ID`",
        "the secret `SNAPSTART_APP_PRIVATE_KEY`",
        "the environment `snapstart-pr` (restricted to `main`",
        "`<app-slug>[bot]`, in `[tool.cleaner] bot_logins`",
        "Remove `SNAPSTART_PR_TOKEN`",
    ):
        assert needed in step, needed
    # What the workflows read is what the step sets up.
    assert "${{ vars.SNAPSTART_APP_CLIENT_ID }}" in workflows_text()
    assert "${{ secrets.SNAPSTART_APP_PRIVATE_KEY }}" in workflows_text()


def test_every_secret_the_workflows_read_is_set_up_or_to_be_removed() -> None:
    set_up = " ".join(" ".join(set_up_steps().values()).split())
    for secret in set(re.findall(r"\bsecrets\.(\w+)", workflows_text())):
        if secret == "SNAPSTART_PR_TOKEN":  # read only to say that the old set-up must go
            assert f"Remove `{secret}` from the environment" in set_up
        else:
            assert f"secret `{secret}`" in set_up, secret


def test_the_readme_no_longer_sets_up_a_personal_token_bot() -> None:
    text = " ".join(readme().split())
    for gone in ("fine-grained", "personal access token", "bot account", "acme-cleaner-bot", "PR token"):
        assert gone not in text, gone
    # SNAPSTART_PR_TOKEN only where the README says to remove it.
    assert [m.start() for m in re.finditer("SNAPSTART_PR_TOKEN", text)] == [
        text.index("Remove `SNAPSTART_PR_TOKEN` from the environment") + len("Remove `")
    ]


def test_the_plan_branch_ruleset_covers_the_default_plan_branch_and_only_the_app_may_push() -> None:
    [rules] = [step for title, step in set_up_steps().items() if "default branch" in title]
    rules = " ".join(rules.split())
    [pattern] = re.findall(r"ruleset on the plan branch, `([^`]+)` \(or whatever `pr_branch` is\)", rules)
    assert fnmatch.fnmatchcase(GitHubSettings().pr_branch, pattern)
    for needed in ("Block force pushes", "Restrict updates", "Require signed commits", "only bypass"):
        assert needed in rules, needed
    # And the default branch keeps asking for an approval of the most recent push.
    assert "Require approval of the most recent reviewable push" in rules
