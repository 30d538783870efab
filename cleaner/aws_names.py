"""The AWS patterns that plan files and settings are validated against, as pydantic types.

Every value of these types reaches plan.md and the PR body. Validating them at the file boundary means
a reviewer's edit (or a hand-written plan) cannot smuggle Markdown or HTML into the review page through
a field that should only ever hold an AWS name; escaping in `render` is the second line of defence.
The patterns are AWS's own (botocore's Lambda service model, the tagging API), written with `[0-9]`
rather than `\\d` and matched in full, so a Unicode digit or a trailing newline never passes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator

# Lambda's FunctionArn pattern: partition, region, account, name, and a version qualifier.
REGION_PATTERN = r"(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]"
ACCOUNT_PATTERN = r"[0-9]{12}"
FUNCTION_NAME_PATTERN = r"[A-Za-z0-9_-]{1,64}"
VERSION_PATTERN = r"[1-9][0-9]{0,9}"
QUALIFIED_ARN = re.compile(
    rf"arn:aws[a-z-]*:lambda:(?P<region>{REGION_PATTERN}):(?P<account>{ACCOUNT_PATTERN})"
    rf":function:(?P<name>{FUNCTION_NAME_PATTERN}):(?P<version>{VERSION_PATTERN})"
)
# Lambda's Runtime is an enum that grows every year (nodejs4.3-edge, java8.al2, provided.al2023,
# go1.x, custom): the shape of its values, not today's list, so a new runtime does not break a scan.
_RUNTIME = re.compile(r"[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*")
# `billed_runtimes` lists runtime prefixes as globs: python*, dotnet*.
_RUNTIME_PREFIX = re.compile(r"[a-z][a-z0-9.-]*\*?")
# Lambda's State enum has grown from four values to eight (Deactivating, ActiveNonInvocable, ...), and
# the inventory reports "Unknown" when AWS omits it: an enum-shaped word, not a fixed list.
_STATE = re.compile(r"[A-Z][A-Za-z]{0,63}")
# CodeSha256: base64 of a 32-byte SHA-256 digest (the last digit before '=' carries 4 bits).
_CODE_SHA256 = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")
# A glob over function names: the characters of a function name plus fnmatch's * ? [ ] !.
_FUNCTION_GLOB = re.compile(r"[A-Za-z0-9_*?\[\]!-]{1,256}")
# Tag keys: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$, 1 to 128 characters (Python's re has no \p{...}).
_TAG_KEY_SYMBOLS = frozenset("_.:/=+-@")
_TAG_KEY_CATEGORIES = frozenset("LZN")


def shown(value: str, limit: int = 60) -> str:
    """A value quoted for an error message: one line whatever it holds, and not a megabyte long. A long
    one keeps its start and its end (where an ARN's qualifier, the part most often wrong, is)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    head = (limit - 3) // 2
    return text[:head] + "..." + text[-(limit - 3 - head) :]


def _matching(pattern: re.Pattern[str], what: str, limit: int = 60) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{shown(value, limit)} is not {what}")
        return value

    return check


def _is_tag_key(value: str) -> bool:
    return 1 <= len(value) <= 128 and all(
        char in _TAG_KEY_SYMBOLS or unicodedata.category(char)[0] in _TAG_KEY_CATEGORIES for char in value
    )


def _tag_key(value: str) -> str:
    if not _is_tag_key(value):
        raise ValueError(
            f"{shown(value)} is not an AWS tag key (1-128 letters, digits, spaces and _ . : / = + - @)"
        )
    return value


Region = Annotated[
    str,
    AfterValidator(_matching(re.compile(REGION_PATTERN), "an AWS region name (e.g. us-east-1)")),
]
AccountId = Annotated[
    str, AfterValidator(_matching(re.compile(ACCOUNT_PATTERN), "a 12-digit AWS account id"))
]
FunctionName = Annotated[
    str,
    AfterValidator(
        _matching(re.compile(FUNCTION_NAME_PATTERN), "a Lambda function name (1-64 of A-Z a-z 0-9 _ -)")
    ),
]
VersionNumber = Annotated[
    str, AfterValidator(_matching(re.compile(VERSION_PATTERN), "a published version number (1, 2, ...)"))
]
Runtime = Annotated[
    str, AfterValidator(_matching(_RUNTIME, "a Lambda runtime identifier (e.g. python3.12, provided.al2023)"))
]
RuntimePrefix = Annotated[
    str, AfterValidator(_matching(_RUNTIME_PREFIX, "a Lambda runtime or runtime prefix glob (e.g. python*)"))
]
FunctionState = Annotated[str, AfterValidator(_matching(_STATE, "a Lambda function state (e.g. Active)"))]
CodeSha256 = Annotated[
    str, AfterValidator(_matching(_CODE_SHA256, "a CodeSha256 (base64 of a SHA-256 digest, 44 characters)"))
]
FunctionGlob = Annotated[
    str,
    AfterValidator(
        _matching(
            _FUNCTION_GLOB, "a glob over function names (A-Z a-z 0-9 _ - and * ? [ ] !, 1-256 characters)"
        )
    ),
]
TagKey = Annotated[str, AfterValidator(_tag_key)]
QualifiedFunctionArn = Annotated[
    str,
    AfterValidator(
        # Lambda's longest qualified ARN is about 170 characters: shown whole, only absurd values cut.
        _matching(QUALIFIED_ARN, "a qualified Lambda version ARN (arn:aws:lambda:...:NAME:VERSION)", 200)
    ),
]
