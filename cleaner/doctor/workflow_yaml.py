"""A reader for the YAML that GitHub Actions workflows are written in: block mappings and sequences,
plain and quoted scalars, literal and folded block scalars, one-line flow collections of scalars, and
comments. Every scalar is a string (`on` stays the key "on", `true` the string "true"), as GitHub reads
a workflow's keys.

`doctor` reads the workflow files on the default branch and must run where only the runtime
dependencies are installed (PyYAML is not one of them). What this reader does not know (anchors,
aliases, tags, complex keys, several documents, nested flow collections, quoted scalars over several
lines) is refused with `WorkflowYamlError`, never guessed: a check that cannot read a workflow fails.
The tests hold it to PyYAML's `BaseLoader` on every workflow of this repository.
"""

from __future__ import annotations

import re
from typing import Any

from cleaner.doctor.yaml_scalars import WorkflowYamlError, flow_collection, quoted_scalar, without_comment

_BLOCK_HEADER = re.compile(r"^([|>])([+-]?)([1-9]?)([+-]?)$")


def load(text: str) -> Any:
    """The document in `text`: dicts, lists, strings and None."""
    return _Reader(text).document()


def _indent_of(line: str, number: int) -> int:
    indent = len(line) - len(line.lstrip(" "))
    if line[indent : indent + 1] == "\t":
        raise WorkflowYamlError(number, "a tab in the indentation")
    return indent


def _is_blank(line: str) -> bool:
    return line.strip() == "" or line.lstrip().startswith("#")


def _split_key(content: str, number: int) -> tuple[str, str] | None:
    """(key, the rest after `:`) when `content` starts a mapping entry, else None."""
    if content[0] in "\"'":
        key, after = quoted_scalar(content, number)
        stripped = after.lstrip(" ")
        if stripped.startswith(":") and (len(stripped) == 1 or stripped[1] in " \t"):
            return key, stripped[1:]
        return None
    if content[0] in "[{&*!?|>%@`":
        return None
    for index, char in enumerate(content):
        if char == "#" and index > 0 and content[index - 1] in " \t":
            return None
        if char == ":" and (index + 1 == len(content) or content[index + 1] in " \t"):
            return content[:index].rstrip(), content[index + 1 :]
    return None


def _fold(lines: list[str]) -> str:
    """YAML line folding: a single break between two plain lines is a space; each empty line is a
    newline; breaks around more-indented lines are kept."""
    lead = 0
    while lead < len(lines) and lines[lead] == "":
        lead += 1
    if lead == len(lines):
        return ""
    out, previous, index = lines[lead], lines[lead], lead + 1
    while index < len(lines):
        empties = 0
        while lines[index] == "":
            empties += 1
            index += 1
        line = lines[index]
        if not previous.startswith((" ", "\t")) and not line.startswith((" ", "\t")):
            out += " " if empties == 0 else "\n" * empties
        else:
            out += "\n" * (empties + 1)
        out += line
        previous = line
        index += 1
    return "\n" * lead + out


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
        self.index = 0

    def document(self) -> Any:
        start = self._next()
        if start is not None and self.lines[start].rstrip() == "---":
            self.index = start + 1
        value = self._node(-1)
        rest = self._next()
        if rest is not None:
            raise WorkflowYamlError(rest + 1, "unexpected content (one document of block YAML expected)")
        return value

    def _next(self) -> int | None:
        """The index of the next line that is not blank or a comment, from the cursor on."""
        index = self.index
        while index < len(self.lines) and _is_blank(self.lines[index]):
            index += 1
        return index if index < len(self.lines) else None

    def _node(self, parent: int) -> Any:
        start = self._next()
        if start is None:
            return None
        line = self.lines[start]
        indent = _indent_of(line, start + 1)
        if indent <= parent:
            return None
        content = line[indent:]
        if content == "-" or content.startswith("- "):
            return self._sequence(indent)
        if _split_key(content, start + 1) is not None:
            return self._mapping(indent)
        self.index = start + 1
        return self._value(content, parent, start + 1)

    def _mapping(self, indent: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while (start := self._next()) is not None:
            line = self.lines[start]
            column = _indent_of(line, start + 1)
            if column < indent:
                break
            if column > indent:
                raise WorkflowYamlError(start + 1, "unexpected indentation")
            entry = _split_key(line[column:], start + 1)
            if entry is None:
                if line[column:] == "-" or line[column:].startswith("- "):
                    break  # a sequence at the parent's key's level
                raise WorkflowYamlError(start + 1, "expected `key: value`")
            key, rest = entry
            if key in result:
                raise WorkflowYamlError(start + 1, f"the key {key!r} is given twice")
            self.index = start + 1
            result[key] = self._value(rest.lstrip(" \t"), indent, start + 1, in_mapping=True)
        return result

    def _sequence(self, indent: int) -> list[Any]:
        result: list[Any] = []
        while (start := self._next()) is not None:
            line = self.lines[start]
            column = _indent_of(line, start + 1)
            if column < indent:
                break
            if column > indent:
                raise WorkflowYamlError(start + 1, "unexpected indentation")
            content = line[column:]
            if not (content == "-" or content.startswith("- ")):
                break
            item = content[1:].lstrip(" ")
            if item == "" or item.startswith("#"):
                self.index = start + 1
                result.append(self._node(indent))
                continue
            # The item's own content starts a block at its column (`- key: value`, `- - x`).
            item_column = len(line) - len(item)
            self.lines[start] = " " * item_column + item
            self.index = start
            if item == "-" or item.startswith("- "):
                result.append(self._sequence(item_column))
            elif _split_key(item, start + 1) is not None:
                result.append(self._mapping(item_column))
            else:
                self.index = start + 1
                result.append(self._value(item, indent, start + 1))
        return result

    def _value(self, text: str, indent: int, number: int, in_mapping: bool = False) -> Any:
        """The value that starts with `text` on line `number` (its node's indentation `indent`)."""
        rest = without_comment(text)
        if rest == "":
            following = self._next()
            if in_mapping and following is not None:
                line = self.lines[following]
                same_level = _indent_of(line, following + 1) == indent
                if same_level and (line[indent:] == "-" or line[indent:].startswith("- ")):
                    return self._sequence(indent)
            return self._node(indent)
        if rest[0] in "|>":
            return self._block_scalar(rest, indent, number)
        if rest[0] in "&*!?%@`":
            raise WorkflowYamlError(
                number, f"{rest[0]!r}: anchors, aliases, tags and complex keys are not supported"
            )
        if rest[0] in "[{":
            return flow_collection(rest, number)
        if rest[0] in "\"'":
            value, after = quoted_scalar(text.lstrip(" "), number)
            if without_comment(after) != "":
                raise WorkflowYamlError(number, "unexpected text after a quoted scalar")
            return value
        lines = [rest]
        while (following := self._next()) is not None:
            line = self.lines[following]
            if _indent_of(line, following + 1) <= indent:
                break
            lines += [""] * (following - self.index)
            lines.append(without_comment(line.strip()))
            self.index = following + 1
        value = _fold(lines)
        if ": " in value or value.endswith(":") or " #" in value:
            raise WorkflowYamlError(number, "a plain scalar cannot hold ': ' (quote it)")
        return value

    def _block_scalar(self, header: str, indent: int, number: int) -> str:
        match = _BLOCK_HEADER.match(header)
        if match is None or (match[2] and match[4]):
            raise WorkflowYamlError(number, f"a block scalar header {header!r} this reader does not know")
        style, chomping, explicit = match[1], match[2] or match[4], match[3]
        content_indent = indent + int(explicit) if explicit else None
        lines: list[str] = []
        index = self.index
        while index < len(self.lines):
            line = self.lines[index]
            if line.strip() == "":
                lines.append(line[content_indent:] if content_indent is not None else "")
                index += 1
                continue
            column = len(line) - len(line.lstrip(" "))
            if content_indent is None:
                if column <= max(indent, 0) and not (indent < 0 and column == 0):
                    break
                content_indent = column
            if column < content_indent:
                break
            lines.append(line[content_indent:])
            index += 1
        self.index = index
        last = max((i for i, line in enumerate(lines) if line != ""), default=-1)
        body, trailing = lines[: last + 1], len(lines) - last - 1
        text = "\n".join(body) if style == "|" else _fold(body)
        if not body:
            return "\n" * trailing if chomping == "+" else ""
        if chomping == "-":
            return text
        return text + ("\n" * (trailing + 1) if chomping == "+" else "\n")
