"""Line numbers of the values in a JSON document, so errors can point at the offending line."""

from __future__ import annotations

import bisect
import json
import re

JsonPath = tuple[str | int, ...]

_WHITESPACE = re.compile(r"[ \t\n\r]*")


def locate_lines(text: str) -> dict[JsonPath, int]:
    """Map every path in a well-formed JSON document to the 1-based line where it starts.

    An object member's line is the line of its key. Call only on text `json.loads` accepted.
    """
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    decoder = json.JSONDecoder()
    lines: dict[JsonPath, int] = {}

    def line_of(index: int) -> int:
        return bisect.bisect_right(newlines, index - 1) + 1

    def skip(index: int) -> int:
        match = _WHITESPACE.match(text, index)
        return match.end() if match else index

    def walk(index: int, path: JsonPath, recorded: bool) -> int:
        index = skip(index)
        if not recorded:
            lines[path] = line_of(index)
        if text[index] == "{":
            index = skip(index + 1)
            if text[index] == "}":
                return index + 1
            while True:
                index = skip(index)
                key, index = decoder.raw_decode(text, index)
                lines[(*path, key)] = line_of(index)
                index = skip(index) + 1  # the colon
                index = skip(walk(index, (*path, key), recorded=True))
                if text[index] == "}":
                    return index + 1
                index += 1  # the comma
        if text[index] == "[":
            index = skip(index + 1)
            if text[index] == "]":
                return index + 1
            position = 0
            while True:
                index = skip(walk(index, (*path, position), recorded=False))
                position += 1
                if text[index] == "]":
                    return index + 1
                index += 1
        _, end = decoder.raw_decode(text, index)
        return int(end)

    walk(0, (), recorded=False)
    return lines


def line_for(lines: dict[JsonPath, int], path: JsonPath) -> int:
    """The line of `path`, or of its nearest ancestor present in the document (a missing field)."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return 1
