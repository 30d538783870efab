"""Reading the scan and apply roles' trust policies (`iam:GetRole`) for `doctor --aws`.

IAM answers GetRole for roles of the credentials' own account only: a role of another account is
`Unreadable`, naming the account whose credentials read it, as is a role the credentials may not read
or that does not exist."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from cleaner.aws.errors import AWS_ERRORS, describe, is_access_denied, is_not_found
from cleaner.aws.session import AwsContext
from cleaner.doctor.facts import RoleTrust, Unreadable
from cleaner.exit_codes import AccessError

# IAM is global; its endpoint is called in this region whatever the scanned regions are.
IAM_REGION = "us-east-1"


def _document(value: Any) -> Mapping[str, Any]:
    # boto3 hands the policy over decoded; the raw API sends it URL-encoded JSON.
    if isinstance(value, Mapping):
        return value
    decoded: Mapping[str, Any] = json.loads(unquote(str(value)))
    return decoded


def read_role_trusts(aws: AwsContext, roles: Sequence[tuple[str, str, str]]) -> list[RoleTrust]:
    """The trust policy of each (account id, kind, role ARN); AccessError when no credentials work."""
    region = aws.default_region or IAM_REGION
    caller = aws.account_id(region)  # AccessError (exit 3) without usable credentials
    iam = aws.client("iam", IAM_REGION)
    found = []
    for account, kind, arn in roles:
        call = f"iam:GetRole {arn}"
        name = arn.rsplit("/", 1)[-1]
        policy: Mapping[str, Any] | Unreadable
        if account != caller:
            policy = Unreadable(
                call,
                f"the credentials are for account {caller}",
                f"AWS credentials of account {account} (run doctor --aws again with them, e.g. AWS_PROFILE)",
            )
        else:
            try:
                policy = _document(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"])
            except AWS_ERRORS as error:
                if not (is_access_denied(error) or is_not_found(error)):
                    raise AccessError(describe(error, "iam:GetRole")) from error
                if is_not_found(error):
                    policy = Unreadable(
                        call, "no such role", "the role to exist (deploy the iam-template stack)"
                    )
                else:
                    needs = f"AWS credentials that may call iam:GetRole on {arn}"
                    policy = Unreadable(call, describe(error, "iam:GetRole"), needs)
        found.append(RoleTrust(account, kind, arn, policy))
    return found
