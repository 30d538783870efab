"""JSON path -> line (cleaner/jsonlines.py), so schema errors and annotations point at the right line."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.jsonlines import JsonPath, line_for, locate_lines

TEXT = """{
  "a": 1,
  "b": {
    "c": [
      10,
      {"d": "x{y}[z],\\"q\\"", "e": null},
      []
    ],
    "f": {}
  },
  "g": "line\\nbreak",
  "h": true
}
"""


def test_members_are_at_their_key_line_and_elements_where_they_start() -> None:
    lines = locate_lines(TEXT)
    assert lines[()] == 1
    assert lines[("a",)] == 2
    assert lines[("b",)] == 3
    assert lines[("b", "c")] == 4
    assert lines[("b", "c", 0)] == 5
    assert lines[("b", "c", 1)] == 6
    assert lines[("b", "c", 1, "d")] == 6
    assert lines[("b", "c", 1, "e")] == 6  # brackets and quotes inside strings are not structure
    assert lines[("b", "c", 2)] == 7
    assert lines[("b", "f")] == 9
    assert lines[("g",)] == 11
    assert lines[("h",)] == 12


def test_a_value_on_the_line_after_its_key_is_reported_at_the_key() -> None:
    lines = locate_lines('{\n  "a":\n\n    [1,\n     2]\n}')
    assert lines[("a",)] == 2
    assert lines[("a", 1)] == 5


def test_compact_json_is_all_on_line_one() -> None:
    text = json.dumps({"a": [1, {"b": 2}], "c": "d"})
    assert set(locate_lines(text).values()) == {1}


def test_crlf_line_endings_and_surrounding_whitespace() -> None:
    lines = locate_lines('\r\n  {\r\n"a": 1,\r\n"b": [\r\n2]}\r\n')
    assert (lines[()], lines[("a",)], lines[("b",)], lines[("b", 0)]) == (2, 3, 4, 5)


def test_scalar_documents() -> None:
    assert locate_lines("\n\n42") == {(): 3}
    assert locate_lines('"x"') == {(): 1}


def test_line_for_falls_back_to_the_nearest_ancestor() -> None:
    lines = locate_lines(TEXT)
    assert line_for(lines, ("b", "c", 1, "missing")) == 6
    assert line_for(lines, ("b", "c", 9)) == 4
    assert line_for(lines, ("nowhere", "deeper")) == 1
    assert line_for({}, ("x",)) == 1


def _paths(value: Any, path: JsonPath = ()) -> set[JsonPath]:
    found = {path}
    if isinstance(value, dict):
        for key, child in value.items():
            found |= _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found |= _paths(child, (*path, index))
    return found


keys = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)
documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(documents, st.sampled_from([None, 0, 1, 2, 4]))
def test_every_path_is_located_and_members_on_their_key_line(document: Any, indent: int | None) -> None:
    text = json.dumps(document, indent=indent)
    lines = locate_lines(text)
    assert set(lines) == _paths(document)
    text_lines = text.split("\n")
    for path, line in lines.items():
        assert 1 <= line <= len(text_lines)
        if path and isinstance(path[-1], str):
            assert json.dumps(path[-1]) + ":" in text_lines[line - 1]
