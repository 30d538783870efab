"""boto3 clients with the retry, pacing and recording every adapter shares."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from cleaner import __version__
from cleaner.aws.errors import AWS_ERRORS, describe
from cleaner.aws.ratelimit import (
    CONTROL_PLANE,
    GET_FUNCTION,
    GET_METRIC_DATA,
    GET_POLICY,
    CallRecorder,
    RateLimiter,
    attach,
)
from cleaner.exit_codes import AccessError
from cleaner.settings import Performance

# Services whose answers only inform the page (cleaner.scan.savings): never worth a long back-off.
INFORMATIONAL = ("pricing", "ce")


class AwsContext:
    """Where the AWS adapters get their clients: the default credential chain, and `AWS_ENDPOINT_URL`
    (boto3 honours it), so the tool runs unchanged against a local moto server."""

    def __init__(
        self,
        session: boto3.Session | None = None,
        performance: Performance | None = None,
        recorder: CallRecorder | None = None,
    ) -> None:
        self.session = session or boto3.Session()
        self.performance = performance or Performance()
        self.recorder = recorder
        self.limiter = RateLimiter(
            {
                CONTROL_PLANE: self.performance.control_plane_rps,
                GET_FUNCTION: self.performance.get_function_rps,
                GET_POLICY: self.performance.get_policy_rps,
                GET_METRIC_DATA: self.performance.get_metric_data_tps,
            }
        )
        self._config = Config(
            # `standard` retries throttling (TooManyRequestsException, ThrottlingException) and transient
            # errors with exponential backoff; enough attempts to ride out a deploy pipeline's burst.
            # `total_max_attempts` counts the first request too (botocore's `max_attempts` key counts
            # retries only, one more than the setting says).
            retries={"mode": "standard", "total_max_attempts": self.performance.max_attempts},
            connect_timeout=self.performance.connect_timeout_seconds,
            read_timeout=self.performance.read_timeout_seconds,
            max_pool_connections=self.performance.max_workers + 4,
            user_agent_extra=f"snapstart-cleaner/{__version__}",
        )
        # STS answers who the credentials are before anything else: an endpoint that does not answer
        # (a sandbox not started, a wrong AWS_ENDPOINT_URL) is said in seconds, not after ten attempts.
        self._identity_config = self._config.merge(
            Config(retries={"mode": "standard", "total_max_attempts": min(3, self.performance.max_attempts)})
        )
        # What a plan is worth (the Price List, Cost Explorer) is informational and fails soft: an
        # endpoint that errors is a note on the page after two tries, not ten attempts of back-off.
        informational = self._config.merge(
            Config(retries={"mode": "standard", "total_max_attempts": min(2, self.performance.max_attempts)})
        )
        self._configs = {"sts": self._identity_config, **dict.fromkeys(INFORMATIONAL, informational)}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            client = self._clients.get((service, region))
            if client is None:
                config = self._configs.get(service, self._config)
                client = self.session.client(service, region_name=region, config=config)  # type: ignore[call-overload]
                attach(client, region, self.limiter, self.recorder)
                limit_retries(client, self.performance.retry_budget_seconds)
                self._clients[(service, region)] = client
            return client

    @property
    def default_region(self) -> str | None:
        return self.session.region_name

    def account_id(self, region: str) -> str:
        try:
            return str(self.client("sts", region).get_caller_identity()["Account"])
        except AWS_ERRORS as error:
            raise AccessError(describe(error, "sts:GetCallerIdentity")) from error


_CALL_STARTED = "snapstart_cleaner_call_started"


def limit_retries(client: Any, budget_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
    """No retry of a call starts once the call has run for `budget_seconds`: the error of its last
    attempt is raised instead. botocore bounds retries by count only, and ten attempts at a hung
    endpoint are ten read timeouts plus back-off."""
    service_id = client.meta.service_model.service_id.hyphenize()

    def on_before_call(context: dict[str, Any], **_: Any) -> None:
        context[_CALL_STARTED] = clock()

    def on_needs_retry(request_dict: dict[str, Any], **_: Any) -> bool | None:
        started = request_dict.get("context", {}).get(_CALL_STARTED)
        if started is not None and clock() - started >= budget_seconds:
            return False  # botocore takes the first answer that is not None: False means "do not retry"
        return None  # no opinion: the retry handler decides

    client.meta.events.register(f"before-call.{service_id}", on_before_call)
    client.meta.events.register_first(f"needs-retry.{service_id}", on_needs_retry)
