"""What the two-person rule judges: facts about the merged pull request, the scan's artifact, the plan's
history on the default branch and the page reviewers read, gathered through the GitHub API by
`cleaner.github.pull_request_facts` and `cleaner.github.approval`, judged by the pure rules of
`cleaner.apply_requirements`. Plain data: no rule here, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str  # added, modified, removed, renamed, ...
    previous_path: str | None = None


@dataclass(frozen=True)
class PullCommit:
    sha: str
    # The accounts GitHub resolved from the commit's e-mails; None when the e-mail belongs to nobody.
    author_login: str | None
    committer_login: str | None
    author_email: str = ""
    committer_email: str = ""
    message: str = ""
    # GitHub signed it itself (`verification.verified`, reason `valid`): for an App's commit, only when
    # the App made it through the API with no custom identity. A pushed commit is unsigned.
    verified: bool = False
    # The resolved accounts are bots (type Bot): an App, whatever their login says.
    author_is_bot: bool = False
    committer_is_bot: bool = False


@dataclass(frozen=True)
class Review:
    login: str
    is_bot: bool
    state: str
    commit_id: str
    submitted_at: datetime | None


@dataclass(frozen=True)
class ReviewerFacts:
    """What the API says about one reviewer whose latest verdict is an approval."""

    permission: str
    # The plan file at the reviewed commit is byte-for-byte the merged one.
    approved_the_merged_plan: bool


@dataclass(frozen=True)
class PullRequestFacts:
    number: int
    url: str
    author_login: str
    files: tuple[ChangedFile, ...]
    changed_files_count: int  # what GitHub says the PR changed; the listing stops at 3,000
    commits: tuple[PullCommit, ...]
    commits_count: int  # the listing stops at 250
    reviews: tuple[Review, ...]
    reviewers: dict[str, ReviewerFacts] = field(default_factory=dict)
    author_is_bot: bool = False  # the PR was opened by an App (the plan's bot, for a scan's PR)


@dataclass(frozen=True)
class ArtifactFacts:
    id: int
    name: str
    expired: bool
    created_at: datetime | None
    run_id: int
    run_path: str
    run_event: str
    run_head_branch: str
    run_head_repository: str  # OWNER/NAME of the code the run ran: a fork's name for a fork's PR
    run_head_sha: str = ""
    # The run's commit is on the default branch (compare API: identical or behind); a tag or branch
    # named like the default branch reports the same head_branch with a commit of its own.
    run_commit_on_default_branch: bool = False


@dataclass(frozen=True)
class PlanHistory:
    """The plan file on the default branch just before the merge (the merge commit's first parent)."""

    parent_sha: str
    existed: bool
    last_change: str | None = None  # the commit that last changed it there, when GitHub says


@dataclass(frozen=True)
class PageFacts:
    """The PR's title and description at merge, and what the merged plans render to (None, with
    `unrenderable` saying why, when they could not be rendered)."""

    title: str
    body: str
    expected_title: str | None
    expected_body: str | None
    unrenderable: str = ""
