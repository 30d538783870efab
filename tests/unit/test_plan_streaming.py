"""plan.json and plan.md are written in pieces (large plans), with the very text of a one-piece dump."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cleaner.plan import PLAN_JSON, PLAN_MD, Plan, plan_json_chunks, write_plan_files
from cleaner.render import render_plan_markdown, render_plan_markdown_chunks

from .factories import sample_plan


def _variants() -> list[Plan]:
    plan = sample_plan()
    return [
        plan,
        plan.model_copy(update={"delete": []}),
        plan.model_copy(update={"keep": []}),
        plan.model_copy(update={"delete": [], "keep": []}),
        plan.model_copy(update={"delete": plan.delete[:1], "keep": plan.keep[:1]}),
    ]


@pytest.mark.parametrize("plan", _variants(), ids=["full", "no-delete", "no-keep", "empty", "one-each"])
def test_streamed_json_is_exactly_the_one_piece_dump(plan: Plan) -> None:
    assert "".join(plan_json_chunks(plan)) == plan.model_dump_json(indent=2) + "\n"


def test_streamed_markdown_is_exactly_the_rendered_page() -> None:
    plan = sample_plan()
    assert "".join(render_plan_markdown_chunks(plan)) == render_plan_markdown(plan)


def test_a_failure_while_rendering_leaves_no_plan_written(tmp_path: Path) -> None:
    def broken_markdown() -> Iterator[str]:
        yield "# half a page\n"
        raise RuntimeError("template failed")

    with pytest.raises(RuntimeError):
        write_plan_files(tmp_path / "p1", sample_plan(), broken_markdown())

    assert not (tmp_path / "p1" / PLAN_JSON).exists()
    assert not (tmp_path / "p1" / PLAN_MD).exists()
    assert list((tmp_path / "p1").iterdir()) == []
