"""`doctor`: read every setting the security model rests on (GitHub, and AWS with --aws) and print the
checklist. Exit 0 when every check holds (advisory lines and skipped AWS checks aside), 1 otherwise, 2
for bad flags or settings, 3 when GitHub (or, with --aws, AWS) cannot be reached at all.

`--allow-unreadable` is for a workflow's own token, which cannot read the admin-only settings: those
lines stay ✗ "could not read" in the checklist, but only the settings it could read decide the exit
code."""

from __future__ import annotations

import argparse

from cleaner.aws.iam_roles import read_role_trusts
from cleaner.aws.session import AwsContext
from cleaner.doctor.checks import Status
from cleaner.doctor.facts import RoleTrust, Unreadable
from cleaner.doctor.report import RENDERERS, diagnose
from cleaner.doctor.trust import roles_to_check
from cleaner.environment import Environment, repository_settings
from cleaner.exit_codes import ExitCode
from cleaner.github.client import open_repository
from cleaner.github.repository_facts import read_repository_facts


def run_doctor(args: argparse.Namespace, env: Environment) -> ExitCode:
    settings = repository_settings(args, env)  # bad settings: exit 2 before any call
    repo = open_repository(env.environ)  # a bad token or repository: exit 3
    env.progress(f"doctor: reading the settings of {repo.full_name} ...")
    facts = read_repository_facts(repo)
    roles: list[RoleTrust] | Unreadable | None = None
    if args.aws:
        wanted = roles_to_check(settings, facts.variables)
        if isinstance(wanted, Unreadable):
            roles = wanted
        else:
            env.progress(f"doctor: reading {len(wanted)} IAM roles ...")
            session = env.aws_session() if env.aws_session else None
            roles = read_role_trusts(AwsContext(session=session, performance=settings.performance), wanted)
    report = diagnose(facts, settings, roles)
    env.print(RENDERERS[args.format](report))
    failing = [
        check
        for check in report.failures
        if not (args.allow_unreadable and check.status is Status.UNREADABLE)
    ]
    return ExitCode.FAILURES if failing else ExitCode.OK
