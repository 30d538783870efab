"""A repository set up exactly as the README's "Set-up from zero" says, on the fake GitHub: the default
branch's ruleset (step 1) with this repository's own workflows and a CODEOWNERS on main, the plan
branch's ruleset with the App as its only bypass, read-only workflow permissions (step 2), the two
environments limited to main (step 3) with the App's key and Client ID (step 4), the OIDC subject
template (step 5) and the repository variables (step 7); `[tool.cleaner]` pins the App's bot login."""

from __future__ import annotations

from pathlib import Path

from fakes.github_server import FakeGitHub
from fakes.github_settings import FakeEnvironment, RepositorySettings, install

ROOT = Path(__file__).resolve().parents[2]
APP_ID = 987654  # the bot's GitHub App
ACCOUNT = "123456789012"  # moto's default account
SCAN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/snapstart-cleaner-scan"
APPLY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/snapstart-cleaner-apply"
CODEOWNERS = "# The platform team reviews the workflows, the code and the settings.\n" + "".join(
    f"{path} @acme/platform\n" for path in ("/.github/", "/cleaner/", "/pyproject.toml")
)
PYPROJECT = """
[tool.cleaner]
regions = ["us-east-1"]
required_approvals = 1
bot_logins = ["snapstart-cleaner[bot]"]
"""


def default_branch_ruleset() -> dict[str, object]:
    return {
        "id": 1,
        "name": "main",
        "target": "branch",
        "enforcement": "active",
        "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
        "rules": [
            {"type": "deletion"},
            {"type": "non_fast_forward"},
            {
                "type": "pull_request",
                "parameters": {
                    "required_approving_review_count": 1,
                    "dismiss_stale_reviews_on_push": True,
                    "require_code_owner_review": True,
                    "require_last_push_approval": True,
                    "required_review_thread_resolution": False,
                    "allowed_merge_methods": ["merge", "squash", "rebase"],
                },
            },
            {
                "type": "required_status_checks",
                "parameters": {
                    "strict_required_status_checks_policy": False,
                    "do_not_enforce_on_create": False,
                    "required_status_checks": [
                        {"context": "Validate plan edits", "integration_id": 15368},
                        {"context": "Lint and test", "integration_id": 15368},
                    ],
                },
            },
        ],
        "bypass_actors": [],
    }


def plan_branch_ruleset() -> dict[str, object]:
    return {
        "id": 2,
        "name": "plan branch",
        "target": "branch",
        "enforcement": "active",
        "conditions": {"ref_name": {"include": ["refs/heads/snapstart-cleaner/*"], "exclude": []}},
        "rules": [
            {"type": "non_fast_forward"},
            {"type": "update", "parameters": {"update_allows_fetch_and_merge": False}},
            {"type": "required_signatures"},
        ],
        "bypass_actors": [{"actor_id": APP_ID, "actor_type": "Integration", "bypass_mode": "always"}],
    }


def set_up_as_the_readme_says(fake: FakeGitHub, checkout: Path) -> RepositorySettings:
    """The fake's repository (and `checkout`'s pyproject.toml) as the README's set-up leaves them."""
    settings = install(fake)
    workflows = {
        f".github/workflows/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    }
    fake.commit_files(
        fake.default_branch,
        {".github/CODEOWNERS": CODEOWNERS, **workflows},
        user=fake.users["octocat"],
        message="Workflows and CODEOWNERS",
    )
    settings.rulesets = [default_branch_ruleset(), plan_branch_ruleset()]
    settings.workflow_permissions = {
        "default_workflow_permissions": "read",
        "can_approve_pull_request_reviews": False,
    }
    main_only = [{"name": fake.default_branch, "type": "branch"}]
    settings.environments = {
        "snapstart-cleanup": FakeEnvironment("snapstart-cleanup", policies=list(main_only)),
        "snapstart-pr": FakeEnvironment(
            "snapstart-pr",
            policies=list(main_only),
            secrets={"SNAPSTART_APP_PRIVATE_KEY"},
            variables={"SNAPSTART_APP_CLIENT_ID": "Iv23liEXAMPLE"},
        ),
    }
    settings.oidc_subject = {
        "use_default": False,
        "include_claim_keys": ["repo", "context", "job_workflow_ref"],
        "use_immutable_subject": False,
        "sub_claim_prefix": f"repo:{fake.full_name}",
    }
    settings.variables = {
        "SNAPSTART_SCAN_ROLE_ARN": SCAN_ROLE,
        "SNAPSTART_APPLY_ROLE_ARN": APPLY_ROLE,
        "SNAPSTART_AWS_REGION": "us-east-1",
    }
    (checkout / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return settings
