"""The README's two set-up commands: one line each, each in a virtual environment; command 1 installs
only the `demo` extra; command 2's test command is exactly what `.ci/run` runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = "python3 -m venv .venv && . .venv/bin/activate && "
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
