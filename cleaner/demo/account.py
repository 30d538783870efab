"""Builds a simulated AWS account on moto: functions with published versions of chosen ages,
aliases, invocation metrics, event source mappings, resource policies and tags.

Everything goes through the real AWS APIs (so moto stores it exactly as a scan will read it), except
`LastModified`, which no API can set: it is backdated on moto's backend objects, in this process.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

DEMO_ACCOUNT_ID = "123456789012"
_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


def aws_timestamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class SimulatedAccount:
    def __init__(self, session: Any, region: str, now: datetime, account_id: str = DEMO_ACCOUNT_ID) -> None:
        self.session = session
        self.region = region
        self.now = now
        self.account_id = account_id
        self.lambda_ = session.client("lambda", region_name=region)
        self.cloudwatch = session.client("cloudwatch", region_name=region)
        iam = session.client("iam", region_name=region)
        try:
            self.role_arn = iam.create_role(
                RoleName="demo-lambda-role", AssumeRolePolicyDocument=_ROLE_POLICY
            )["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            self.role_arn = iam.get_role(RoleName="demo-lambda-role")["Role"]["Arn"]

    # --- functions and versions ----------------------------------------------------------------------

    def function(
        self,
        name: str,
        version_ages_days: Sequence[float],
        runtime: str = "python3.12",
        memory_mb: int = 1024,
        snapstart: bool | Sequence[bool] = True,
        tags: dict[str, str] | None = None,
    ) -> list[str]:
        """Create a function and publish one version per age (oldest first); returns version numbers.

        `snapstart` may be one flag per version: a function can turn SnapStart off and keep old
        versions that still have it."""
        flags = [snapstart] * len(version_ages_days) if isinstance(snapstart, bool) else list(snapstart)
        self.lambda_.create_function(
            FunctionName=name,
            Runtime=runtime,
            Role=self.role_arn,
            Handler="handler.main",
            Code={"ZipFile": _zip(f"# {name} v0\n")},
            MemorySize=memory_mb,
            SnapStart={"ApplyOn": "PublishedVersions" if flags and flags[0] else "None"},
            Tags=tags or {},
        )
        versions = []
        for index, (age, flag) in enumerate(zip(version_ages_days, flags, strict=True)):
            if index:
                self.lambda_.update_function_code(FunctionName=name, ZipFile=_zip(f"# {name} v{index}\n"))
                self.lambda_.update_function_configuration(
                    FunctionName=name, SnapStart={"ApplyOn": "PublishedVersions" if flag else "None"}
                )
            version = self.lambda_.publish_version(FunctionName=name)["Version"]
            self.backdate(name, version, self.now - timedelta(days=age))
            versions.append(version)
        return versions

    def backdate(self, name: str, version: str, instant: datetime) -> None:
        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[self.account_id][self.region]
        backend.get_function(name, version).last_modified = aws_timestamp(instant)

    def alias(self, function: str, name: str, version: str, weights: dict[str, float] | None = None) -> None:
        extra: dict[str, Any] = {}
        if weights:
            extra["RoutingConfig"] = {"AdditionalVersionWeights": weights}
        self.lambda_.create_alias(FunctionName=function, Name=name, FunctionVersion=version, **extra)

    def event_source_mapping(self, function: str, version: str, queue_name: str) -> str:
        sqs = self.session.client("sqs", region_name=self.region)
        queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        mapping = self.lambda_.create_event_source_mapping(
            EventSourceArn=queue_arn, FunctionName=f"{function}:{version}", BatchSize=10
        )
        return str(mapping["UUID"])

    def permission(self, function: str, version: str, principal: str = "events.amazonaws.com") -> None:
        self.lambda_.add_permission(
            FunctionName=function,
            StatementId=f"invoke-{function}-{version}",
            Action="lambda:InvokeFunction",
            Principal=principal,
            Qualifier=version,
        )

    # --- metrics -------------------------------------------------------------------------------------

    def invocations(
        self,
        function: str,
        count: int,
        days_ago: float,
        version: str | None = None,
        alias: str | None = None,
        executed_version: str | None = None,
        unqualified: bool = False,
    ) -> None:
        """Publish Invocations as AWS would: the qualified series and the function-level aggregate.

        Dimensions go in one canonical order (FunctionName, Resource, ExecutedVersion)."""
        when = self.now - timedelta(days=days_ago)
        dimension_sets: list[list[dict[str, str]]] = [[{"Name": "FunctionName", "Value": function}]]
        if version is not None:
            dimension_sets.append(
                [
                    {"Name": "FunctionName", "Value": function},
                    {"Name": "Resource", "Value": f"{function}:{version}"},
                ]
            )
        if alias is not None:
            resource = [
                {"Name": "FunctionName", "Value": function},
                {"Name": "Resource", "Value": f"{function}:{alias}"},
            ]
            dimension_sets.append(resource)
            if executed_version is not None:
                dimension_sets.append([*resource, {"Name": "ExecutedVersion", "Value": executed_version}])
        if not unqualified and version is None and alias is None:
            raise ValueError("say which version or alias was invoked, or unqualified=True")
        self.cloudwatch.put_metric_data(
            Namespace="AWS/Lambda",
            MetricData=[
                {
                    "MetricName": "Invocations",
                    "Dimensions": dims,
                    "Timestamp": when,
                    "Value": float(count),
                    "Unit": "Count",
                }
                for dims in dimension_sets
            ],
        )
