"""Benchmark: what a scan costs in AWS API calls, quota-bound time and memory, against the naive scanner.

Run it as a script (pytest does not collect `bench_*.py`):

    python tests/benchmarks/bench_scan.py --functions 400 --versions 25 [--json] [--no-naive]
        [--max-deletions N]

`--versions` is versions per function, so 400 x 25 is an account of 10,000 published versions.

What it does
------------
1. Builds a synthetic account in in-process moto (`mock_aws` + the SnapStart shim). Functions follow a
   repeating mix of 20 profiles (`PROFILES` in cleaner/demo/mix.py): most versions old (one deploy a
   week), live aliases (some weighted, some with a rollback alias on an old version), traffic through
   aliases, direct calls pinned to an old version, unqualified calls, traffic older than the lookback,
   a function whose later versions turned SnapStart off, non-SnapStart functions, a tagged function,
   an event source mapping and a resource policy granted on one old version each.
   Speed: each function is created through the API once; its published versions are then seeded
   directly on moto's backend, exactly as moto's own `publish_version` does it (`copy.copy` of
   `$LATEST`, `set_version(n)`, appended to the function's version list and ARN index), with a
   backdated `last_modified` and the version's own SnapStart setting. Aliases, tags, permissions,
   event source mappings and metrics go through the real APIs (`SimulatedAccount`), so moto stores
   them exactly as a scan reads them. Metrics are sparse (one datapoint per published series).
2. Runs our scan (`cleaner.scan.scan`, rate limits effectively off: moto is local; its plan capped at
   `--max-deletions`, the product's default 500, so its last stage stops once the plan is full;
   100000 checks every candidate, as scans did before issue 21) and, on the same account, the NAIVE
   reference scanner below. Both are counted by `CallRecorder` on botocore's
   `request-created` event, one count per HTTP request sent.
3. Reports calls per operation, per quota bucket and in total; projected seconds (calls per bucket /
   the bucket's documented rate, buckets in parallel); our wall time and peak RSS; what the last stage
   did (`last_stage`: would-be candidates, checked, qualified, over the cap, not checked); whether both
   found the same candidates where their rules agree; and a model extrapolated to 100,000 versions.

Three benchmark-only moto changes (installed only while the benchmark runs, then restored):
- Pagination. moto ignores `MaxItems`/`Marker` on ListFunctions and ListVersionsByFunction and returns
  everything in one page; AWS returns at most 50 items a page. Counting calls against moto as-is
  would hide most ListFunctions pages, so the benchmark pages them as AWS does (50 a page).
- GetMetricData. moto's implementation scans every stored datapoint for every period of every query
  (queries x periods x points). The replacement indexes the datapoints by metric once per call and
  returns exactly what moto's own implementation returns (tests/test_benchmark_smoke.py checks that).
- ListMetrics. moto lists every series ever put and deduplicates in quadratic time; AWS lists only
  series with a datapoint in the past two weeks. The replacement does what AWS does, relative to the
  benchmark's NOW, in one pass, 500 a page (the smoke test checks it against moto's answer).

The naive reference scanner (the seed's documented design)
---------------------------------------------------------
`ListFunctions` (the `$LATEST` of each function, paged) keeping functions whose `$LATEST` has SnapStart;
per function `ListVersionsByFunction`, `GetFunctionConfiguration` per version (SnapStart, State),
`ListAliases`; one `GetMetricStatistics` per version (`FunctionName` + `Resource=fn:version`) plus one
per function (`FunctionName`). A version is a candidate when SnapStart is on for it, its state is
settled, it is older than min_age_days, not among the newest keep_last_n, no alias routes to it (primary
or weighted), its own series is empty and -- the seed's fallback -- the function-level series is empty.
It never looks at tags, event source mappings, resource policies or Lambda@Edge.

Where the two differ, and why (reported under `candidate_differences`)
- only ours: versions of a function whose `$LATEST` has SnapStart off (the naive one never lists it);
  versions of a function with traffic that the per-version and per-alias series fully explain (the
  naive fallback keeps every version of any function with traffic).
- only naive: versions that a check the naive scanner does not make protects (tag, event source mapping,
  resource policy, Lambda@Edge), and versions ours left unchecked because its plan was full.
Ours, for this comparison, are the versions its plan deletes and those it kept over the cap.
Any other difference is unexplained and makes `same_candidates` false.

Lower bound: the calls ANY correct scanner must make for the plan ours proposes
-------------------------------------------------------------------------------
- Lambda control plane: every published version must be seen with its own SnapStart setting (a
  function whose `$LATEST` has it off can still own billing versions), so the cheaper of
  ListFunctions(ALL) pages = ceil((versions + functions) / 50) and ListFunctions pages + one
  ListVersionsByFunction page per 50 versions of each function; one ListAliases for each function with
  at least one version the plan deletes (an alias can protect a version nobody calls); one page of the
  region's event source mappings per 100 mappings (at least one).
- GetFunction: one per version the plan deletes (ListFunctions omits State on AWS; GetFunction has its
  own quota). A capped plan deletes at most max_deletions_per_apply.
- GetPolicy: one per version the plan deletes (a version's own policy has no listing API).
- GetMetricData: ceil(series / 500) where the series are the least that prove a candidate unused: the
  function-level total of each function with a deletion; for those with traffic, the direct series of
  every version and `$LATEST` and each alias's total (to explain the function-level total); and the
  `ExecutedVersion` series of each candidate under each alias with traffic.
- Tagging GetResources: one page per 100 tagged functions (at least one). CloudFront ListDistributions:
  one page (us-east-1). STS is not needed (the account id is in every ARN).
Projected seconds = max over buckets of calls / rate (buckets have independent quotas, in parallel).
Our scan runs its stages one after the other, so `projected_seconds_sequential` (the sum over buckets)
is reported too, and `projected_seconds_staged`, which models our stages as they run: in sequence,
except the last one, where each version's GetFunction and GetPolicy are chained per version across the
pool, so those two buckets overlap (max, not sum). `projected_seconds_at_configured_pacing` is the
staged figure at our default client-side rates.

Quota rates (per account and region)
- Lambda control plane 15 rps, GetFunction 100 rps, GetPolicy 15 rps: Lambda quotas page
  (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
- CloudWatch GetMetricData 50 TPS (500 metrics, 100,800 datapoints a call); GetMetricStatistics 400 TPS
  (CloudWatch service quotas page; AWS knowledge-center article "cloudwatch-getmetricdata-api").
- Resource Groups Tagging GetResources 15 calls/s (Tag Editor user guide, "Service quotas").
- CloudWatch ListMetrics: ASSUMED 25 TPS (not confirmed in the stored docs). One region-wide listing,
  500 series a page: a few calls a scan, so the assumption moves no projection by more than a second.
- CloudFront ListDistributions and STS GetCallerIdentity: no documented per-API rate found; ASSUMED 5 rps
  and 100 rps. Each is called once per scan, so the assumption cannot move a projection by more than
  a fraction of a second.

Model: extrapolation to 100,000 versions
----------------------------------------
The account mix is a fixed cycle of profiles, so every count is either a page count of a listing
(recomputed exactly for the target shape), a constant per region, or proportional to the number of
functions at a fixed versions-per-function. The model therefore scales each measured per-function or
per-candidate count by k = target versions / measured versions, recomputes listing pages exactly from
the target account's shape, and keeps per-region constants. The last stage (GetFunction, GetPolicy) is
bounded by the plan's cap instead: the model replays its batches (`last_stage_checks`, with the scan's
own `batch_size`) over k times the measured would-be candidates, the measured share of each batch kept
by the checks. The lower bound of a plan already full at the measured size stays as measured, listing
pages aside (at most the cap's deletions, over at least as many functions at the target). Naive counts
are a closed formula of the shape (checked against the measured counts by the smoke test). Peak RSS
of our scan is modelled as the RSS before the scan plus its measured growth (peak - before) times k.
Measure it with `--isolated`: our scan then runs, renders and writes its plan in a child process that
never imports moto, against a ThreadedMotoServer on 127.0.0.1 serving the seeded backends, so the
child's peak RSS is our scan's own. In-process, the peak includes moto's copy of the whole account
(reported, but not our memory). With the cap, 100,000 versions can also be measured directly
(`--functions 4000 --versions 25 --isolated --no-naive`: minutes).
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import logging
import math
import os
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from botocore.config import Config

from cleaner.aws.metrics import LIST_METRICS_HORIZON, choose_period, queries_per_call
from cleaner.aws.ratelimit import (
    CONTROL_PLANE,
    GET_FUNCTION,
    GET_METRIC_DATA,
    GET_POLICY,
    CallRecorder,
    attach,
    quota_bucket,
)
from cleaner.aws.session import AwsContext
from cleaner.demo.mix import PROTECT_TAG, FunctionSpec, build_specs, seed_account
from cleaner.demo.moto_shim import install_snapstart_shim
from cleaner.plan import Plan, load_plan, write_plan_files
from cleaner.policy import CONSIDERED_STATES
from cleaner.reasons import Reason
from cleaner.render import render_plan_markdown
from cleaner.sandbox.price_list import PriceListEndpoint
from cleaner.scan import batch_size, scan
from cleaner.settings import ApplyLimits, Performance, ScanSettings

REGION = "us-east-1"  # Lambda@Edge lives here, so the CloudFront check runs as well.
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MODEL_TARGET_VERSIONS = 100_000

TAGGING = "resourcegroupstaggingapi:GetResources"
CLOUDFRONT = "cloudfront:ListDistributions"
STS = "sts:GetCallerIdentity"
GET_METRIC_STATISTICS = "cloudwatch:GetMetricStatistics"
LIST_METRICS = "cloudwatch:ListMetrics"
PRICE_LIST = "pricing:GetProducts"  # one per region (issue 20): moto answers 404, still one request
COST_EXPLORER = "ce:GetCostAndUsage"  # at most two per account (issue 20)

# Documented per-account, per-region rates (requests per second); see the module docstring.
QUOTA_RPS: dict[str, float] = {
    CONTROL_PLANE: 15.0,
    GET_FUNCTION: 100.0,
    GET_POLICY: 15.0,
    GET_METRIC_DATA: 50.0,
    GET_METRIC_STATISTICS: 400.0,
    LIST_METRICS: 25.0,  # assumed: see QUOTA_SOURCES
    TAGGING: 15.0,
    CLOUDFRONT: 5.0,  # assumed: not documented
    STS: 100.0,  # assumed: not documented
    PRICE_LIST: 5.0,
    COST_EXPLORER: 5.0,  # assumed: not confirmed in the stored docs
}
QUOTA_SOURCES = {
    CONTROL_PLANE: "Lambda quotas: control plane API requests, 15/s",
    GET_FUNCTION: "Lambda quotas: GetFunction API requests, 100/s",
    GET_POLICY: "Lambda quotas: GetPolicy API requests, 15/s",
    GET_METRIC_DATA: "CloudWatch quotas: GetMetricData 50 TPS",
    GET_METRIC_STATISTICS: "CloudWatch quotas: GetMetricStatistics 400 TPS",
    LIST_METRICS: "assumed 25/s (CloudWatch quotas page as remembered; not confirmed here)",
    TAGGING: "Tag Editor service quotas: GetResources 15 calls/s",
    CLOUDFRONT: "assumed 5/s (no documented per-API rate)",
    STS: "assumed 100/s (no documented per-API rate)",
    PRICE_LIST: "Billing user guide, Price List Query API quotas: GetProducts refills 5/s (bucket 10)",
    COST_EXPLORER: "assumed 5/s (not confirmed here); a scan sends at most two",
}
LIST_FUNCTIONS_PAGE = 50  # ListFunctions and ListVersionsByFunction return at most 50 items a page
ESM_PAGE = 100  # ListEventSourceMappings default page
TAGGING_PAGE = 100  # GetResources ResourcesPerPage maximum
NAIVE_PERIOD_SECONDS = 86_400
WARM_UP_SERVICES = ("lambda", "cloudwatch", "resourcegroupstaggingapi", "cloudfront", "sts")

Progress = Callable[[str], None]


# --- benchmark-only moto speed-ups --------------------------------------------------------------------


def _page_size(querystring: dict[str, list[str]]) -> int:
    return max(1, min(int(querystring.get("MaxItems", [str(LIST_FUNCTIONS_PAGE)])[0]), LIST_FUNCTIONS_PAGE))


def paged_list_functions(self: Any) -> str:
    """moto's ListFunctions, paged as AWS pages it (at most 50 items; Marker = "function:position")."""
    querystring = self.querystring
    all_versions = querystring.get("FunctionVersion", [None])[0] == "ALL"
    size = _page_size(querystring)
    marker = querystring.get("Marker", [None])[0]
    groups = list(self.backend._lambdas._functions.values())
    function_index, position = (int(part) for part in marker.split(":")) if marker else (0, 0)

    def entries(group: dict[str, Any]) -> int:
        return (1 if group["latest"] is not None else 0) + (len(group["versions"]) if all_versions else 0)

    page: list[dict[str, Any]] = []
    while function_index < len(groups) and len(page) < size:
        group = groups[function_index]
        if position >= entries(group):
            function_index, position = function_index + 1, 0
            continue
        if position == 0 and group["latest"] is not None:
            latest = group["latest"]
            if all_versions:  # as moto's LambdaStorage.all(): $LATEST with a qualified ARN
                latest = copy.copy(latest)
                latest.function_arn = f"{latest.function_arn}:$LATEST"
            page.append(latest.get_configuration())
        else:
            offset = position - (1 if group["latest"] is not None else 0)
            page.append(group["versions"][offset].get_configuration())
        position += 1
    while function_index < len(groups) and position >= entries(groups[function_index]):
        function_index, position = function_index + 1, 0
    result: dict[str, Any] = {"Functions": page}
    if function_index < len(groups):
        result["NextMarker"] = f"{function_index}:{position}"
    return json.dumps(result)


def paged_list_versions_by_function(self: Any) -> str:
    """moto's ListVersionsByFunction, paged as AWS pages it (at most 50 items)."""
    function_name = self.path.split("/")[-2]
    size = _page_size(self.querystring)
    start = int(self.querystring.get("Marker", ["0"])[0])
    versions = list(self.backend.list_versions_by_function(function_name))
    result: dict[str, Any] = {"Versions": [fn.get_configuration() for fn in versions[start : start + size]]}
    if start + size < len(versions):
        result["NextMarker"] = str(start + size)
    return json.dumps(result)


def _dimensions_key(dimensions: list[Any]) -> tuple[tuple[str, str], ...]:
    # moto matches `sorted(stored) == sorted(queried)` (its Dimension ordering is order-dependent);
    # sorting both the same way and comparing (name, value) pairs is that same test.
    return tuple((d.name, d.value) for d in sorted(dimensions))


def indexed_get_metric_data(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., Any]:
    """moto's GetMetricData answers, computed from an index of the datapoints by metric.

    Only MetricStat queries with dimensions and no unit take the fast path (what the scanner sends);
    anything else, and every validation error, goes to moto's own implementation."""
    from moto.cloudwatch.models import Dimension, Statistics

    def get_metric_data(
        self: Any,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        simple = all(
            "MetricStat" in q
            and q["MetricStat"]["Metric"].get("Dimensions")
            and not q["MetricStat"].get("Unit")
            for q in queries
        )
        if not simple or start >= end:
            return original(self, queries, start_time, end_time, scan_by)
        index: dict[tuple[str, tuple[tuple[str, str], ...]], list[Any]] = defaultdict(list)
        for datum in self.get_all_metrics():
            if start <= datum.timestamp < end:
                index[(datum.name, _dimensions_key(datum.dimensions))].append(datum)
        results = []
        for query in queries:
            metric_stat = query["MetricStat"]
            name = metric_stat["Metric"]["MetricName"]
            stat = metric_stat["Stat"]
            delta = timedelta(seconds=int(metric_stat["Period"]))
            dimensions = [
                Dimension(name=d["Name"], value=d["Value"]) for d in metric_stat["Metric"]["Dimensions"]
            ]
            slots: dict[int, list[Any]] = defaultdict(list)
            for datum in index.get((name, _dimensions_key(dimensions)), []):
                slots[(datum.timestamp - start) // delta].append(datum)
            values: list[Any] = []
            timestamps: list[datetime] = []
            for slot in sorted(slots):
                statistics = Statistics([stat], start + slot * delta)
                statistics.metric_data = slots[slot]
                values.append(statistics.get_statistics_for_type(stat))
                timestamps.append(statistics.timestamp)
            if scan_by == "TimestampDescending":
                values.reverse()
                timestamps.reverse()
            if query.get("ReturnData", True):
                results.append(
                    {
                        "id": query["Id"],
                        "label": query.get("Label") or f"{name} {stat}",
                        "values": values,
                        "timestamps": timestamps,
                        "status_code": "Complete",
                    }
                )
        return results

    return get_metric_data


def windowed_list_metrics(now: datetime) -> Callable[..., Any]:
    """moto's ListMetrics as AWS answers it: only series with a datapoint in the two weeks before `now`
    (moto lists every series ever put), deduplicated in one pass (moto compares each datapoint with
    every series found so far), paged 500 a page with moto's own token store."""

    def list_metrics(
        self: Any,
        next_token: str | None,
        namespace: str,
        metric_name: str,
        dimensions: list[dict[str, str]],
    ) -> tuple[str | None, list[Any]]:
        if next_token:
            if next_token not in self.paged_metric_data:
                from moto.cloudwatch.exceptions import InvalidParameterValue

                raise InvalidParameterValue("Request parameter NextToken is invalid")
            return self._get_paginated(self.paged_metric_data.pop(next_token))  # type: ignore[no-any-return]
        end = now.astimezone(UTC).replace(tzinfo=None)  # moto stores naive UTC timestamps
        horizon = end - LIST_METRICS_HORIZON
        series: dict[tuple[str, str, tuple[tuple[str, str], ...]], Any] = {}
        for datum in self.get_all_metrics():
            if datum.timestamp < horizon or datum.timestamp > end:
                continue
            if (namespace and datum.namespace != namespace) or (metric_name and datum.name != metric_name):
                continue
            pairs = {(d.name, d.value) for d in datum.dimensions}
            if any(
                not any(n == f["Name"] and f.get("Value") in (None, v) for n, v in pairs)
                for f in dimensions or []
            ):
                continue
            series.setdefault((datum.namespace, datum.name, _dimensions_key(datum.dimensions)), datum)
        return self._get_paginated(list(series.values()))  # type: ignore[no-any-return]

    return list_metrics


@contextmanager
def moto_speedups(now: datetime = NOW) -> Iterator[None]:
    """AWS-like paging for ListFunctions/ListVersionsByFunction, an indexed GetMetricData and a
    two-week ListMetrics (relative to `now`), restored on exit so nothing else in this process sees
    them."""
    from moto.awslambda.responses import LambdaResponse
    from moto.cloudwatch.models import CloudWatchBackend

    with (
        mock.patch.object(CloudWatchBackend, "list_metrics", windowed_list_metrics(now)),
        mock.patch.object(LambdaResponse, "list_functions", paged_list_functions),
        mock.patch.object(LambdaResponse, "list_versions_by_function", paged_list_versions_by_function),
        mock.patch.object(
            CloudWatchBackend, "get_metric_data", indexed_get_metric_data(CloudWatchBackend.get_metric_data)
        ),
    ):
        yield


# --- the naive reference scanner ----------------------------------------------------------------------


@dataclass
class NaiveResult:
    candidates: set[tuple[str, int]]
    listed_functions: set[str]  # functions whose $LATEST has SnapStart
    busy_functions: set[str]  # functions with function-level traffic in the window


def naive_scan(session: boto3.Session, settings: ScanSettings, recorder: CallRecorder) -> NaiveResult:
    """The seed's documented design, one call at a time (see the module docstring)."""
    config = Config(retries={"mode": "standard", "max_attempts": 10})
    lambda_ = session.client("lambda", region_name=REGION, config=config)
    cloudwatch = session.client("cloudwatch", region_name=REGION, config=config)
    for client in (lambda_, cloudwatch):
        attach(client, REGION, None, recorder)
    start = NOW - timedelta(days=settings.effective_lookback_days)

    def invocations(dimensions: list[Any]) -> float:
        response = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="Invocations",
            Dimensions=dimensions,
            StartTime=start,
            EndTime=NOW,
            Period=NAIVE_PERIOD_SECONDS,
            Statistics=["Sum"],
        )
        return float(sum(point["Sum"] for point in response["Datapoints"]))

    result = NaiveResult(set(), set(), set())
    for page in lambda_.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if (function.get("SnapStart") or {}).get("ApplyOn") != "PublishedVersions":
                continue
            name = function["FunctionName"]
            result.listed_functions.add(name)
            numbers = [
                version["Version"]
                for versions_page in lambda_.get_paginator("list_versions_by_function").paginate(
                    FunctionName=name
                )
                for version in versions_page["Versions"]
                if version["Version"] != "$LATEST"
            ]
            configurations = [
                lambda_.get_function_configuration(FunctionName=name, Qualifier=n) for n in numbers
            ]
            routed: set[str] = set()
            for aliases_page in lambda_.get_paginator("list_aliases").paginate(FunctionName=name):
                for alias in aliases_page["Aliases"]:
                    routed.add(alias["FunctionVersion"])
                    routed.update((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
            function_total = invocations([{"Name": "FunctionName", "Value": name}])
            if function_total > 0:
                result.busy_functions.add(name)
            keep_last_n, min_age_days = settings.thresholds_for(name)
            newest = set(sorted((int(n) for n in numbers), reverse=True)[:keep_last_n])
            for configuration in configurations:
                number = configuration["Version"]
                version_total = invocations(
                    [
                        {"Name": "FunctionName", "Value": name},
                        {"Name": "Resource", "Value": f"{name}:{number}"},
                    ]
                )
                modified = datetime.strptime(configuration["LastModified"][:19], "%Y-%m-%dT%H:%M:%S")
                if (
                    (configuration.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions"
                    and configuration.get("State", "Active") in CONSIDERED_STATES
                    and (NOW - modified.replace(tzinfo=UTC)).days >= min_age_days
                    and int(number) not in newest
                    and number not in routed
                    and version_total == 0
                    and function_total == 0  # the seed's fallback: any function-level traffic keeps all
                ):
                    result.candidates.add((name, int(number)))
    return result


def naive_formula(specs: list[FunctionSpec]) -> Counter[str]:
    """The naive scanner's calls as a closed formula of the account's shape."""
    listed = [s for s in specs if s.latest_snapstart]
    calls: Counter[str] = Counter()
    calls["lambda:ListFunctions"] = max(1, math.ceil(len(specs) / LIST_FUNCTIONS_PAGE))
    calls["lambda:ListVersionsByFunction"] = sum(
        math.ceil((s.versions + 1) / LIST_FUNCTIONS_PAGE) for s in listed
    )
    calls["lambda:GetFunctionConfiguration"] = sum(s.versions for s in listed)
    calls["lambda:ListAliases"] = len(listed)
    calls[GET_METRIC_STATISTICS] = sum(s.versions + 1 for s in listed)
    return +calls


# --- lower bound, projections, model -----------------------------------------------------------------


def lower_bound_calls(specs: list[FunctionSpec], plan: Plan, settings: ScanSettings) -> Counter[str]:
    """The calls any correct scanner must make for this account (see the module docstring)."""
    by_name = {spec.name: spec for spec in specs}
    candidates: dict[str, list[int]] = defaultdict(list)
    for entry in plan.delete:
        candidates[entry.function_name].append(int(entry.version))
    lookback = settings.effective_lookback_days
    versions = sum(s.versions for s in specs)
    calls: Counter[str] = Counter()
    calls["lambda:ListFunctions"] = min(
        math.ceil((versions + len(specs)) / LIST_FUNCTIONS_PAGE),
        math.ceil(len(specs) / LIST_FUNCTIONS_PAGE)
        + sum(math.ceil((s.versions + 1) / LIST_FUNCTIONS_PAGE) for s in specs),
    )
    calls["lambda:ListAliases"] = len(candidates)
    mappings = sum(1 for s in specs if s.mapped_version is not None)
    calls["lambda:ListEventSourceMappings"] = max(1, math.ceil(mappings / ESM_PAGE))
    calls["lambda:GetFunction"] = len(plan.delete)
    calls["lambda:GetPolicy"] = len(plan.delete)
    tagged = sum(1 for s in specs if PROTECT_TAG in s.tags)
    calls[TAGGING] = max(1, math.ceil(tagged / TAGGING_PAGE))
    calls[CLOUDFRONT] = 1
    series = 0
    for name, numbers in candidates.items():
        spec = by_name[name]
        series += 1
        traffic = spec.traffic_in_window(lookback)
        if traffic:
            series += spec.versions + 1 + len(spec.aliases)
            busy_aliases = {call.alias for call in traffic if call.alias}
            series += len(busy_aliases) * len(numbers)
    window = timedelta(days=lookback)
    per_call = queries_per_call(window, choose_period(window))
    calls[GET_METRIC_DATA] = math.ceil(series / per_call)
    return +calls


def by_bucket(calls: Counter[str]) -> dict[str, int]:
    buckets: Counter[str] = Counter()
    for name, count in calls.items():
        service, operation = name.split(":", 1)
        buckets[quota_bucket(service, operation)] += count
    return dict(sorted(buckets.items()))


def bucket_seconds(buckets: dict[str, int], rates: dict[str, float] = QUOTA_RPS) -> dict[str, float]:
    return {bucket: round(count / rates[bucket], 2) for bucket, count in buckets.items()}


def calls_report(calls: Counter[str], rates: dict[str, float] = QUOTA_RPS) -> dict[str, Any]:
    buckets = by_bucket(calls)
    seconds = bucket_seconds(buckets, rates)
    return {
        "calls": {
            "by_operation": dict(sorted(calls.items())),
            "by_bucket": buckets,
            "total": sum(calls.values()),
        },
        "seconds_by_bucket": seconds,
        "projected_seconds": max(seconds.values(), default=0.0),
        "projected_seconds_sequential": round(sum(seconds.values()), 2),
        "projected_seconds_staged": staged_seconds(seconds),
    }


# Buckets of the scan's last stage: chained per version, so their times overlap.
OVERLAPPING_BUCKETS = ("lambda:GetFunction", "lambda:GetPolicy")


def staged_seconds(seconds: dict[str, float]) -> float:
    overlapping = [seconds[b] for b in OVERLAPPING_BUCKETS if b in seconds]
    rest = [value for bucket, value in seconds.items() if bucket not in OVERLAPPING_BUCKETS]
    return round(sum(rest) + max(overlapping, default=0.0), 2)


def configured_rates() -> dict[str, float]:
    """Our default client-side pacing, where it is below the quota."""
    defaults = Performance()
    return {
        **QUOTA_RPS,
        CONTROL_PLANE: defaults.control_plane_rps,
        GET_FUNCTION: defaults.get_function_rps,
        GET_POLICY: defaults.get_policy_rps,
        GET_METRIC_DATA: defaults.get_metric_data_tps,
    }


# Operations whose count is a listing's page count, recomputed exactly for the target shape.
def _exact_pages(specs: list[FunctionSpec], who: str) -> dict[str, int]:
    versions = sum(s.versions for s in specs)
    mappings = sum(1 for s in specs if s.mapped_version is not None)
    tagged = sum(1 for s in specs if PROTECT_TAG in s.tags)
    pages = {
        "lambda:ListEventSourceMappings": max(1, math.ceil(mappings / ESM_PAGE)),
        TAGGING: max(1, math.ceil(tagged / TAGGING_PAGE)),
        CLOUDFRONT: 1,
        STS: 1,
    }
    if who == "ours":
        pages["lambda:ListFunctions"] = math.ceil((versions + len(specs)) / LIST_FUNCTIONS_PAGE)
    return pages


def extrapolate(
    measured: Counter[str], specs: list[FunctionSpec], target: list[FunctionSpec]
) -> Counter[str]:
    """Per-function and per-candidate counts scaled by k; listing pages exact; per-region constants."""
    k = sum(s.versions for s in target) / sum(s.versions for s in specs)
    exact = _exact_pages(target, "ours")
    model: Counter[str] = Counter()
    for operation, count in measured.items():
        if operation in exact:
            model[operation] = exact[operation]
        else:
            model[operation] = math.ceil(count * k)
    return model


LAST_STAGE = ("lambda:GetFunction", "lambda:GetPolicy")


def last_stage_checks(would_be: int, cap: int, kept_share: float) -> int:
    """The versions the scan's last stage checks (one GetFunction each): batches of what the plan still
    misses plus the scan's own margin (cleaner.scan.batch_size), a `kept_share` of each batch kept by
    the checks, until `cap` qualify or no would-be candidate is left."""
    checked = qualified = 0
    while checked < would_be and qualified < cap:
        batch = min(batch_size(cap - qualified), would_be - checked)
        checked += batch
        qualified += math.floor(batch * (1 - kept_share))
    return checked


def model_last_stage(measured: Counter[str], last: dict[str, Any], k: float) -> Counter[str]:
    """GetFunction and GetPolicy at the target: its would-be candidates (k times the measured ones),
    checked in batches until the cap is reached, the measured share kept by the checks; GetPolicy in
    the measured proportion to GetFunction (a version whose state keeps it is not asked for a policy)."""
    function_calls = measured["lambda:GetFunction"]
    if not function_calls:
        return Counter()
    kept_share = 1 - last["qualified"] / function_calls
    checks = last_stage_checks(math.ceil(last["would_be_candidates"] * k), last["cap"], kept_share)
    policy_share = measured["lambda:GetPolicy"] / function_calls
    return Counter({"lambda:GetFunction": checks, "lambda:GetPolicy": math.ceil(checks * policy_share)})


def model_lower_bound(
    measured: Counter[str], last: dict[str, Any], specs: list[FunctionSpec], target: list[FunctionSpec]
) -> Counter[str]:
    """The lower bound at the target. Uncapped, per-candidate counts scale by k. A plan already full at
    the measured size is full at the target too, with at most `cap` deletions: GetFunction and GetPolicy
    stay at one per deletion, and the per-function counts (ListAliases, GetMetricData) stay as measured:
    a larger account of the same mix spreads its `cap` largest savings over at least as many functions,
    so the measured counts still bound it from below."""
    if not last["plan_full"]:
        model = extrapolate(measured, specs, target)
        for operation in (*LAST_STAGE, "lambda:ListAliases"):
            model[operation] = min(model[operation], last["cap"])
        return model
    model = Counter(measured)
    for operation, pages in _exact_pages(target, "ours").items():
        if operation in model:
            model[operation] = pages
    return model


def model_at(result: dict[str, Any], specs: list[FunctionSpec], target_versions: int) -> dict[str, Any]:
    per_function = specs[0].versions if specs else 1
    target = build_specs(max(1, round(target_versions / per_function)), per_function)
    k = sum(s.versions for s in target) / result["versions"]
    last = result["ours"]["last_stage"]
    measured = Counter(result["ours"]["calls"]["by_operation"])
    ours = extrapolate(measured, specs, target)
    for operation, count in model_last_stage(measured, last, k).items():
        ours[operation] = count
    lower = model_lower_bound(Counter(result["lower_bound"]["calls"]["by_operation"]), last, specs, target)
    lower["lambda:ListFunctions"] = min(
        math.ceil((sum(s.versions for s in target) + len(target)) / LIST_FUNCTIONS_PAGE),
        math.ceil(len(target) / LIST_FUNCTIONS_PAGE)
        + sum(math.ceil((s.versions + 1) / LIST_FUNCTIONS_PAGE) for s in target),
    )
    naive = naive_formula(target)
    modelled: dict[str, Any] = {
        "versions": sum(s.versions for s in target),
        "functions": len(target),
        "ours": calls_report(ours),
        "naive": calls_report(naive),
        "lower_bound": calls_report(lower),
        # Linear in versions from the measured growth (see the module docstring); meaningful for an
        # --isolated run, an overestimate in-process (moto's transient objects grow with the account).
        "ours_peak_rss_mb": round(
            result["ours"]["rss_before_scan_mb"] + result["ours"]["scan_rss_growth_mb"] * k, 1
        ),
        "ours_peak_rss_measured_where": result["ours"]["where"],
    }
    modelled["ours"]["projected_seconds_at_configured_pacing"] = calls_report(ours, configured_rates())[
        "projected_seconds_staged"
    ]
    modelled["ratios"] = ratios(modelled["ours"], modelled["naive"], modelled["lower_bound"])
    return modelled


def ratios(
    ours: dict[str, Any], naive: dict[str, Any] | None, lower: dict[str, Any]
) -> dict[str, float | None]:
    control = ours["calls"]["by_bucket"].get(CONTROL_PLANE, 0)
    naive_control = naive["calls"]["by_bucket"].get(CONTROL_PLANE, 0) if naive else 0
    bound = lower["projected_seconds"] or 1e-9
    return {
        "control_plane_ours_over_naive": round(control / naive_control, 4) if naive_control else None,
        "projected_ours_over_lower_bound": round(ours["projected_seconds"] / bound, 3),
        "sequential_ours_over_lower_bound": round(ours["projected_seconds_sequential"] / bound, 3),
        "staged_ours_over_lower_bound": round(ours["projected_seconds_staged"] / bound, 3),
    }


# --- comparing the candidate sets --------------------------------------------------------------------

# Reasons the naive scanner cannot see: a version kept by ours only for these is a known difference.
NAIVE_BLIND = {
    Reason.TAG_PROTECTED: "naive does not check the protect tag",
    Reason.EVENT_SOURCE_MAPPING_PROTECTED: "naive does not list event source mappings",
    Reason.RESOURCE_POLICY_PROTECTED: "naive does not read version resource policies",
    Reason.CLOUDFRONT_PROTECTED: "naive does not check Lambda@Edge associations",
}


def compare(plan: Plan, naive: NaiveResult) -> dict[str, Any]:
    # A capped plan's candidates: those it deletes and those it found qualify beyond the cap.
    ours = {(e.function_name, int(e.version)) for e in plan.delete} | {
        (e.function_name, int(e.version)) for e in plan.keep if e.reasons == [Reason.OVER_DELETION_CAP]
    }
    kept = {(e.function_name, int(e.version)): e.reasons for e in plan.keep}
    only_ours: Counter[str] = Counter()
    only_naive: Counter[str] = Counter()
    unexplained: list[str] = []
    for name, number in sorted(ours - naive.candidates):
        if name not in naive.listed_functions:
            only_ours[
                "function's $LATEST has SnapStart off: naive never lists its old SnapStart versions"
            ] += 1
        elif name in naive.busy_functions:
            only_ours["function has traffic that per-version/alias series explain: naive keeps all"] += 1
        else:
            unexplained.append(f"{name}:{number} proposed by ours only")
    for name, number in sorted(naive.candidates - ours):
        reasons = kept.get((name, number), [])
        if reasons == [Reason.NOT_CHECKED_PLAN_FULL]:
            only_naive["ours left it unchecked: the plan was full (max_deletions_per_apply)"] += 1
        elif reasons and all(reason in NAIVE_BLIND for reason in reasons):
            for reason in reasons:
                only_naive[NAIVE_BLIND[reason]] += 1
        else:
            unexplained.append(f"{name}:{number} proposed by naive only (ours: {[r.value for r in reasons]})")
    return {
        "same_candidates": not unexplained,
        "candidate_differences": {
            "agreed": len(ours & naive.candidates),
            "only_ours": dict(only_ours),
            "only_naive": dict(only_naive),
            "unexplained": unexplained[:20],
            "unexplained_count": len(unexplained),
        },
    }


# --- running it --------------------------------------------------------------------------------------


def _rss_mb() -> float:
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM where Linux has it: `getrusage().ru_maxrss` also counts the RSS of
    the process image exec replaced, i.e. the whole benchmark (moto included) for the child scan."""
    try:
        with Path("/proc/self/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _reset_peak_rss() -> bool:
    """Reset the process's peak RSS (Linux >= 4.0), so the next peak is the scan's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def unlimited_performance() -> Performance:
    # Validation caps the rates at AWS's quotas; moto is local, so the benchmark lifts them.
    return Performance.model_construct(
        control_plane_rps=1e9, get_function_rps=1e9, get_policy_rps=1e9, get_metric_data_tps=1e9
    )


def scan_in_process(
    session: boto3.Session, settings: ScanSettings, limits: ApplyLimits, progress: Progress
) -> tuple[dict[str, Any], Plan]:
    """Our scan in this process. Peak RSS here includes moto's copy of the whole account."""
    recorder = CallRecorder()
    aws = AwsContext(session=session, performance=unlimited_performance(), recorder=recorder)
    for service in WARM_UP_SERVICES:
        aws.client(service, REGION)
    gc.collect()
    peak_is_scan_only = _reset_peak_rss()
    before_scan = _rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    plan = scan(aws, settings, NOW, "benchmark", progress, limits=limits)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _peak_rss_mb()
    measured = {
        "calls": dict(recorder.calls),
        "where": "in-process (moto in the same process)",
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(peak, 1),
        "rss_before_scan_mb": round(before_scan, 1),
        "scan_rss_growth_mb": round(max(peak - before_scan, 0.0), 1),
        "peak_rss_is_scan_only": peak_is_scan_only,
    }
    return measured, plan


def scan_isolated(
    settings: ScanSettings, limits: ApplyLimits, progress: Progress
) -> tuple[dict[str, Any], Plan]:
    """Our scan (plus rendering and writing the plan, as the `scan` command does) in a child process
    that never imports moto, against a ThreadedMotoServer on 127.0.0.1 serving this process's moto
    backends: the child's peak RSS is our scan's own."""
    import subprocess
    import tempfile

    from moto.server import ThreadedMotoServer

    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.ERROR)  # one access-log line per request otherwise
    # Port 0: bound to a free port at start(), which no other process can take first.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    # moto's server has no Price List (it answers 500, which botocore retries): the sandbox's small
    # endpoint answers instead, one request per region as in-process moto's 404 is.
    prices = PriceListEndpoint().__enter__()
    try:
        with tempfile.TemporaryDirectory() as out:
            env = {
                **os.environ,
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                "AWS_ENDPOINT_URL_PRICING": prices.url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
            }
            env.pop("AWS_PROFILE", None)
            progress(f"running our scan in a child process against moto on 127.0.0.1:{port}")
            child = subprocess.run(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--max-deletions",
                    str(limits.max_deletions_per_apply),
                    "--child-scan",
                    out,
                    *settings.regions,
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                raise RuntimeError(f"child scan failed ({child.returncode}):\n{child.stderr[-4000:]}")
            measured = json.loads(child.stdout)
            plan = load_plan(Path(measured.pop("plan_json")))
    finally:
        prices.__exit__()
        server.stop()
        werkzeug.setLevel(level)
    return measured, plan


def child_scan(out: str, regions: list[str], limits: ApplyLimits) -> int:
    """The child's side of `scan_isolated`: scan, render, write; print what it measured as JSON."""
    settings = ScanSettings(regions=regions, protect_tag=PROTECT_TAG)
    recorder = CallRecorder()
    aws = AwsContext(
        session=boto3.Session(region_name=REGION), performance=unlimited_performance(), recorder=recorder
    )
    # Clients load their service models once (a fixed ~tens of MB): count that before the scan, so the
    # growth the model scales is the part that grows with the account.
    for service in WARM_UP_SERVICES:
        aws.client(service, REGION)
    gc.collect()
    peak_is_scan_only = _reset_peak_rss()  # importing botocore/pydantic peaks transiently above the scan
    before_scan = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    plan = scan(aws, settings, NOW, "benchmark", lambda _: None, limits=limits)
    scanned = time.perf_counter()
    peak_of_scan = _peak_rss_mb()
    json_path, _ = write_plan_files(Path(out) / plan.plan_id, plan, render_plan_markdown(plan))
    finished, cpu = time.perf_counter(), time.process_time() - cpu
    peak = _peak_rss_mb()
    measured = {
        "calls": dict(recorder.calls),
        "where": "child process (no moto in it), moto server on 127.0.0.1",
        "wall_seconds": round(scanned - started, 2),
        "render_and_write_seconds": round(finished - scanned, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(peak, 1),
        "peak_rss_before_rendering_mb": round(peak_of_scan, 1),
        "rss_before_scan_mb": round(before_scan, 1),
        "scan_rss_growth_mb": round(max(peak - before_scan, 0.0), 1),
        "peak_rss_is_scan_only": peak_is_scan_only,
        "plan_json": str(json_path),
    }
    print(json.dumps(measured))
    return 0


def run_benchmark(
    functions: int,
    versions: int,
    *,
    naive: bool = True,
    isolated: bool = False,
    max_deletions: int = ApplyLimits().max_deletions_per_apply,
    progress: Progress = lambda _: None,
) -> dict[str, Any]:
    """Build the account, run both scanners, and return the report (see the module docstring)."""
    from moto import mock_aws

    install_snapstart_shim()
    settings = ScanSettings(regions=[REGION], protect_tag=PROTECT_TAG)
    limits = ApplyLimits(max_deletions_per_apply=max_deletions)
    specs = build_specs(functions, versions)
    with mock_aws(), moto_speedups():
        session = boto3.Session(region_name=REGION)
        seed_account(session, specs, NOW, progress, REGION)
        progress("running our scan")
        measured, plan = (
            scan_isolated(settings, limits, progress)
            if isolated
            else scan_in_process(session, settings, limits, progress)
        )
        calls = Counter(measured.pop("calls"))
        result: dict[str, Any] = {
            "functions": functions,
            "versions_per_function": versions,
            "versions": sum(s.versions for s in specs),
            "snapstart_versions": plan.summary.delete_count + plan.summary.keep_count,
            "profiles": dict(Counter(s.profile for s in specs)),
            "quota_rps": QUOTA_RPS,
            "quota_sources": QUOTA_SOURCES,
        }
        ours = calls_report(calls)
        ours.update(candidates=plan.summary.delete_count, kept=plan.summary.keep_count, **measured)
        ours["last_stage"] = last_stage_report(plan, calls, max_deletions)
        ours["projected_seconds_at_configured_pacing"] = calls_report(calls, configured_rates())[
            "projected_seconds_staged"
        ]
        result["ours"] = ours
        result["lower_bound"] = calls_report(lower_bound_calls(specs, plan, settings))
        result["naive"] = None
        if naive:
            progress("running the naive scanner")
            naive_recorder = CallRecorder()
            wall = time.perf_counter()
            found = naive_scan(session, settings, naive_recorder)
            report = calls_report(Counter(naive_recorder.calls))
            report.update(candidates=len(found.candidates), wall_seconds=round(time.perf_counter() - wall, 2))
            report["formula_matches_measured"] = naive_formula(specs) == Counter(naive_recorder.calls)
            result["naive"] = report
            result.update(compare(plan, found))
        result["ratios"] = ratios(ours, result["naive"], result["lower_bound"])
        result["targets"] = targets(result)
        result["model_100k"] = model_at(result, specs, MODEL_TARGET_VERSIONS)
    return result


def last_stage_report(plan: Plan, calls: Counter[str], cap: int) -> dict[str, Any]:
    """What the scan's last stage (state, then policy, in rank order) did: one GetFunction per version
    checked; `qualified` checked and found to qualify (deleted, or kept over the cap)."""
    checked = calls["lambda:GetFunction"]
    over_cap = plan.summary.keep_reasons.get(Reason.OVER_DELETION_CAP, 0)
    return {
        "cap": cap,
        "would_be_candidates": checked + plan.summary.not_checked_count,
        "checked": checked,
        "qualified": plan.summary.delete_count + over_cap,
        "over_deletion_cap": over_cap,
        "not_checked": plan.summary.not_checked_count,
        "plan_full": plan.summary.delete_count >= cap,
    }


def targets(result: dict[str, Any]) -> dict[str, bool | None]:
    r = result["ratios"]
    control = r["control_plane_ours_over_naive"]
    return {
        "control_plane_at_most_a_tenth_of_naive": None if control is None else control <= 0.1,
        "projected_within_1_25x_lower_bound": r["projected_ours_over_lower_bound"] <= 1.25,
        "sequential_within_1_25x_lower_bound": r["sequential_ours_over_lower_bound"] <= 1.25,
        "staged_within_1_25x_lower_bound": r["staged_ours_over_lower_bound"] <= 1.25,
        "quota_dominates_wall": result["ours"]["wall_seconds"] < result["ours"]["projected_seconds"],
    }


# --- organisation model ------------------------------------------------------------------------------

# Account shapes of the organisation model: (functions, published versions per function).
ORG_SHAPES: dict[str, tuple[int, int]] = {
    "large": (400, 25),  # the 10,000-version account measured above
    "steady": (4000, 4),  # most functions deploy weekly: 4 versions each, 16,000 in all
    "small": (50, 4),
}
# ASSUMED per-job overhead of a GitHub-hosted runner: queueing and start (~10-20 s), checkout,
# setup-python and `pip install` of the locked requirements (~30-60 s), OIDC role assumption (~1 s).
DEFAULT_JOB_OVERHEAD_SECONDS = 60.0


def makespan(durations: list[float], max_parallel: int) -> float:
    """When the last job ends if jobs start in matrix order as soon as one of `max_parallel` slots frees
    (how GitHub Actions schedules a matrix with `max-parallel`)."""
    import heapq

    slots = [0.0] * max(1, min(max_parallel, len(durations) or 1))
    for duration in durations:
        heapq.heappush(slots, heapq.heappop(slots) + duration)
    return max(slots)


def organisation_model(
    region_seconds: dict[str, float],
    mix: dict[str, int],
    regions: int,
    max_parallel: int,
    job_overhead: float = DEFAULT_JOB_OVERHEAD_SECONDS,
    max_concurrent_regions: int = Performance().max_concurrent_regions,
) -> dict[str, float]:
    """Projected wall seconds of a whole organisation scan (targets job, matrix, open-pr job).

    `region_seconds[shape]` is one account-region's scan at its own quotas (each account and region has
    its own Lambda and CloudWatch buckets, so account-regions never slow each other down). A scan job
    reads up to `max_concurrent_regions` regions at once (the product's default)."""
    accounts = [region_seconds[shape] for shape, count in mix.items() for _ in range(count)]
    around = 2 * job_overhead  # the targets job before the matrix, the open-pr job after it
    per_account_sequential = [job_overhead + regions * seconds for seconds in accounts]
    per_region = [job_overhead + seconds for seconds in accounts for _ in range(regions)]
    waves = -(-regions // max(1, max_concurrent_regions))  # regions at once, in as many waves as needed
    per_account_concurrent = [job_overhead + waves * seconds for seconds in accounts]
    return {
        "one_sequential_job": round(job_overhead + regions * sum(accounts), 1),
        "matrix_per_account_regions_in_sequence_before": round(
            around + makespan(per_account_sequential, max_parallel), 1
        ),
        "matrix_per_account_region_split_regions": round(around + makespan(per_region, max_parallel), 1),
        "matrix_per_account_regions_at_once": round(
            around + makespan(per_account_concurrent, max_parallel), 1
        ),
        # No schedule with one account-region per slot beats this: the longest job, or all the work
        # spread perfectly over max_parallel slots.
        "floor_one_account_region_per_slot": round(
            around + max(max(per_region, default=0.0), sum(per_region) / max(1, max_parallel)), 1
        ),
    }


def run_organisation(
    mix: dict[str, int],
    regions: int,
    max_parallel: list[int],
    job_overhead: float,
    progress: Progress,
) -> dict[str, Any]:
    shapes: dict[str, dict[str, Any]] = {}
    for shape in mix:
        functions, versions = ORG_SHAPES[shape]
        progress(f"measuring the {shape} shape ({functions} x {versions})")
        result = run_benchmark(functions, versions, naive=False, progress=lambda _: None)
        shapes[shape] = {
            "functions": functions,
            "versions": result["versions"],
            "candidates": result["ours"]["candidates"],
            "last_stage": result["ours"]["last_stage"],
            "region_seconds_at_quota": result["ours"]["projected_seconds_staged"],
            "region_seconds_at_default_pacing": result["ours"]["projected_seconds_at_configured_pacing"],
            "lower_bound_region_seconds": result["lower_bound"]["projected_seconds"],
        }
    models: dict[str, Any] = {}
    for parallel in max_parallel:
        for pacing in ("at_quota", "at_default_pacing"):
            seconds = {shape: shapes[shape][f"region_seconds_{pacing}"] for shape in mix}
            models[f"max_parallel_{parallel}_{pacing}"] = organisation_model(
                seconds, mix, regions, parallel, job_overhead
            )
    return {
        "mix": mix,
        "regions_per_account": regions,
        "job_overhead_seconds_assumed": job_overhead,
        "shapes": shapes,
        "models": models,
    }


def organisation_table(report: dict[str, Any]) -> str:
    accounts = sum(report["mix"].values())
    lines = [
        f"organisation: {accounts} accounts ({', '.join(f'{n} {s}' for s, n in report['mix'].items())}) x"
        f" {report['regions_per_account']} regions; job overhead {report['job_overhead_seconds_assumed']:g} s"
        " (assumed)",
    ]
    for shape, figures in report["shapes"].items():
        last = figures["last_stage"]
        lines.append(
            f"  {shape}: {figures['versions']} versions, {figures['candidates']} candidates in the plan"
            f" ({last['checked']} of {last['would_be_candidates']} would-be candidates checked);"
            f" one account-region {figures['region_seconds_at_quota']} s at quota,"
            f" {figures['region_seconds_at_default_pacing']} s at default pacing"
            f" (lower bound {figures['lower_bound_region_seconds']} s)"
        )
    lines.append("")
    names = next(iter(report["models"].values())).keys()
    lines.append(
        f"{'minutes':<56}" + "".join(f"{key.replace('max_parallel_', 'p'):>22}" for key in report["models"])
    )
    for name in names:
        lines.append(
            f"{name:<56}" + "".join(f"{model[name] / 60:>24.1f}" for model in report["models"].values())
        )
    return "\n".join(lines)


# --- output ------------------------------------------------------------------------------------------


def table(result: dict[str, Any]) -> str:
    lines = [
        f"account: {result['functions']} functions x {result['versions_per_function']} versions ="
        f" {result['versions']} published versions ({result['snapstart_versions']} with SnapStart)",
        "",
        f"{'calls per quota bucket':<34}{'ours':>9}{'naive':>9}{'lower bd':>10}{'rate/s':>8}",
    ]
    naive = result["naive"]
    buckets = sorted(
        set(result["ours"]["calls"]["by_bucket"])
        | set(result["lower_bound"]["calls"]["by_bucket"])
        | (set(naive["calls"]["by_bucket"]) if naive else set())
    )
    for bucket in buckets:
        lines.append(
            f"{bucket:<34}{result['ours']['calls']['by_bucket'].get(bucket, 0):>9}"
            f"{naive['calls']['by_bucket'].get(bucket, 0) if naive else '-':>9}"
            f"{result['lower_bound']['calls']['by_bucket'].get(bucket, 0):>10}{QUOTA_RPS[bucket]:>8g}"
        )
    lines.append(
        f"{'total':<34}{result['ours']['calls']['total']:>9}{naive['calls']['total'] if naive else '-':>9}"
        f"{result['lower_bound']['calls']['total']:>10}"
    )
    lines.append(
        f"{'projected s (buckets in parallel)':<34}{result['ours']['projected_seconds']:>9}"
        f"{naive['projected_seconds'] if naive else '-':>9}{result['lower_bound']['projected_seconds']:>10}"
    )
    lines.append(
        f"{'projected s (buckets in sequence)':<34}{result['ours']['projected_seconds_sequential']:>9}"
        f"{naive['projected_seconds_sequential'] if naive else '-':>9}"
        f"{result['lower_bound']['projected_seconds_sequential']:>10}"
    )
    lines.append(
        f"{'projected s (our stages)':<34}{result['ours']['projected_seconds_staged']:>9}"
        f"{naive['projected_seconds_staged'] if naive else '-':>9}"
        f"{result['lower_bound']['projected_seconds_staged']:>10}"
    )
    ours = result["ours"]
    lines += [
        "",
        f"ours ({ours['where']}): {ours['candidates']} candidates, wall {ours['wall_seconds']} s"
        f" (cpu {ours['cpu_seconds']} s) on moto, peak RSS {ours['peak_rss_mb']} MB"
        f" (scan growth {ours['scan_rss_growth_mb']} MB),"
        f" {ours['projected_seconds_at_configured_pacing']} s at our default pacing",
    ]
    last = ours["last_stage"]
    lines.append(
        f"last stage (state, policy; largest savings first, max_deletions_per_apply {last['cap']}):"
        f" {last['checked']} of {last['would_be_candidates']} would-be candidates checked,"
        f" {last['qualified']} qualify ({last['over_deletion_cap']} over the cap),"
        f" {last['not_checked']} not checked"
    )
    if naive:
        lines.append(f"naive: {naive['candidates']} candidates, wall {naive['wall_seconds']} s on moto")
        lines.append(f"same candidates where the rules agree: {result['same_candidates']}")
        lines.append(f"  differences: {json.dumps(result['candidate_differences'], indent=None)}")
    lines.append(f"ratios: {result['ratios']}")
    lines.append(f"targets: {result['targets']}")
    model = result["model_100k"]
    lines += [
        "",
        f"model at {model['versions']} versions ({model['functions']} functions):"
        f" ours {model['ours']['calls']['by_bucket']}, naive {model['naive']['calls']['by_bucket']},"
        f" lower bound {model['lower_bound']['calls']['by_bucket']}",
        f"  projected s: ours {model['ours']['projected_seconds']} (sequential"
        f" {model['ours']['projected_seconds_sequential']}, at our pacing"
        f" {model['ours']['projected_seconds_at_configured_pacing']}),"
        f" naive {model['naive']['projected_seconds']},"
        f" lower bound {model['lower_bound']['projected_seconds']}; ratios {model['ratios']}",
        f"  our scan's peak RSS: ~{model['ours_peak_rss_mb']} MB"
        f" (modelled from a run {model['ours_peak_rss_measured_where']})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--functions", type=int, default=400)
    parser.add_argument("--versions", type=int, default=25, help="published versions per function")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive scanner (big accounts)")
    parser.add_argument(
        "--isolated",
        action="store_true",
        help="run our scan in a child process against a moto server, so its peak RSS excludes moto",
    )
    parser.add_argument(
        "--max-deletions",
        type=int,
        default=ApplyLimits().max_deletions_per_apply,
        help="max_deletions_per_apply: the plan's cap (100000: every candidate, as scans did before the cap)",
    )
    parser.add_argument("--child-scan", nargs="+", metavar=("OUT_DIR", "REGION"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--org",
        metavar="SHAPE=ACCOUNTS,...",
        help=f"organisation model instead: accounts per shape ({', '.join(ORG_SHAPES)}), e.g. large=50",
    )
    parser.add_argument("--org-regions", type=int, default=2, help="regions per account")
    parser.add_argument("--max-parallel", type=int, nargs="+", default=[20], help="matrix max-parallel")
    parser.add_argument("--job-overhead", type=float, default=DEFAULT_JOB_OVERHEAD_SECONDS)
    args = parser.parse_args(argv)
    if args.child_scan:
        return child_scan(
            args.child_scan[0], args.child_scan[1:], ApplyLimits(max_deletions_per_apply=args.max_deletions)
        )
    # Never reach real AWS: fake credentials, no inherited endpoint or profile.
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.org:
        mix = {shape: int(count) for shape, count in (part.split("=") for part in args.org.split(","))}
        unknown = set(mix) - set(ORG_SHAPES)
        if unknown:
            parser.error(f"--org: unknown shape(s) {sorted(unknown)}; known: {sorted(ORG_SHAPES)}")
        org = run_organisation(mix, args.org_regions, args.max_parallel, args.job_overhead, progress)
        print(json.dumps(org, indent=2) if args.json else organisation_table(org))
        return 0
    result = run_benchmark(
        args.functions,
        args.versions,
        naive=not args.no_naive,
        isolated=args.isolated,
        max_deletions=args.max_deletions,
        progress=progress,
    )
    print(json.dumps(result, indent=2, default=str) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
