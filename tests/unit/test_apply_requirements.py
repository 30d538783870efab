"""The rules of the two-person rule, one table each, on plain facts (no GitHub)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fakes.plans import make_plan

from cleaner.apply_requirements import (
    Requirement,
    applied_once,
    approvals,
    attributable_commits,
    latest_verdicts,
    only_plan_files,
    page_is_the_plan,
    participants,
    removals_only_of_scanned,
    select_scan_artifact,
    verified_bot_commits,
)
from cleaner.approval_facts import (
    ArtifactFacts,
    ChangedFile,
    PageFacts,
    PlanHistory,
    PullCommit,
    PullRequestFacts,
    Review,
    ReviewerFacts,
)

PLAN = "plans/p1/plan.json"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
BOT = "cleaner[bot]"  # the GitHub App that opened the plan PR


def bot_commit(sha: str = "a" * 40, message: str = "", committer: str = BOT) -> PullCommit:
    """A commit the App made through the API: GitHub attributes it to the App and signs it."""
    return PullCommit(
        sha, BOT, committer, message=message, verified=True, author_is_bot=True, committer_is_bot=True
    )


def pushed_as_bot(sha: str = "b" * 40, message: str = "") -> PullCommit:
    """A commit a writer pushed with the App's no-reply e-mail: attributed to the App, unsigned."""
    return PullCommit(sha, BOT, BOT, message=message, author_is_bot=True, committer_is_bot=True)


def facts(
    files: tuple[ChangedFile, ...] = (ChangedFile(PLAN, "added"), ChangedFile("plans/p1/plan.md", "added")),
    commits: tuple[PullCommit, ...] = (bot_commit(),),
    reviews: tuple[Review, ...] = (),
    reviewers: dict[str, ReviewerFacts] | None = None,
    **changes: object,
) -> PullRequestFacts:
    base = PullRequestFacts(
        number=7,
        url="https://github.example/acme/infra/pull/7",
        author_login=BOT,
        author_is_bot=True,
        files=files,
        changed_files_count=len(files),
        commits=commits,
        commits_count=len(commits),
        reviews=reviews,
        reviewers=reviewers or {},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def review(login: str, state: str = "APPROVED", minutes: int = 0, is_bot: bool = False) -> Review:
    return Review(login, is_bot, state, "c" * 40, T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("files", "ok", "says"),
    [
        ((ChangedFile(PLAN, "added"),), True, "changed only plan files"),
        ((ChangedFile(PLAN, "modified"), ChangedFile("plans/p2/plan.md", "added")), True, ""),
        ((ChangedFile(PLAN, "added"), ChangedFile("cleaner/applier.py", "modified")), False, "cleaner/app"),
        (
            (ChangedFile(PLAN, "added"), ChangedFile(".github/workflows/apply.yml", "added")),
            False,
            "apply.yml",
        ),
        ((ChangedFile(PLAN, "added"), ChangedFile("pyproject.toml", "modified")), False, "pyproject"),
        ((ChangedFile(PLAN, "added"), ChangedFile("plans/x/y/plan.json", "added")), False, "plans/x/y"),
        ((ChangedFile(PLAN, "added"), ChangedFile("plans/p1/apply.sh", "added")), False, "apply.sh"),
        ((ChangedFile(PLAN, "added"), ChangedFile("plans/README.md", "added")), False, "plans/README"),
        ((ChangedFile(PLAN, "renamed", "cleaner/evil.json"),), False, "cleaner/evil.json"),
        ((ChangedFile("plans/p2/plan.json", "added"),), False, f"did not add or change `{PLAN}`"),
        ((ChangedFile(PLAN, "removed"),), False, "did not add or change"),
    ],
)
def test_only_plan_files_may_ride_on_a_plan_approval(
    files: tuple[ChangedFile, ...], ok: bool, says: str
) -> None:
    result = only_plan_files(facts(files=files), PLAN)

    assert result.ok is ok and says in result.message


def test_a_pr_whose_file_list_github_cut_short_is_refused() -> None:
    result = only_plan_files(facts(changed_files_count=3001), PLAN)

    assert not result.ok and "cannot be established" in result.message


def artifact(**changes: object) -> ArtifactFacts:
    base = ArtifactFacts(
        id=1,
        name="plan-p1",
        expired=False,
        created_at=T0,
        run_id=100,
        run_path=".github/workflows/scan.yml",
        run_event="schedule",
        run_head_branch="main",
        run_head_repository="acme/infra",
        run_head_sha="d" * 40,
        run_commit_on_default_branch=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("artifacts", "chosen", "says"),
    [
        ([artifact()], 1, ""),
        ([artifact(run_event="workflow_dispatch")], 1, ""),
        ([], None, "no artifact `plan-p1` exists"),
        ([artifact(name="plan-p2")], None, "no artifact `plan-p1` exists"),
        ([artifact(run_head_branch="feature")], None, "on branch 'feature'"),
        ([artifact(run_path=".github/workflows/ci.yml")], None, "not .github/workflows/scan.yml"),
        ([artifact(run_event="pull_request")], None, "triggered by pull_request"),
        ([artifact(run_head_repository="fork/infra")], None, "fork/infra's code"),
        # A tag named like the default branch: head_branch says main, its commit is not on it.
        ([artifact(run_commit_on_default_branch=False)], None, f"commit {'d' * 12}, which is not on `main`"),
        ([artifact(expired=True)], None, "has expired"),
        ([artifact(), artifact(id=2, run_id=101)], None, "ambiguous"),
        ([artifact(expired=True), artifact(id=2, run_id=101)], 2, ""),
        ([artifact(run_head_branch="feature"), artifact(id=2, run_id=101)], 2, ""),
    ],
)
def test_only_one_live_artifact_of_a_scan_run_on_the_default_branch_is_trusted(
    artifacts: list[ArtifactFacts], chosen: int | None, says: str
) -> None:
    selected = select_scan_artifact("p1", artifacts, "main", "acme/infra")

    if chosen is None:
        assert isinstance(selected, Requirement) and not selected.ok
        assert says in selected.message
    else:
        assert isinstance(selected, ArtifactFacts) and selected.id == chosen


def test_a_merged_plan_must_be_a_removals_only_subset_of_the_scanned_one() -> None:
    scanned = make_plan("p1", delete=3)
    dropped = scanned.model_copy(update={"delete": scanned.delete[1:]}).with_derived_summary()
    loosened = scanned.model_copy(
        update={"settings": scanned.settings.model_copy(update={"min_age_days": 0})}
    )

    assert removals_only_of_scanned(scanned, scanned, artifact()).ok
    kept_one = removals_only_of_scanned(dropped, scanned, artifact())
    assert kept_one.ok and "1 dropped in review" in kept_one.message
    assert not removals_only_of_scanned(scanned, dropped, artifact()).ok  # an addition
    changed = removals_only_of_scanned(loosened, scanned, artifact())
    assert not changed.ok and "settings was changed" in changed.message


@pytest.mark.parametrize(
    ("commit", "ok"),
    [
        (PullCommit("b" * 40, "carol", "carol"), True),
        (PullCommit("b" * 40, "carol", "web-flow"), True),
        (PullCommit("b" * 40, None, "web-flow", author_email="carol@example.invalid"), False),
        (PullCommit("b" * 40, "carol", None, committer_email="x@example.invalid"), False),
    ],
)
def test_every_commit_must_belong_to_a_github_account(commit: PullCommit, ok: bool) -> None:
    result = attributable_commits(facts(commits=(commit,)))

    assert result.ok is ok
    if not ok:
        assert "not attributable" in result.message and "example.invalid" in result.message


def test_a_pr_whose_commit_list_github_cut_short_is_refused() -> None:
    assert not attributable_commits(facts(commits_count=251)).ok


def test_participants_are_the_author_and_every_commit_author_and_committer_but_not_github() -> None:
    commits = (bot_commit(committer="web-flow"), PullCommit("b" * 40, "carol", "dave"))

    assert participants(facts(commits=commits)) == {BOT, "carol", "dave"}


KEEP_MESSAGE = (
    "Plan p1: keep api:2 (us-east-1)\n\nAsked in https://github.example/acme/infra/pull/7#issuecomment-9"
    "\n\nRequested-by: carol\n"
)


def test_who_asked_the_bot_for_an_edit_is_a_participant() -> None:
    commits = (bot_commit(), bot_commit("b" * 40, message=KEEP_MESSAGE))

    assert participants(facts(commits=commits)) == {BOT, "carol"}


@pytest.mark.parametrize(
    "message",
    [
        "Requested-by: carol",  # a bare trailer is the message's last paragraph
        "Keep\n\nRequested-by: carol\nRequested-by: dave",
        "Keep\n\nSigned-off-by: x <x@example.invalid>\nRequested-by: carol\nRequested-by: dave\n",
    ],
)
def test_every_requested_by_trailer_of_a_bot_commit_names_a_participant(message: str) -> None:
    named = {"carol", "dave"} if "dave" in message else {"carol"}
    commits = (bot_commit("b" * 40, message=message, committer="web-flow"),)

    assert participants(facts(commits=commits)) == {BOT} | named


@pytest.mark.parametrize(
    "message",
    [
        "Requested-by: carol\n\nthe body after it",  # not in the last paragraph: not a trailer
        "Keep\n\nRequested-by: carol and dave",
        "Keep\n\nrequested-by carol",
    ],
)
def test_text_that_is_not_a_requested_by_trailer_names_nobody(message: str) -> None:
    commits = (bot_commit("b" * 40, message=message),)

    assert participants(facts(commits=commits)) == {BOT}


def test_a_requested_by_trailer_in_someone_elses_commit_is_ignored() -> None:
    # Anyone can write a trailer: mallory naming bob would otherwise stop bob from approving.
    commits = (bot_commit(), PullCommit("b" * 40, "mallory", "mallory", message="Edit\n\nRequested-by: bob"))

    assert participants(facts(commits=commits)) == {BOT, "mallory"}
    assert approvals(facts(commits=commits, reviews=(review("bob"),), reviewers={"bob": WRITE}), PLAN, 1, ())[
        0
    ].ok


@pytest.mark.parametrize(
    "commit",
    [
        pushed_as_bot(message=KEEP_MESSAGE),  # the App's e-mail typed into a pushed commit
        PullCommit(
            "b" * 40, "github-actions[bot]", "github-actions[bot]", message=KEEP_MESSAGE, verified=True
        ),
    ],
)
def test_a_requested_by_trailer_counts_only_in_a_commit_github_signed_for_the_plans_bot(
    commit: PullCommit,
) -> None:
    # Framing: a forged "bot" commit naming carol would stop carol from approving.
    assert participants(facts(commits=(bot_commit(), commit))) == {BOT, commit.author_login}


def test_the_person_who_asked_for_a_drop_cannot_approve_it() -> None:
    commits = (bot_commit(), bot_commit("b" * 40, message=KEEP_MESSAGE))

    result, counted = approvals(
        facts(commits=commits, reviews=(review("carol"),), reviewers={"carol": WRITE}), PLAN, 1, ()
    )

    assert not result.ok and counted == []
    assert "carol authored or committed a commit of the pull request, or asked the bot" in result.message


def test_the_latest_verdict_of_each_reviewer_counts_and_comments_change_nothing() -> None:
    reviews = [review("bob", "APPROVED", 0), review("bob", "COMMENTED", 5), review("carol", "APPROVED", 1)]
    reviews.append(review("carol", "CHANGES_REQUESTED", 2))

    latest = latest_verdicts(reviews)

    assert {login: r.state for login, r in latest.items()} == {
        "bob": "APPROVED",
        "carol": "CHANGES_REQUESTED",
    }


WRITE = ReviewerFacts("write", approved_the_merged_plan=True)
EDITOR = (bot_commit(), PullCommit("b" * 40, "carol", "web-flow", verified=True))


@pytest.mark.parametrize(
    ("reviews", "reviewers", "commits", "bots", "ok", "says"),
    [
        ([review("bob")], {"bob": WRITE}, EDITOR, (), True, "approved by bob"),
        ([review("carol")], {"carol": WRITE}, EDITOR, (), False, "carol authored or committed"),
        ([review(BOT)], {BOT: WRITE}, EDITOR, (), False, f"{BOT} is a bot"),
        ([review("svc")], {"svc": WRITE}, EDITOR, ("svc",), False, "svc is a bot"),
        ([review("Svc")], {"Svc": WRITE}, EDITOR, ("svc",), False, "Svc is a bot"),
        ([review("app", is_bot=True)], {}, EDITOR, (), False, "app is a bot"),
        ([review("x[bot]")], {"x[bot]": WRITE}, EDITOR, (), False, "x[bot] is a bot"),
        ([review("bob")], {"bob": ReviewerFacts("read", True)}, EDITOR, (), False, "read access, not write"),
        ([review("bob")], {"bob": ReviewerFacts("admin", False)}, EDITOR, (), False, "an earlier version"),
        ([review("bob")], {}, EDITOR, (), False, "an earlier version"),
    ],
)
def test_only_a_second_person_with_write_access_who_approved_the_merged_plan_counts(
    reviews: list[Review],
    reviewers: dict[str, ReviewerFacts],
    commits: tuple[PullCommit, ...],
    bots: tuple[str, ...],
    ok: bool,
    says: str,
) -> None:
    result, counted = approvals(
        facts(reviews=tuple(reviews), reviewers=reviewers, commits=commits), PLAN, 1, bots
    )

    assert result.ok is ok and says in result.message
    assert (counted != []) is ok


def test_required_approvals_are_distinct_people() -> None:
    reviews = (review("bob", minutes=0), review("bob", minutes=1), review("dave", minutes=2))
    both = {"bob": WRITE, "dave": WRITE}

    assert not approvals(facts(reviews=reviews[:2], reviewers=both), PLAN, 2, ())[0].ok
    assert approvals(facts(reviews=reviews, reviewers=both), PLAN, 2, ())[0].ok


def test_the_pull_requests_author_cannot_approve_it() -> None:
    result, counted = approvals(
        facts(author_login="dave", author_is_bot=False, reviews=(review("dave"),), reviewers={"dave": WRITE}),
        PLAN,
        1,
        (),
    )

    assert not result.ok and counted == [] and "dave opened the pull request" in result.message


ACTIONS = "github-actions[bot]"


@pytest.mark.parametrize(
    ("commits", "changes", "bots", "ok", "says"),
    [
        ((bot_commit(), bot_commit("b" * 40)), {}, (), True, f"is {BOT}'s, signed by GitHub"),
        ((bot_commit(committer="web-flow"),), {}, (), True, "signed by GitHub"),
        ((bot_commit(), PullCommit("c" * 40, "carol", "web-flow", verified=True)), {}, (), True, ""),
        ((bot_commit(), PullCommit("c" * 40, "carol", "carol")), {}, (), True, ""),  # a person's push
        ((bot_commit(),), {}, (BOT,), True, "signed by GitHub"),  # bot_logins pins the App
        (
            (bot_commit(), pushed_as_bot()),
            {},
            (),
            False,
            f"{'b' * 12} (author {BOT}, committer {BOT}; not signed",
        ),
        # carol's commit with the App as committer: `git commit --amend` with the App's e-mail.
        (
            (bot_commit(), PullCommit("c" * 40, "carol", BOT, committer_is_bot=True)),
            {},
            (),
            False,
            f"committer {BOT}; not signed by GitHub",
        ),
        # Any workflow can commit as github-actions[bot]: signed, but never the plan's bot.
        (
            (bot_commit(), PullCommit("c" * 40, ACTIONS, ACTIONS, verified=True, author_is_bot=True)),
            {},
            (),
            False,
            "not the plan's bot",
        ),
        ((bot_commit(),), {"author_login": ACTIONS}, (), False, "not the plan's bot"),
        (
            (bot_commit(),),
            {},
            ("acme-cleaner[bot]",),
            False,
            f"{BOT}, who opened it, is not listed in bot_logins",
        ),
        # The personal-token bot of earlier releases: a plain user listed in bot_logins, commits unsigned.
        (
            (PullCommit("a" * 40, "acme-bot", "acme-bot"),),
            {"author_login": "acme-bot", "author_is_bot": False},
            ("acme-bot",),
            False,
            "not signed by GitHub",
        ),
        (
            (PullCommit("a" * 40, "carol", "carol"),),
            {"author_login": "carol", "author_is_bot": False},
            (),
            True,
            "no commit of PR #7 is attributed to a bot",
        ),
    ],
)
def test_a_commit_is_the_bots_only_when_github_signed_it_for_the_plans_bot(
    commits: tuple[PullCommit, ...], changes: dict[str, object], bots: tuple[str, ...], ok: bool, says: str
) -> None:
    result = verified_bot_commits(facts(commits=commits, **changes), bots)

    assert result.ok is ok and says in result.message, result.message


def test_a_forged_bot_commit_lets_its_writer_approve_nothing() -> None:
    # carol pushed as the App: approvals alone would count her, verified_bot_commits refuses the PR.
    pr = facts(
        commits=(bot_commit(), pushed_as_bot()), reviews=(review("carol"),), reviewers={"carol": WRITE}
    )

    assert approvals(pr, PLAN, 1, ())[0].ok
    assert not verified_bot_commits(pr).ok


@pytest.mark.parametrize(
    ("history", "ok", "says"),
    [
        (PlanHistory("p" * 40, existed=False), True, f"`{PLAN}` is new on the default branch"),
        (PlanHistory("p" * 40, existed=True, last_change="m" * 40), False, f"merged before in {'m' * 12}"),
        (PlanHistory("p" * 40, existed=True), False, f"merged before in {'p' * 12}"),
    ],
)
def test_a_plan_is_applied_only_by_the_merge_that_adds_it(history: PlanHistory, ok: bool, says: str) -> None:
    result = applied_once(PLAN, history)

    assert result.ok is ok and says in result.message


@pytest.mark.parametrize(
    ("page", "ok", "says"),
    [
        (PageFacts("T", "a\nb\n", "T", "a\nb\n"), True, "are what its plans render to"),
        (PageFacts("T: 1 version", "a\n", "T: 3 versions", "a\n"), False, "'T: 1 version' is not"),
        (PageFacts("T", "a\nX\nc\n", "T", "a\nb\nc\n"), False, "from line 2 ('X' where the plans give 'b')"),
        (PageFacts("T", "a\n", "T", "a\nb\n"), False, "from line 2 (the end where the plans give 'b')"),
        (PageFacts("T", "a\r\nb", "T", "a\nb\n"), True, ""),  # as a browser saves the same text
        (
            PageFacts("T", "a", None, None, "no commit by the bot"),
            False,
            "could not be compared with its plans (no commit by",
        ),
    ],
)
def test_the_page_the_reviewers_read_must_be_what_the_plans_render_to(
    page: PageFacts, ok: bool, says: str
) -> None:
    result = page_is_the_plan(7, page)

    assert result.ok is ok and says in result.message, result.message
