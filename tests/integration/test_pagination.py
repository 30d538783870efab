"""Paging and batching of the AWS adapters. moto ignores page sizes and never pages, so the listings are
driven with botocore's Stubber (real clients, responses checked against the service models), and
GetMetricData with a scripted CloudWatch that checks every request against the CloudWatch model."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from botocore.validate import validate_parameters

from cleaner.aws.lambda_inventory import RegionInventory, protected_function_arns
from cleaner.aws.metrics import MAX_DATAPOINTS_PER_CALL, MAX_QUERIES_PER_CALL, MetricsReader
from cleaner.usage import Dimensions, SeriesTotal, invocation_dimensions

REGION = "us-east-1"
ARN = "arn:aws:lambda:us-east-1:123456789012:function"
END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
START = END - timedelta(days=14)


def configuration(name: str, version: str, snapstart: bool = True) -> dict[str, Any]:
    arn = f"{ARN}:{name}:{version}"
    return {
        "FunctionName": name,
        "FunctionArn": arn,
        "Version": version,
        "Runtime": "python3.12",
        "MemorySize": 1024,
        "LastModified": "2026-06-01T12:00:00.000+0000",
        "CodeSha256": f"sha-{name}-{version}",
        "SnapStart": {"ApplyOn": "PublishedVersions" if snapstart else "None", "OptimizationStatus": "On"},
    }


@pytest.fixture
def lambda_stub() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("lambda", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_list_functions_follows_every_page_and_groups_versions_split_across_pages(
    lambda_stub: tuple[Any, Stubber],
) -> None:
    client, stubber = lambda_stub
    pages = [
        ([configuration("api", "$LATEST"), configuration("api", "1")], "page-2"),
        ([configuration("api", "2"), configuration("worker", "$LATEST")], "page-3"),
        ([configuration("worker", "1"), configuration("api", "3", snapstart=False)], None),
    ]
    marker = None
    for configurations, next_marker in pages:
        expected: dict[str, Any] = {"FunctionVersion": "ALL", "MaxItems": 50}
        if marker:
            expected["Marker"] = marker
        response: dict[str, Any] = {"Functions": configurations}
        if next_marker:
            response["NextMarker"] = next_marker
        stubber.add_response("list_functions", response, expected)
        marker = next_marker

    functions = RegionInventory(client, REGION).list_functions()

    assert [(f.name, [(v.version, v.snapstart) for v in f.versions]) for f in functions] == [
        ("api", [(1, True), (2, True), (3, False)]),
        ("worker", [(1, True)]),
    ]


def test_list_aliases_follows_every_page(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stubber = lambda_stub
    stubber.add_response(
        "list_aliases",
        {"Aliases": [{"Name": "live", "FunctionVersion": "7"}], "NextMarker": "m2"},
        {"FunctionName": "api"},
    )
    stubber.add_response(
        "list_aliases",
        {
            "Aliases": [
                {
                    "Name": "canary",
                    "FunctionVersion": "8",
                    "RoutingConfig": {"AdditionalVersionWeights": {"6": 0.05}},
                }
            ]
        },
        {"FunctionName": "api", "Marker": "m2"},
    )

    aliases = RegionInventory(client, REGION).list_aliases("api")

    assert [(a.name, a.function_version, a.additional_weights) for a in aliases] == [
        ("live", "7", ()),
        ("canary", "8", (("6", 0.05),)),
    ]


def test_list_event_source_mappings_follows_every_page(lambda_stub: tuple[Any, Stubber]) -> None:
    client, stubber = lambda_stub
    u1, u2, u3 = (f"0000000{i}-0000-4000-8000-000000000000" for i in (1, 2, 3))
    stubber.add_response(
        "list_event_source_mappings",
        {"EventSourceMappings": [{"UUID": u1, "FunctionArn": f"{ARN}:api:2"}], "NextMarker": "m2"},
        {},
    )
    stubber.add_response(
        "list_event_source_mappings",
        {"EventSourceMappings": [{"UUID": u2, "FunctionArn": f"{ARN}:api"}], "NextMarker": "m3"},
        {"Marker": "m2"},
    )
    stubber.add_response(
        "list_event_source_mappings",
        {"EventSourceMappings": [{"UUID": u3, "FunctionArn": f"{ARN}:api:2"}]},
        {"Marker": "m3"},
    )

    assert RegionInventory(client, REGION).event_source_mappings_by_version() == {("api", "2"): [u1, u3]}


def test_tag_get_resources_follows_every_page() -> None:
    client = boto3.client("resourcegroupstaggingapi", region_name=REGION)
    request = {"ResourceTypeFilters": ["lambda:function"], "TagFilters": [{"Key": "keep"}]}
    tag = [{"Key": "keep", "Value": "x"}]
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_resources",
            {"ResourceTagMappingList": [{"ResourceARN": f"{ARN}:a", "Tags": tag}], "PaginationToken": "t2"},
            request,
        )
        stubber.add_response(
            "get_resources",
            {"ResourceTagMappingList": [{"ResourceARN": f"{ARN}:b:3", "Tags": tag}], "PaginationToken": ""},
            {**request, "PaginationToken": "t2"},
        )

        assert protected_function_arns(client, "keep") == {f"{ARN}:a", f"{ARN}:b"}
        stubber.assert_no_pending_responses()


# --- GetMetricData -------------------------------------------------------------------------------------


class ScriptedCloudWatch:
    """Answers GetMetricData like CloudWatch: each request is validated against the botocore model and
    the documented limits (500 queries, 100,800 datapoints), then every query gets a result.

    `pages` > 1 splits each answer over NextToken pages; `statuses` overrides the StatusCode of series."""

    def __init__(self, values: dict[Dimensions, float], pages: int = 1) -> None:
        model = boto3.client("cloudwatch", region_name=REGION).meta.service_model
        input_shape = model.operation_model("GetMetricData").input_shape
        assert input_shape is not None
        self._input_shape = input_shape
        self.values = values
        self.pages = pages
        self.statuses: dict[Dimensions, str] = {}
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def get_metric_data(self, **request: Any) -> dict[str, Any]:
        validate_parameters(request, self._input_shape)
        queries = request["MetricDataQueries"]
        assert len(queries) <= MAX_QUERIES_PER_CALL
        period = queries[0]["MetricStat"]["Period"]
        window = (request["EndTime"] - request["StartTime"]).total_seconds()
        assert len(queries) * (window // period + 1) <= MAX_DATAPOINTS_PER_CALL
        with self._lock:
            self.requests.append(request)
        page = int(request.get("NextToken", "0"))
        results = []
        for query in queries:
            dimensions = tuple((d["Name"], d["Value"]) for d in query["MetricStat"]["Metric"]["Dimensions"])
            value = self.values.get(dimensions, 0.0)
            # One datapoint per page, so the total is only right if every page is read.
            timestamp = END - timedelta(hours=page + 1)
            results.append(
                {
                    "Id": query["Id"],
                    "Timestamps": [timestamp] if value else [],
                    "Values": [value / self.pages] if value else [],
                    "StatusCode": self.statuses.get(dimensions, "Complete"),
                }
            )
        response: dict[str, Any] = {"MetricDataResults": results}
        if page + 1 < self.pages:
            response["NextToken"] = str(page + 1)
        return response


def series(count: int) -> list[Dimensions]:
    return [invocation_dimensions(f"fn-{i}", f"fn-{i}:1") for i in range(count)]


def test_more_than_500_series_are_read_in_several_calls_none_over_the_limits() -> None:
    wanted = series(1234)
    cloudwatch = ScriptedCloudWatch({wanted[0]: 5.0, wanted[600]: 7.0, wanted[1233]: 9.0})

    totals, errors = MetricsReader(cloudwatch).sums(wanted, START, END)

    assert errors == {}
    assert set(totals) == set(wanted)
    assert len(cloudwatch.requests) == 3
    assert sorted(len(r["MetricDataQueries"]) for r in cloudwatch.requests) == [234, 500, 500]
    asked = [
        tuple((d["Name"], d["Value"]) for d in q["MetricStat"]["Metric"]["Dimensions"])
        for r in cloudwatch.requests
        for q in r["MetricDataQueries"]
    ]
    assert sorted(asked) == sorted(wanted)  # each series asked exactly once
    assert totals[wanted[600]] == SeriesTotal(7.0, END - timedelta(hours=1))
    assert totals[wanted[1]] == SeriesTotal()


def test_repeated_series_are_asked_once() -> None:
    wanted = series(3)
    cloudwatch = ScriptedCloudWatch({wanted[1]: 2.0})

    totals, _ = MetricsReader(cloudwatch).sums([*wanted, *wanted], START, END)

    assert len(cloudwatch.requests[0]["MetricDataQueries"]) == 3
    assert totals[wanted[1]].total == 2.0


def test_next_token_pages_are_followed_and_summed() -> None:
    wanted = series(4)
    cloudwatch = ScriptedCloudWatch({wanted[2]: 30.0}, pages=3)

    totals, errors = MetricsReader(cloudwatch).sums(wanted, START, END)

    assert errors == {}
    assert [r.get("NextToken") for r in cloudwatch.requests] == [None, "1", "2"]
    assert totals[wanted[2]] == SeriesTotal(30.0, END - timedelta(hours=1))  # newest datapoint


@pytest.mark.parametrize("status", ["PartialData", "Forbidden", "InternalError"])
def test_a_series_not_complete_is_an_error_not_a_zero(status: str) -> None:
    wanted = series(3)
    cloudwatch = ScriptedCloudWatch({})
    cloudwatch.statuses[wanted[1]] = status

    totals, errors = MetricsReader(cloudwatch).sums(wanted, START, END)

    assert set(totals) == {wanted[0], wanted[2]}
    assert list(errors) == [wanted[1]]
    assert status in errors[wanted[1]]


def test_a_client_error_fails_every_series_of_its_batch_only() -> None:
    wanted = series(700)

    class FailingSecondBatch(ScriptedCloudWatch):
        def get_metric_data(self, **request: Any) -> dict[str, Any]:
            if any(
                q["MetricStat"]["Metric"]["Dimensions"][0]["Value"] == "fn-650"
                for q in request["MetricDataQueries"]
            ):
                raise ClientError(
                    {"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, "GetMetricData"
                )
            return super().get_metric_data(**request)

    totals, errors = MetricsReader(FailingSecondBatch({})).sums(wanted, START, END)

    assert len(errors) == 200 and len(totals) == 500
    assert set(errors) | set(totals) == set(wanted)
    assert all(m.startswith("cloudwatch:GetMetricData: AccessDenied") for m in errors.values())
