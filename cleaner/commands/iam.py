"""`iam-template`: print the CloudFormation template that sets up the scan and apply roles."""

from __future__ import annotations

import argparse
import json

from cleaner.environment import Environment
from cleaner.exit_codes import ExitCode
from cleaner.iam_template import TemplateOptions, build_template


def run_iam_template(args: argparse.Namespace, env: Environment) -> ExitCode:
    options = TemplateOptions(
        github_repo=args.github_repo,
        create_oidc_provider=args.create_oidc_provider,
        oidc_provider_arn=args.oidc_provider_arn,
        function_prefix=args.function_prefix,
        environment=args.environment,
        default_branch=args.default_branch,
        oidc_subject=args.oidc_subject,
        stackset=args.stackset,
        subject_prefix=args.subject_prefix,
    ).validated()
    env.print(json.dumps(build_template(options), indent=2))
    return ExitCode.OK
