"""CODEOWNERS on the default branch: who owns the workflows, the code and `[tool.cleaner]`.

Apply checks a plan pull request itself; what protects `.github/`, `cleaner/` and `pyproject.toml`
(the workflows, the code that judges, the limits) is a code owner's review the ruleset requires. A
path is owned by the last line whose pattern matches it (GitHub's rule); a line without owners leaves
the path unowned, and an owner GitHub reports as an error (unknown, or without write access) does not
count, so GitHub's own error list is read too."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cleaner.doctor.checks import Check, failed, passed, unreadable
from cleaner.doctor.facts import RepositoryFacts, Unreadable

AREA = "CODEOWNERS"
# Where GitHub looks, in its order: the first that exists is the file.
LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
# What must be owned, and files that stand for it (a pattern must own each of them).
PROTECTED: dict[str, tuple[str, ...]] = {
    "/.github/": (
        ".github/workflows/apply.yml",
        ".github/workflows/scan.yml",
        ".github/requirements.txt",
        ".github/CODEOWNERS",
    ),
    "/cleaner/": ("cleaner/cli.py", "cleaner/commands/apply.py", "cleaner/apply_requirements.py"),
    "/pyproject.toml": ("pyproject.toml",),
}
_OWNER = re.compile(r"^(?:@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+)$")


@dataclass(frozen=True)
class Line:
    number: int
    pattern: str
    owners: tuple[str, ...]
    regex: re.Pattern[str]
    directories_only: bool
    # `docs/*` owns the files in docs, not deeper ones (GitHub's documented exception to gitignore).
    wildcard_leaf: bool


def _translate(body: str) -> str:
    out, index = "", 0
    while index < len(body):
        if body.startswith("**/", index):
            out, index = out + "(?:.*/)?", index + 3
        elif body.startswith("**", index):
            out, index = out + ".*", index + 2
        elif body[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif body[index] == "?":
            out, index = out + "[^/]", index + 1
        elif body.startswith("\\", index) and index + 1 < len(body):
            out, index = out + re.escape(body[index + 1]), index + 2
        else:
            out, index = out + re.escape(body[index]), index + 1
    return out


def parse(text: str) -> list[Line]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        content = re.split(r"(?<!\\)#", raw, maxsplit=1)[0].strip()
        if not content:
            continue
        pattern, *owners = content.split()
        directories_only = pattern.endswith("/")
        body = pattern.strip("/") if pattern != "/" else ""
        # A slash at the start or in the middle anchors the pattern at the root (gitignore's rule).
        anchored = pattern.startswith("/") or "/" in body
        regex = re.compile(("" if anchored else "(?:.*/)?") + _translate(body))
        leaf = body.rsplit("/", 1)[-1]
        lines.append(
            Line(number, pattern, tuple(owners), regex, directories_only, "*" in leaf or "?" in leaf)
        )
    return lines


def _matches(line: Line, path: str) -> bool:
    if not line.directories_only and line.regex.fullmatch(path):
        return True
    if line.wildcard_leaf and line.pattern != "*":
        return False
    parts = path.split("/")
    return any(line.regex.fullmatch("/".join(parts[:depth])) for depth in range(1, len(parts)))


def owners_of(lines: list[Line], path: str) -> tuple[Line | None, tuple[str, ...]]:
    """The line that decides `path` (the last that matches) and its owners."""
    deciding = next((line for line in reversed(lines) if _matches(line, path)), None)
    return deciding, deciding.owners if deciding else ()


def codeowners_checks(facts: RepositoryFacts) -> list[Check]:
    title = "A CODEOWNERS file is on the default branch"
    if isinstance(facts.codeowners, Unreadable):
        return [unreadable(AREA, title, facts.codeowners)]
    example = "`/.github/ @acme/platform`, `/cleaner/ @acme/platform`, `/pyproject.toml @acme/platform`"
    if facts.codeowners is None:
        return [
            failed(
                AREA,
                title,
                f"none at {', '.join(LOCATIONS)} on {facts.default_branch}",
                f"add .github/CODEOWNERS naming your platform team, e.g. {example}",
            )
        ]
    checks = [passed(AREA, title, facts.codeowners.path)]
    lines = parse(facts.codeowners.text)
    for area, paths in PROTECTED.items():
        wanted = f"{area} has code owners"
        unowned = []
        owners: set[str] = set()
        for path in paths:
            line, found = owners_of(lines, path)
            valid = [owner for owner in found if _OWNER.match(owner)]
            if not valid:
                why = f"line {line.number} (`{line.pattern}`) names no owner" if line else "no line matches"
                unowned.append(f"{path}: {why}")
            owners.update(valid)
        if unowned:
            fix = f"add `{area} @your-team` to {facts.codeowners.path}, after any broader line"
            checks.append(failed(AREA, wanted, "; ".join(unowned), fix))
        else:
            checks.append(passed(AREA, wanted, ", ".join(sorted(owners))))
    checks.append(_errors_check(facts))
    return checks


def _errors_check(facts: RepositoryFacts) -> Check:
    title = "GitHub finds no errors in CODEOWNERS"
    if isinstance(facts.codeowners_errors, Unreadable):
        return unreadable(AREA, title, facts.codeowners_errors)
    if facts.codeowners_errors:
        return failed(
            AREA,
            title,
            "; ".join(facts.codeowners_errors),
            "fix each line GitHub names (an unknown owner, or one without write access, owns nothing: give"
            " the team write access or name another)",
        )
    return passed(AREA, title)
