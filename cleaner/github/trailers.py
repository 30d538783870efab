"""The trailers open-pr writes into its commit, and keep and refresh-pr read back to rebuild the plan
pull request's description: `Failed-account:` for each account the run could not scan, and
`Scanned-account:` for each plan summarised without being committed (nothing to delete).

They are read only from a commit GitHub signed for the bot (`cleaner.github.description`), and even
then validated to be exactly what open-pr writes: what is kept is rendered escaped."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cleaner.exit_codes import BadInputError
from cleaner.plan import Plan, validate_plan_id

_MESSAGE_LIMIT = 500
# The trailer open-pr writes into its commit for each account the run could not scan: the body is
# rebuilt from the branch (keep, refresh-pr), and this is where the rebuild finds those accounts again.
FAILED_ACCOUNT_TRAILER = "Failed-account"
# More than an organisation's failed scans should ever name; a commit naming more is not open-pr's.
MAX_FAILED_ACCOUNTS = 1_000
_ACCOUNT_ID = re.compile(r"(?:[0-9]{12})?")
# The trailer open-pr writes for each plan it summarises without committing it (nothing to delete): the
# rebuild finds that account's row and its share of the heading's totals there.
SCANNED_ACCOUNT_TRAILER = "Scanned-account"
# More than one run's scan jobs (GitHub runs at most 256 from a matrix); a commit naming more is not
# open-pr's.
MAX_SCANNED_ACCOUNTS = 1_000
# What open-pr writes, nothing else: a 12-digit account id, a plan id (checked against plan.json's
# pattern) and two counts without leading zeros, at most nine digits (more than an account holds; a
# forged number stays short).
_COUNT = r"0|[1-9][0-9]{0,8}"
_SCANNED = re.compile(
    rf"(?P<account>[0-9]{{12}}) plan=(?P<plan>[^ ]+) kept=(?P<kept>{_COUNT}) warnings=(?P<warnings>{_COUNT})"
)


@dataclass(frozen=True)
class FailedAccount:
    """An account whose scan job produced no plan, and why (its exit code and message)."""

    account_id: str  # "" for the one account of a repository without [[tool.cleaner.accounts]]
    message: str

    @classmethod
    def parse(cls, text: str) -> FailedAccount:
        """`ID=MESSAGE`, as `open-pr --failed-account` takes it."""
        account_id, separator, message = text.partition("=")
        if not separator or not _ACCOUNT_ID.fullmatch(account_id):
            raise BadInputError(
                f"--failed-account {text[:80]!r}: expected ID=MESSAGE with a 12-digit account id"
            )
        message = " ".join(message.split())[:_MESSAGE_LIMIT] or "its scan job failed"
        return cls(account_id, message)

    @property
    def trailer(self) -> str:
        """`Failed-account: ID=MESSAGE`, one line (the message's whitespace is collapsed)."""
        return f"{FAILED_ACCOUNT_TRAILER}: {self.account_id}={' '.join(self.message.split())}"


def failed_accounts_in(message: str, log: Callable[[str], None] = lambda _: None) -> list[FailedAccount]:
    """The failed accounts named by the `Failed-account:` trailers (the last paragraph) of a commit
    message open-pr wrote.

    Read only from the bot's commits GitHub signed, and still checked: each trailer must be what
    open-pr writes (a 12-digit account id, or none for a
    repository without accounts, and a message of 1 to 500 characters), at most MAX_FAILED_ACCOUNTS
    (an account may be named more than once: scanned per region, it fails per region, each a line of
    open-pr's warning); anything else is dropped with a line to `log`, never an error:
    the description is then rebuilt without it. What is kept is rendered escaped, as open-pr's is."""
    found: list[FailedAccount] = []
    for line, value in _trailers(message, FAILED_ACCOUNT_TRAILER):
        account_id, separator, text = value.strip().partition("=")
        problem = _trailer_problem(account_id, separator, text, found)
        if problem:
            log(f"ignored a {FAILED_ACCOUNT_TRAILER} trailer ({problem}): {line[:80]!r}")
            continue
        found.append(FailedAccount(account_id, text))
    return found


def _trailers(message: str, name: str) -> list[tuple[str, str]]:
    """Each `NAME: VALUE` line of a commit message's last paragraph, with its value."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if not paragraphs:
        return []
    prefix = f"{name}:"
    # Lines end at LF only: a message may hold other line separators (rendered as spaces).
    return [(line, line[len(prefix) :]) for line in paragraphs[-1].split("\n") if line.startswith(prefix)]


def _trailer_problem(account_id: str, separator: str, text: str, found: Sequence[FailedAccount]) -> str:
    """Why a `Failed-account:` trailer is not one open-pr wrote; "" when it is."""
    if not separator:
        return "not ID=MESSAGE"
    if not _ACCOUNT_ID.fullmatch(account_id):
        return "not a 12-digit account id"
    if not text.strip():
        return "an empty message"
    if len(text) > _MESSAGE_LIMIT:
        return f"a message over {_MESSAGE_LIMIT} characters"
    if len(found) >= MAX_FAILED_ACCOUNTS:
        return f"more than {MAX_FAILED_ACCOUNTS} accounts"
    return ""


@dataclass(frozen=True)
class ScannedAccount:
    """A plan open-pr summarises without committing it (nothing to delete): what its row of the
    organisation summary and the heading's totals need, and nothing more. Its deletions and savings are
    nil; its name comes from the settings, as every row's does."""

    account_id: str
    plan_id: str
    keep_count: int
    warning_count: int

    @classmethod
    def of(cls, plan: Plan) -> ScannedAccount:
        return cls(plan.account_id, plan.plan_id, plan.summary.keep_count, len(plan.warnings))

    @property
    def trailer(self) -> str:
        """`Scanned-account: ID plan=PLAN-ID kept=N warnings=N`."""
        return (
            f"{SCANNED_ACCOUNT_TRAILER}: {self.account_id} plan={self.plan_id} kept={self.keep_count}"
            f" warnings={self.warning_count}"
        )


def scanned_accounts_in(message: str, log: Callable[[str], None] = lambda _: None) -> list[ScannedAccount]:
    """The plans open-pr summarised without committing them, named by the `Scanned-account:` trailers
    (the last paragraph) of a commit message it wrote.

    Untrusted input, as `failed_accounts_in`'s: each trailer must be exactly what open-pr writes (a
    12-digit account id, a plan id, counts of at most nine digits), each plan once (an account scanned
    per region has one plan, and one row, per region), at most MAX_SCANNED_ACCOUNTS; anything else is
    dropped with a line to `log`, never an error. Nothing of a trailer but digits and a plan id reaches
    the page."""
    found: list[ScannedAccount] = []
    for line, value in _trailers(message, SCANNED_ACCOUNT_TRAILER):
        match = _SCANNED.fullmatch(value.strip())
        problem = _scanned_problem(match, found)
        if match is None or problem:
            log(f"ignored a {SCANNED_ACCOUNT_TRAILER} trailer ({problem}): {line[:80]!r}")
            continue
        found.append(
            ScannedAccount(match["account"], match["plan"], int(match["kept"]), int(match["warnings"]))
        )
    return found


def _scanned_problem(match: re.Match[str] | None, found: Sequence[ScannedAccount]) -> str:
    """Why a `Scanned-account:` trailer is not one open-pr wrote; "" when it is."""
    if match is None:
        return "not ID plan=PLAN-ID kept=N warnings=N"
    try:
        validate_plan_id(match["plan"])
    except BadInputError:
        return "not a plan id"
    if any(account.plan_id == match["plan"] for account in found):
        return "a plan named twice"
    if len(found) >= MAX_SCANNED_ACCOUNTS:
        return f"more than {MAX_SCANNED_ACCOUNTS} plans"
    return ""
