"""Plain data the AWS adapters produce and the policy reads. No I/O, no boto3 types."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Self


@dataclass(frozen=True, slots=True)
class FunctionVersion:
    """One published version, as ListFunctions(FunctionVersion=ALL) describes it."""

    region: str
    function_name: str
    version: int
    function_arn: str  # qualified: arn:...:function:NAME:VERSION
    runtime: str | None
    memory_mb: int
    last_modified: datetime
    code_sha256: str
    snapstart: bool  # SnapStart.ApplyOn == PublishedVersions on *this* version
    code_size: int | None = None  # CodeSize in bytes: counts toward the region's code storage limit

    @property
    def key(self) -> VersionKey:
        return VersionKey(self.region, self.function_name, str(self.version))


@dataclass(frozen=True, slots=True, order=True)
class VersionKey:
    region: str
    function_name: str
    version: str

    def __str__(self) -> str:
        return f"{self.region}/{self.function_name}:{self.version}"


@dataclass(frozen=True, slots=True)
class Function:
    region: str
    name: str
    arn: str  # unqualified
    versions: tuple[FunctionVersion, ...]  # every published version, SnapStart or not, oldest first

    def newest_version_numbers(self, count: int) -> frozenset[int]:
        numbers = sorted((v.version for v in self.versions), reverse=True)
        return frozenset(numbers[:count])


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    function_version: str
    additional_weights: tuple[tuple[str, float], ...] = ()

    def describe_target(self, version: str) -> str | None:
        """How this alias reaches `version`, or None when it does not."""
        if self.function_version == version:
            return f"alias {self.name} (primary)"
        for weighted, weight in self.additional_weights:
            if weighted == version:
                return f"alias {self.name} (weighted {weight:g})"
        return None


@dataclass(frozen=True, slots=True)
class Usage:
    """Invocations of one version over the lookback window."""

    direct: float = 0.0  # Resource=fn:version
    via_aliases: float = 0.0  # Resource=fn:alias, ExecutedVersion=version
    last_invoked: datetime | None = None

    @property
    def total(self) -> float:
        return self.direct + self.via_aliases


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the costly checks found for one version. `None` means "not checked (yet)".

    A check that was attempted and failed is not `None`: it is recorded in `incomplete`, and the policy
    keeps the version (fail closed).
    """

    tag_protected: bool | None = None
    aliases: tuple[str, ...] | None = None  # descriptions of aliases that route to it
    event_source_mappings: tuple[str, ...] | None = None  # UUIDs of mappings that target it
    cloudfront_distributions: tuple[str, ...] | None = None  # distribution ids associating it
    usage: Usage | None = None
    unattributed_function_invocations: float | None = None  # function-level traffic nobody explains
    state: str | None = None
    own_policy_statements: tuple[str, ...] | None = None  # Sids of statements granted on exactly it
    incomplete: tuple[str, ...] = field(default=())

    def with_(self, **changes: object) -> Self:
        return replace(self, **changes)  # type: ignore[arg-type]

    def failed(self, message: str) -> Self:
        return replace(self, incomplete=(*self.incomplete, message))
