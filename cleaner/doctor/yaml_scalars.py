"""The scalars of the workflow YAML `cleaner.doctor.workflow_yaml` reads: quoted scalars (on one line),
comments, and one-line flow collections of scalars (`[a, "b"]`, `{}`, `{contents: read}`)."""

from __future__ import annotations

import re
from typing import Any

_DOUBLE_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


class WorkflowYamlError(ValueError):
    """YAML this reader does not take, with the 1-based line it is on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def without_comment(text: str) -> str:
    """`text` up to a comment (a `#` at its start or after white space), right-stripped."""
    for index, char in enumerate(text):
        if char == "#" and (index == 0 or text[index - 1] in " \t"):
            return text[:index].rstrip()
    return text.rstrip()


def quoted_scalar(text: str, number: int) -> tuple[str, str]:
    """The quoted scalar `text` starts with, and what follows it on the line."""
    quote = text[0]
    out: list[str] = []
    index = 1
    while index < len(text):
        char = text[index]
        if quote == "'" and char == "'":
            if text[index + 1 : index + 2] == "'":
                out.append("'")
                index += 2
                continue
            return "".join(out), text[index + 1 :]
        if quote == '"' and char == '"':
            return "".join(out), text[index + 1 :]
        if quote == '"' and char == "\\":
            code = text[index + 1 : index + 2]
            if code in _DOUBLE_ESCAPES:
                out.append(_DOUBLE_ESCAPES[code])
                index += 2
                continue
            width = _HEX_ESCAPES.get(code)
            digits = text[index + 2 : index + 2 + width] if width else ""
            if not width or not re.fullmatch(r"[0-9A-Fa-f]+", digits) or len(digits) != width:
                raise WorkflowYamlError(number, f"unknown escape \\{code} in a double-quoted scalar")
            out.append(chr(int(digits, 16)))
            index += 2 + width
            continue
        out.append(char)
        index += 1
    raise WorkflowYamlError(number, "a quoted scalar that goes on past its line (not supported)")


def flow_collection(text: str, number: int) -> Any:
    """A one-line flow sequence or mapping of scalars: `[a, "b"]`, `{}`, `{contents: read}`."""
    closing = "]" if text[0] == "[" else "}"
    items: list[str] = []
    current = ""
    quoted: str | None = None  # the current entry, when it is a quoted scalar
    index = 1
    while index < len(text):
        char = text[index]
        if char in "\"'" and current.strip() == "" and quoted is None:
            quoted, after = quoted_scalar(text[index:], number)
            index = len(text) - len(after)
            continue
        if char in "[{":
            raise WorkflowYamlError(number, "nested flow collections are not supported")
        if char in (closing, ","):
            entry = quoted if quoted is not None else current.strip()
            if quoted is not None and current.strip():
                raise WorkflowYamlError(number, "unexpected text after a quoted scalar")
            if char == ",":
                items.append(entry)
                current, quoted = "", None
                index += 1
                continue
            if without_comment(text[index + 1 :]) != "":
                raise WorkflowYamlError(number, "unexpected text after a flow collection")
            if entry != "" or quoted is not None or items:
                items.append(entry)
            return _flow_items(items, closing == "]", number)
        current += char
        index += 1
    raise WorkflowYamlError(number, "a flow collection that goes on past its line (not supported)")


def _flow_items(items: list[str], sequence: bool, number: int) -> Any:
    if items and items[-1] == "":
        items = items[:-1]  # a trailing comma
    if "" in items:
        raise WorkflowYamlError(number, "an empty entry in a flow collection")
    if sequence:
        return items
    mapping: dict[str, str] = {}
    for item in items:
        key, colon, value = item.partition(": ")
        if not colon:
            raise WorkflowYamlError(number, f"{item!r}: expected `key: value` in a flow mapping")
        mapping[key.strip()] = value.strip()
    return mapping
