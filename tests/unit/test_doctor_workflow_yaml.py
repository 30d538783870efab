"""doctor's workflow YAML reader reads what PyYAML's BaseLoader reads (every scalar a string) on every
workflow of this repository and on the forms workflows are written in, and refuses what it does not
know instead of guessing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cleaner.doctor.workflow_yaml import load
from cleaner.doctor.yaml_scalars import WorkflowYamlError

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (it comes with moto[server])")

WORKFLOWS = sorted((Path(__file__).resolve().parents[2] / ".github" / "workflows").glob("*.yml"))


def as_base_loader(value: Any) -> Any:
    """BaseLoader reads an empty value as ''; the reader as None (no value)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return {key: as_base_loader(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_base_loader(item) for item in value]
    return value


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_every_workflow_of_this_repository_reads_as_pyyaml_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert as_base_loader(load(text)) == yaml.load(text, Loader=yaml.BaseLoader)


FORMS = [
    "on: pull_request\n",
    "on: [push, pull_request]\n",
    "'on':\n  pull_request:\n    paths:\n    - 'a/**'\n    - \"b\"\n",
    "on:\n  pull_request:\n    paths-ignore: [docs/**, '*.md']\njobs:\n  a:\n    name: \"Lint and test\"\n",
    "jobs:\n  t:\n    if: always() &&\n      needs.x\n    steps:\n      - run: |\n          echo a\n\n"
    "          echo b\n\n      - run: >-\n          a\n          b\n\n"
    "          c\n            d\n          e\n",
    "a: 'it''s'\nb: \"x\\ty\\u00e9\"\nc: x # comment\nd: http://x:80\n",
    "- a\n-\n  - b\n- - c\n  - d\n- k: v\n  l: w\n",
    "x:\n- 1\n- 2\ny: 3\n",
    "permissions: {}\nx: {contents: read, id-token: write}\n",
    "a: |+\n  keep\n\nb: |-\n  strip\n\nc: >\n  f\n",
    "---\na: 1\n",
    "a:\n  # comment\n  b: 1\n",
    "k: [a, b,]\n",
    "run: |\n    indented more\n  \nend: x\n",
    "name: Scan ${{ matrix.name || 'AWS' }}\nx: ${{ fromJSON(inputs.n || '10') }}\n",
]


@pytest.mark.parametrize("text", FORMS)
def test_the_forms_workflows_use_read_as_pyyaml_reads_them(text: str) -> None:
    assert as_base_loader(load(text)) == yaml.load(text, Loader=yaml.BaseLoader)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a: &x 1\n", "anchors"),
        ("a: *x\n", "anchors"),
        ("a: !!str 1\n", "anchors, aliases, tags"),
        ("a: [b, [c]]\n", "nested flow"),
        ("a: 'x\n  y'\n", "goes on past its line"),
        ("a: 1\na: 2\n", "given twice"),
        ("a:\n\tb: 1\n", "tab"),
        ("? a\n: b\n", "complex keys"),
        ("a: b: c\n", "cannot hold ': '"),
        ("a: 1\n---\nb: 2\n", "line 2"),
    ],
)
def test_what_it_does_not_know_is_refused_with_its_line(text: str, words: str) -> None:
    with pytest.raises(WorkflowYamlError, match="line"):
        load(text)
    with pytest.raises(WorkflowYamlError) as error:
        load(text)
    assert words in str(error.value)
