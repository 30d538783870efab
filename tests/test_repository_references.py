"""The repository cites only documents it contains (issue 12: comments cited a design document that is
not in the repository)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Built, so this file does not cite it itself.
MISSING_DOCUMENT = "DESIGN" + ".md"


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [
        REPO / name for name in listed.split("\0") if name.endswith((".py", ".md", ".j2", ".toml", ".yml"))
    ]


def test_no_file_cites_a_design_document_the_repository_does_not_have() -> None:
    assert not (REPO / MISSING_DOCUMENT).exists()
    citing = [str(p.relative_to(REPO)) for p in tracked_text_files() if MISSING_DOCUMENT in p.read_text()]
    assert citing == []


def test_every_markdown_file_the_sources_cite_exists() -> None:
    cited = {
        name
        for path in tracked_text_files()
        if path.suffix == ".py"
        for name in re.findall(r"\b([A-Z][A-Z_]+\.md)\b", path.read_text())
    }
    assert {name for name in cited if not (REPO / name).exists()} == set()
