"""CloudWatch GetMetricData, batched: many series summed over one window in as few calls as possible."""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from cleaner.aws.errors import AWS_ERRORS, describe
from cleaner.usage import Dimensions, SeriesTotal

MAX_QUERIES_PER_CALL = 500
MAX_DATAPOINTS_PER_CALL = 100_800
# Period ladder: each a multiple of the finer ones, so one of them is valid for any window.
_PERIODS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 259200, 604800)


def retention_floor_seconds(lookback: timedelta) -> int:
    """The finest period CloudWatch still holds for the oldest point of the window.

    1-minute data is kept 15 days, 5-minute data 63 days, 1-hour data 455 days."""
    if lookback <= timedelta(days=15):
        return 60
    if lookback <= timedelta(days=63):
        return 300
    return 3600


def choose_period(lookback: timedelta) -> int:
    """The finest valid period for which a full batch of 500 series stays within the datapoint cap."""
    floor = retention_floor_seconds(lookback)
    # One bucket less than the cap allows: a window not aligned to the period touches one more bucket
    # (see queries_per_call).
    points_per_series = MAX_DATAPOINTS_PER_CALL // MAX_QUERIES_PER_CALL - 1
    wanted = max(floor, math.ceil(lookback.total_seconds() / points_per_series))
    for period in _PERIODS:
        if period >= wanted and period % floor == 0:
            return period
    return math.ceil(wanted / 86400) * 86400


def queries_per_call(lookback: timedelta, period: int) -> int:
    points = math.ceil(lookback.total_seconds() / period) + 1
    return max(1, min(MAX_QUERIES_PER_CALL, MAX_DATAPOINTS_PER_CALL // points))


def invocation_queries(batch: Sequence[Dimensions], period: int) -> list[dict[str, Any]]:
    """GetMetricData queries for the summed Lambda `Invocations` of each series, with ids q0, q1, ..."""
    return [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": "Invocations",
                    "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions],
                },
                "Period": period,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for index, dimensions in enumerate(batch)
    ]


class MetricsReader:
    """Sums of Lambda `Invocations` series over [start, end), batched and run concurrently."""

    def __init__(self, cloudwatch_client: Any, max_workers: int = 4) -> None:
        self.client = cloudwatch_client
        self.max_workers = max_workers

    def sums(
        self, series: Sequence[Dimensions], start: datetime, end: datetime
    ) -> tuple[dict[Dimensions, SeriesTotal], dict[Dimensions, str]]:
        """(totals, errors): every requested series lands in exactly one of the two."""
        unique = list(dict.fromkeys(series))
        if not unique:
            return {}, {}
        lookback = end - start
        period = choose_period(lookback)
        size = queries_per_call(lookback, period)
        batches = [unique[i : i + size] for i in range(0, len(unique), size)]
        totals: dict[Dimensions, SeriesTotal] = {}
        errors: dict[Dimensions, str] = {}
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            for batch_totals, batch_errors in pool.map(
                lambda batch: self._fetch_batch(batch, start, end, period), batches
            ):
                totals.update(batch_totals)
                errors.update(batch_errors)
        return totals, errors

    def _fetch_batch(
        self, batch: list[Dimensions], start: datetime, end: datetime, period: int
    ) -> tuple[dict[Dimensions, SeriesTotal], dict[Dimensions, str]]:
        by_id = {f"q{index}": dimensions for index, dimensions in enumerate(batch)}
        queries = invocation_queries(batch, period)
        totals: dict[str, SeriesTotal] = {query_id: SeriesTotal() for query_id in by_id}
        status: dict[str, str] = {}
        request: dict[str, Any] = {
            "MetricDataQueries": queries,
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampDescending",
        }
        try:
            while True:
                response = self.client.get_metric_data(**request)
                for result in response.get("MetricDataResults", []):
                    query_id = result["Id"]
                    status[query_id] = result.get("StatusCode", "Complete")
                    for timestamp, value in zip(
                        result.get("Timestamps", []), result.get("Values", []), strict=False
                    ):
                        if value > 0:
                            totals[query_id] = totals[query_id] + SeriesTotal(float(value), timestamp)
                token = response.get("NextToken")
                if not token:
                    break
                request["NextToken"] = token
        except AWS_ERRORS as error:
            message = describe(error, "cloudwatch:GetMetricData")
            return {}, {dimensions: message for dimensions in batch}
        done: dict[Dimensions, SeriesTotal] = {}
        failed: dict[Dimensions, str] = {}
        for query_id, dimensions in by_id.items():
            code = status.get(query_id)
            if code == "Complete":
                done[dimensions] = totals[query_id]
            else:
                failed[dimensions] = f"cloudwatch:GetMetricData: series status {code or 'missing'}"
        return done, failed


# ListMetrics lists only series with a datapoint in the past two weeks (CloudWatch API reference).
LIST_METRICS_HORIZON = timedelta(days=14)


def aliases_seen_in_metrics(cloudwatch_client: Any) -> dict[str, set[str]]:
    """Function name -> the alias names under which CloudWatch holds an `Invocations` series.

    One paged listing of the region (500 series a page, CloudWatch's own quota, not Lambda's). It is a
    hint, never proof: a series without a datapoint in LIST_METRICS_HORIZON, or too new to be listed
    yet, is missing, and an alias deleted since still has its series. Callers must stay correct when
    an alias is missing here (its traffic is then unexplained, which keeps the function's versions)."""
    found: dict[str, set[str]] = {}
    paginator = cloudwatch_client.get_paginator("list_metrics")
    pages = paginator.paginate(
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        # A metric with these dimensions and more (ExecutedVersion) is listed too.
        Dimensions=[{"Name": "FunctionName"}, {"Name": "Resource"}],
    )
    for page in pages:
        for metric in page.get("Metrics", []):
            dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            function, resource = dimensions.get("FunctionName"), dimensions.get("Resource")
            if not function or not resource or not resource.startswith(f"{function}:"):
                continue
            qualifier = resource[len(function) + 1 :]
            # Alias names are never all digits (those are versions) and never $LATEST.
            if qualifier and not qualifier.isdigit() and qualifier != "$LATEST":
                found.setdefault(function, set()).add(qualifier)
    return found
