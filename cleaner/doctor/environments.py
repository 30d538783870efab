"""The environments and the bot's GitHub App: `snapstart-cleanup` (apply) and `snapstart-pr` (the jobs that
write as the bot) each deploy from the default branch only, so a workflow pushed to any other branch
can neither assume the apply role nor read the App's key; that key is a secret of `snapstart-pr`, and
the personal token of earlier releases is gone."""

from __future__ import annotations

from collections.abc import Mapping

from cleaner.doctor.checks import Check, failed, passed, unreadable
from cleaner.doctor.facts import EnvironmentFacts, Read, RepositoryFacts, Unreadable
from cleaner.iam_template import DEFAULT_ENVIRONMENT
from cleaner.settings import Settings

AREA = "Environments"
APP_AREA = "The bot's GitHub App"
PR_ENVIRONMENT = "snapstart-pr"
# The environments the workflows use: apply.yml's, and the bot jobs' (scan.yml's open-pr, keep.yml,
# refresh.yml).
ENVIRONMENTS = (DEFAULT_ENVIRONMENT, PR_ENVIRONMENT)
APP_KEY_SECRET = "SNAPSTART_APP_PRIVATE_KEY"
APP_CLIENT_ID_VARIABLE = "SNAPSTART_APP_CLIENT_ID"
OLD_TOKEN_SECRET = "SNAPSTART_PR_TOKEN"
_SETTINGS = "Settings → Environments"


def environment_checks(facts: RepositoryFacts) -> list[Check]:
    return [_branch_rule(facts, name) for name in ENVIRONMENTS]


def _branch_rule(facts: RepositoryFacts, name: str) -> Check:
    branch = facts.default_branch
    title = f"`{name}` can be used from {branch} only"
    fix = (
        f"{_SETTINGS} → {name} → Deployment branches and tags: Selected branches and tags, with the one"
        f" rule `{branch}` (type branch)"
    )
    if isinstance(facts.environments, Unreadable):
        return unreadable(AREA, title, facts.environments)
    environment = facts.environments.get(name)
    if environment is None:
        return failed(
            AREA, title, "no such environment", f"{_SETTINGS} → New environment `{name}`; then {fix}"
        )
    if environment.custom_branch_policies is None:
        return failed(AREA, title, "every branch may deploy to it (no deployment branch rule)", fix)
    if environment.protected_branches:
        return failed(AREA, title, "every protected branch may deploy to it", fix)
    policies = environment.branch_policies
    if isinstance(policies, Unreadable):
        return unreadable(AREA, title, policies)
    rules = [f"`{p.name}` ({p.type})" for p in policies or ()]
    if [(p.name, p.type) for p in policies or ()] != [(branch, "branch")]:
        found = ", ".join(rules) if rules else "no rule (nothing may deploy)"
        return failed(AREA, title, f"deployment branch rules: {found}", fix)
    return passed(AREA, title, f"one rule: `{branch}` (branch)")


def _pr_environment(facts: RepositoryFacts) -> Read[EnvironmentFacts | None]:
    if isinstance(facts.environments, Unreadable):
        return facts.environments
    return facts.environments.get(PR_ENVIRONMENT)


def app_checks(facts: RepositoryFacts, settings: Settings) -> list[Check]:
    environment = _pr_environment(facts)
    return [
        _key_check(environment),
        _client_id_check(environment, facts.variables),
        _old_token_check(environment, facts.secrets),
        _bot_logins_check(settings),
    ]


def _key_check(environment: Read[EnvironmentFacts | None]) -> Check:
    title = f"`{PR_ENVIRONMENT}` holds the App's private key (secret {APP_KEY_SECRET})"
    fix = (
        f"{_SETTINGS} → {PR_ENVIRONMENT} → Environment secrets → {APP_KEY_SECRET}: the App's whole private"
        " key (.pem); never a repository secret"
    )
    if isinstance(environment, Unreadable):
        return unreadable(APP_AREA, title, environment)
    if environment is None:
        return failed(APP_AREA, title, f"there is no environment `{PR_ENVIRONMENT}`", fix)
    if isinstance(environment.secrets, Unreadable):
        return unreadable(APP_AREA, title, environment.secrets)
    if APP_KEY_SECRET not in environment.secrets:
        return failed(APP_AREA, title, "no such environment secret", fix)
    return passed(APP_AREA, title)


def _client_id_check(environment: Read[EnvironmentFacts | None], variables: Read[Mapping[str, str]]) -> Check:
    title = f"The App's Client ID is set (variable {APP_CLIENT_ID_VARIABLE})"
    fix = f"{_SETTINGS} → {PR_ENVIRONMENT} → Environment variables → {APP_CLIENT_ID_VARIABLE}: its Client ID"
    # The bot jobs run in the environment: its variable, else the repository's, is what they read.
    sources: list[tuple[str, Read[Mapping[str, str]]]] = [("repository variable", variables)]
    if isinstance(environment, EnvironmentFacts):
        sources.insert(0, (f"`{PR_ENVIRONMENT}` variable", environment.variables))
    elif isinstance(environment, Unreadable):
        sources.insert(0, (f"`{PR_ENVIRONMENT}` variable", environment))
    for where, values in sources:
        if not isinstance(values, Unreadable) and values.get(APP_CLIENT_ID_VARIABLE, "").strip():
            return passed(APP_AREA, title, where)
    refused = next((values for _, values in sources if isinstance(values, Unreadable)), None)
    if refused is not None:
        return unreadable(APP_AREA, title, refused)
    return failed(APP_AREA, title, "set neither in the environment nor in the repository", fix)


def _old_token_check(environment: Read[EnvironmentFacts | None], secrets: Read[frozenset[str]]) -> Check:
    title = f"No personal token is left (secret {OLD_TOKEN_SECRET})"
    fix = (
        f"delete the secret {OLD_TOKEN_SECRET} and revoke that token: the bot is the GitHub App now"
        " (README set-up step 4)"
    )
    places: list[tuple[str, Read[frozenset[str]]]] = [("the repository's secrets", secrets)]
    if isinstance(environment, EnvironmentFacts):
        places.insert(0, (f"`{PR_ENVIRONMENT}`'s secrets", environment.secrets))
    elif isinstance(environment, Unreadable):
        places.insert(0, (f"`{PR_ENVIRONMENT}`'s secrets", environment))
    found = [
        where for where, names in places if not isinstance(names, Unreadable) and OLD_TOKEN_SECRET in names
    ]
    if found:
        return failed(APP_AREA, title, f"still in {' and '.join(found)}", fix)
    refused = next((names for _, names in places if isinstance(names, Unreadable)), None)
    if refused is not None:
        return unreadable(APP_AREA, title, refused)
    return passed(APP_AREA, title)


def _bot_logins_check(settings: Settings) -> Check:
    # Advisory: without it apply takes the plan PR's author as the bot when that is an App other than
    # github-actions[bot]; pinning the login only narrows that.
    title = "[tool.cleaner] bot_logins pins the App's bot login"
    apps = [login for login in settings.github.bot_logins if login.endswith("[bot]")]
    apps = [login for login in apps if login != "github-actions[bot]"]
    if apps:
        return passed(APP_AREA, title, ", ".join(apps), advisory=True)
    return failed(
        APP_AREA,
        title,
        "no App login listed: apply takes the plan PR's author as the bot when it is an App",
        'add `bot_logins = ["<app-slug>[bot]"]` to [tool.cleaner] (the App\'s slug, as'
        " create-github-app-token reports it)",
        advisory=True,
    )
