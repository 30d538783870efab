"""`sandbox invoke` and `sandbox alias`: change a running sandbox the way live traffic and a deploy
change an account, so apply has drift to find. They talk to the sandbox through `AWS_ENDPOINT_URL`
with boto3, like any other client, and refuse any endpoint that is not on this machine: neither may
ever write to a real account."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from cleaner.aws.errors import AWS_ERRORS, describe
from cleaner.aws_names import FUNCTION_NAME_PATTERN
from cleaner.environment import Environment
from cleaner.exit_codes import AccessError, BadInputError, ExitCode
from cleaner.sandbox.server import SANDBOX_KEY, SANDBOX_REGION

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_TARGET = re.compile(rf"^(?P<function>{FUNCTION_NAME_PATTERN}):(?P<qualifier>[A-Za-z0-9_-]{{1,128}})$")


def _session_clients(env: Environment) -> tuple[Any, Any]:
    """Lambda and CloudWatch clients of the sandbox named by AWS_ENDPOINT_URL."""
    import boto3

    endpoint = env.environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint:
        raise BadInputError(
            "AWS_ENDPOINT_URL is not set: export the lines `snapstart-cleaner sandbox` printed"
            " (these commands only ever write to a local sandbox)"
        )
    if urlparse(endpoint).hostname not in _LOCAL_HOSTS:
        raise BadInputError(
            f"AWS_ENDPOINT_URL {endpoint}: not a local sandbox (http://127.0.0.1:PORT);"
            " these commands never write to a real account"
        )
    session = boto3.Session(
        aws_access_key_id=env.environ.get("AWS_ACCESS_KEY_ID") or SANDBOX_KEY,
        aws_secret_access_key=env.environ.get("AWS_SECRET_ACCESS_KEY") or SANDBOX_KEY,
        region_name=env.environ.get("AWS_REGION") or env.environ.get("AWS_DEFAULT_REGION") or SANDBOX_REGION,
    )
    return (
        session.client("lambda", endpoint_url=endpoint),
        session.client("cloudwatch", endpoint_url=endpoint),
    )


def parse_target(target: str) -> tuple[str, str]:
    match = _TARGET.match(target)
    if match is None:
        raise BadInputError(
            f"{target!r}: expected FUNCTION:VERSION or FUNCTION:ALIAS (e.g. orders-api:3 or orders-api:live)"
        )
    return match["function"], match["qualifier"]


def invocation_series(
    function: str, qualifier: str, executed_version: str | None
) -> list[list[dict[str, str]]]:
    """The series AWS publishes for invocations of `function:qualifier`: the function-level total, the
    qualified series, and for an alias the series of the version it ran. One canonical dimension order
    (FunctionName, Resource, ExecutedVersion), the order the scan queries in."""
    total = [{"Name": "FunctionName", "Value": function}]
    qualified = [*total, {"Name": "Resource", "Value": f"{function}:{qualifier}"}]
    series = [total, qualified]
    if executed_version is not None:
        series.append([*qualified, {"Name": "ExecutedVersion", "Value": executed_version}])
    return series


def record_timestamp(now: datetime) -> datetime:
    """The minute the invocations are counted in, as CloudWatch does; a few seconds back first, so the
    datapoint is inside a window that ends at the next instant (moto drops sub-seconds and excludes the
    window's end)."""
    return (now - timedelta(seconds=5)).replace(second=0, microsecond=0)


def run_invoke(target: str, count: int, env: Environment) -> ExitCode:
    function, qualifier = parse_target(target)
    if count < 1:
        raise BadInputError(f"--count {count}: at least 1")
    lambda_, cloudwatch = _session_clients(env)
    executed_version: str | None = None
    try:
        if qualifier.isdigit():
            lambda_.get_function_configuration(FunctionName=function, Qualifier=qualifier)
        else:
            executed_version = str(
                lambda_.get_alias(FunctionName=function, Name=qualifier)["FunctionVersion"]
            )
    except lambda_.exceptions.ResourceNotFoundException as error:
        raise BadInputError(f"{target}: not in the sandbox ({error.response['Error']['Message']})") from error
    except AWS_ERRORS as error:
        raise AccessError(describe(error, "lambda:GetFunctionConfiguration")) from error
    when = record_timestamp(env.clock())
    try:
        cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": when, "Value": float(count)}
                for dims in invocation_series(function, qualifier, executed_version)
            ],
        )
    except AWS_ERRORS as error:
        raise AccessError(describe(error, "cloudwatch:PutMetricData")) from error
    ran = f" (running version {executed_version})" if executed_version else ""
    env.print(
        f"recorded {count} invocation{'s' if count != 1 else ''} of {function}:{qualifier}{ran}"
        f" at {when:%H:%M} UTC"
    )
    return ExitCode.OK


def run_alias(function: str, name: str, version: str, env: Environment) -> ExitCode:
    lambda_, _ = _session_clients(env)
    try:
        try:
            lambda_.update_alias(FunctionName=function, Name=name, FunctionVersion=version)
            verb = "moved"
        except lambda_.exceptions.ResourceNotFoundException:
            lambda_.create_alias(FunctionName=function, Name=name, FunctionVersion=version)
            verb = "created"
    except lambda_.exceptions.ResourceNotFoundException as error:
        raise BadInputError(_missing(lambda_, function, version, error)) from error
    except AWS_ERRORS as error:
        raise AccessError(describe(error, "lambda:CreateAlias")) from error
    env.print(f"{verb} alias {function}:{name} -> version {version}")
    return ExitCode.OK


def _missing(lambda_: Any, function: str, version: str, error: Any) -> str:
    """Which of the two is not in the sandbox: the function, or that version of it."""
    try:
        lambda_.get_function(FunctionName=function)
        versions = lambda_.list_versions_by_function(FunctionName=function)["Versions"]
    except AWS_ERRORS:
        return f"{function}: no such function in the sandbox ({error.response['Error']['Message']})"
    published = [v["Version"] for v in versions if v["Version"] != "$LATEST"]
    return f"{function}:{version}: no such version in the sandbox (it has {', '.join(published) or 'none'})"
