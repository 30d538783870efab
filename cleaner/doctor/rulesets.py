"""The rulesets: the default branch's (a reviewed pull request, by code owners, with required checks, that
nobody can bypass) and the plan branch's (no force pushes, signed commits, only the App may push).

GitHub layers every active ruleset whose conditions match a branch: a rule holds when any of them has
it, but each ruleset's bypass list lets its actors skip that ruleset's rules. So a requirement is met
for everyone only when a ruleset nobody can bypass has it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from cleaner.doctor.checks import Check, failed, passed, unreadable
from cleaner.doctor.facts import RepositoryFacts, Ruleset, Unreadable
from cleaner.settings import Settings

DEFAULT_AREA = "Default branch ruleset"
PLAN_AREA = "Plan branch ruleset"
_RULESETS = "Settings → Rules → Rulesets"
# GitHub returns a ruleset's `bypass_actors` only to a token with write access to it ("Get a repository
# ruleset"): an absent list is unknown, never empty.
BYPASS_NEEDS = "a token with write access to the rulesets (Administration: write; an admin's token locally)"


def _pattern(pattern: str) -> re.Pattern[str]:
    """A ruleset ref pattern (fnmatch: `*` within a path segment, `**` across) as a regex."""
    out, index = "", 0
    while index < len(pattern):
        if pattern.startswith("**", index):
            out, index = out + ".*", index + 2
        elif pattern[index] == "*":
            out, index = out + "[^/]*", index + 1
        elif pattern[index] == "?":
            out, index = out + "[^/]", index + 1
        else:
            out, index = out + re.escape(pattern[index]), index + 1
    return re.compile(out)


def ref_matches(pattern: str, ref: str, default_branch: str) -> bool:
    if pattern == "~ALL":
        return True
    if pattern == "~DEFAULT_BRANCH":
        return ref == f"refs/heads/{default_branch}"
    return _pattern(pattern).fullmatch(ref) is not None


def applying(rulesets: Sequence[Ruleset], branch: str, default_branch: str) -> list[Ruleset]:
    """The active branch rulesets whose conditions take `branch`."""
    ref = f"refs/heads/{branch}"
    return [
        ruleset
        for ruleset in rulesets
        if ruleset.enforcement == "active"
        and ruleset.target == "branch"
        and any(ref_matches(p, ref, default_branch) for p in ruleset.include)
        and not any(ref_matches(p, ref, default_branch) for p in ruleset.exclude)
    ]


def _unique(rulesets: Sequence[Ruleset]) -> list[Ruleset]:
    return list({ruleset.id: ruleset for ruleset in rulesets}.values())


def _named(rulesets: Sequence[Ruleset]) -> str:
    return ", ".join(f"'{ruleset.name}'" for ruleset in rulesets)


Requirement = tuple[str, Callable[[Ruleset], bool], str]


def _pull_request_flag(name: str) -> Callable[[Ruleset], bool]:
    def has(ruleset: Ruleset) -> bool:
        rule = ruleset.rule("pull_request")
        return rule is not None and rule.parameters.get(name) is True

    return has


def default_branch_requirements(approvals: int) -> list[Requirement]:
    """(what should hold, whether a ruleset has it, the fix) for the default branch."""

    def enough_approvals(ruleset: Ruleset) -> bool:
        rule = ruleset.rule("pull_request")
        count = rule.parameters.get("required_approving_review_count") if rule else None
        return isinstance(count, int) and count >= approvals

    def status_checks(ruleset: Ruleset) -> bool:
        rule = ruleset.rule("required_status_checks")
        return rule is not None and bool(rule.parameters.get("required_status_checks"))

    where = f"{_RULESETS} → the default branch's ruleset → Require a pull request before merging"
    return [
        (
            f"Changes need a pull request with at least {approvals} approval"
            + ("s" if approvals > 1 else ""),
            enough_approvals,
            f"{where}: Required approvals {approvals} (at least [tool.cleaner] required_approvals)",
        ),
        (
            "Stale approvals are dismissed when commits are pushed",
            _pull_request_flag("dismiss_stale_reviews_on_push"),
            f"{where}: Dismiss stale pull request approvals when new commits are pushed",
        ),
        (
            "The most recent push must be approved by someone else",
            _pull_request_flag("require_last_push_approval"),
            f"{where}: Require approval of the most recent reviewable push",
        ),
        (
            "Code owners must approve changes to their files",
            _pull_request_flag("require_code_owner_review"),
            f"{where}: Require review from Code Owners",
        ),
        (
            "Status checks must pass before merging",
            status_checks,
            f"{_RULESETS} → the default branch's ruleset → Require status checks to pass: add"
            " `Validate plan edits` and `Lint and test`",
        ),
    ]


def _unknown_bypass(area: str, title: str, unknown: Sequence[Ruleset]) -> Check:
    left_out = f"no bypass_actors in {_named(unknown)}"
    why = Unreadable("GET /repos/{owner}/{repo}/rulesets/{id}", left_out, BYPASS_NEEDS)
    return unreadable(area, title, why)


def _bypass_check(
    area: str,
    title: str,
    covering: Sequence[Ruleset],
    unknown: Sequence[Ruleset],
    bypassed: Sequence[Ruleset],
    fix: str,
) -> Check:
    """Nobody may bypass what the requirements rest on: each requirement met by a ruleset with no bypass
    list (`covering`), else by one whose list GitHub left out (`unknown`), else only by rulesets some
    actors may bypass (`bypassed`)."""
    if bypassed:
        actors = "; ".join(f"'{r.name}': {', '.join(map(str, r.bypass_actors or ()))}" for r in bypassed)
        return failed(area, title, f"bypass list of {actors}", fix)
    if unknown:
        return _unknown_bypass(area, title, unknown)
    return passed(area, title, f"no bypass list on {_named(covering)}")


def default_branch_checks(facts: RepositoryFacts, settings: Settings) -> list[Check]:
    title = f"An active branch ruleset covers the default branch ({facts.default_branch})"
    if isinstance(facts.rulesets, Unreadable):
        return [unreadable(DEFAULT_AREA, title, facts.rulesets)]
    rulesets = applying(facts.rulesets, facts.default_branch, facts.default_branch)
    if not rulesets:
        return [
            failed(
                DEFAULT_AREA,
                title,
                "no active branch ruleset includes it (classic branch protection is not read: use a"
                " ruleset as the README says)",
                f"{_RULESETS} → New branch ruleset, Enforcement: Active, target the default branch, no bypass"
                " list, with the rules the README's set-up step 1 lists",
            )
        ]
    checks: list[Check] = [passed(DEFAULT_AREA, title, _named(rulesets))]
    covering: list[Ruleset] = []
    unknown: list[Ruleset] = []
    bypassed: list[Ruleset] = []
    for requirement, has, fix in default_branch_requirements(settings.apply.required_approvals):
        having = [r for r in rulesets if has(r)]
        if not having:
            checks.append(failed(DEFAULT_AREA, requirement, f"not in {_named(rulesets)}", fix))
            continue
        checks.append(passed(DEFAULT_AREA, requirement, _named(having)))
        clean = [r for r in having if r.bypass_actors == ()]
        hidden = [r for r in having if r.bypass_actors is None]
        if clean:
            covering.append(clean[0])
        elif hidden:
            unknown += hidden
        else:
            bypassed += having
    if covering or unknown or bypassed:
        checks.append(
            _bypass_check(
                DEFAULT_AREA,
                "Nobody can bypass these rules",
                _unique(covering),
                _unique(unknown),
                _unique(bypassed),
                f"{_RULESETS} → the ruleset → Bypass list: remove every entry (apply relies on a review"
                " nobody can skip; admins merge through pull requests too)",
            )
        )
    return checks


def plan_branch_checks(facts: RepositoryFacts, settings: Settings) -> list[Check]:
    branch = settings.github.pr_branch
    prefix = branch.rsplit("/", 1)[0] + "/*" if "/" in branch else branch
    title = f"An active branch ruleset covers the plan branch ({branch})"
    create = (
        f"{_RULESETS} → New branch ruleset on `{prefix}`: Block force pushes, Restrict updates and Require"
        " signed commits, with the bot's GitHub App as its only bypass"
    )
    if isinstance(facts.rulesets, Unreadable):
        return [unreadable(PLAN_AREA, title, facts.rulesets)]
    rulesets = applying(facts.rulesets, branch, facts.default_branch)
    if not rulesets:
        return [failed(PLAN_AREA, title, "no active branch ruleset includes it", create)]
    checks: list[Check] = [passed(PLAN_AREA, title, _named(rulesets))]
    rules = [
        ("non_fast_forward", "Force pushes to it are blocked", "Block force pushes", False),
        ("required_signatures", "Its commits must be signed", "Require signed commits", False),
        # The README lets a team leave it out so reviewers can push edits: apply never relies on it.
        ("update", "Only the bypass list may push to it", "Restrict updates", True),
    ]
    for rule, requirement, setting, advisory in rules:
        having = [r for r in rulesets if r.rule(rule) is not None]
        if having:
            checks.append(passed(PLAN_AREA, requirement, _named(having), advisory))
        else:
            fix = f"{_RULESETS} → the plan branch's ruleset: {setting}"
            if advisory:
                fix += (
                    " (or leave it out on purpose, so reviewers may push signed edits: README set-up step 1)"
                )
            checks.append(failed(PLAN_AREA, requirement, f"not in {_named(rulesets)}", fix, advisory))
    # The App replaces its own branch: a ruleset that blocks pushes must let the App (and only it) by.
    blocking = [r for r in rulesets if r.rule("non_fast_forward") or r.rule("update")]
    if blocking:
        checks.append(_app_bypass_check(blocking))
    return checks


def _app_bypass_check(blocking: Sequence[Ruleset]) -> Check:
    title = "Only the bot's GitHub App can bypass it"
    fix = f"{_RULESETS} → the plan branch's ruleset → Bypass list: the bot's GitHub App, and nothing else"
    unknown = [r for r in blocking if r.bypass_actors is None]
    if unknown:
        return _unknown_bypass(PLAN_AREA, title, unknown)
    for ruleset in blocking:
        actors = ruleset.bypass_actors or ()
        others = [a for a in actors if a.actor_type != "Integration"]
        if others:
            shown = ", ".join(map(str, others))
            return failed(PLAN_AREA, title, f"'{ruleset.name}' also lets {shown} bypass it", fix)
        if not actors:
            return failed(
                PLAN_AREA,
                title,
                f"'{ruleset.name}' has no bypass list: the App cannot replace the branch",
                fix,
            )
    return passed(PLAN_AREA, title, "bypass lists hold GitHub Apps only")
