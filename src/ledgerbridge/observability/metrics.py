"""Prometheus metrics: runs, records, API calls, API budgets and webhook lag.

Counters and histograms live in the process-wide registry and are fed where things happen
(the engine, the HTTP client, the webhook intake). Budgets are read when ``/metrics`` is
scraped, from the connectors the application has open, so they are never stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

RUNS = Counter(
    "ledgerbridge_runs",
    "Runs finished, by integration, kind (manual, scheduled, webhook, single) and outcome "
    "(succeeded, partial, failed, waiting).",
    ["integration", "kind", "outcome"],
)
RECORDS = Counter(
    "ledgerbridge_records",
    "Records handled by runs, by integration, flow and outcome (created, updated, linked, "
    "skipped, conflict, failed...).",
    ["integration", "flow", "outcome"],
)
API_CALLS = Counter(
    "ledgerbridge_api_calls",
    "HTTP requests sent to a system's API, by system and answer status (the HTTP status, or "
    "'transport' when no answer came).",
    ["system", "status"],
)
API_SECONDS = Histogram(
    "ledgerbridge_api_call_seconds",
    "Time from sending a request to a system's API to its answer.",
    ["system"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
API_LIMITED = Counter(
    "ledgerbridge_api_limited",
    "Answers saying a limit was hit, by system and which (minute: a 429 that is retried; "
    "day: the daily budget is spent and runs wait for the reset).",
    ["system", "limit"],
)
WEBHOOKS = Counter(
    "ledgerbridge_webhooks",
    "Webhooks received, by system and what became of them (queued, replayed, waiting, "
    "refused, ignored).",
    ["system", "outcome"],
)
WEBHOOK_LAG = Histogram(
    "ledgerbridge_webhook_lag_seconds",
    "Delay between a change in a system (the event's own time) and its webhook reaching "
    "ledgerbridge.",
    ["system"],
    buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0),
)


def run_finished(
    integration: str,
    kind: str,
    outcome: str,
    counts: Mapping[str, Mapping[str, Mapping[str, int]]],
) -> None:
    """Count a finished run and its records; ``counts`` is per flow, side and outcome."""
    RUNS.labels(integration, kind, outcome).inc()
    for flow, sides in counts.items():
        for outcomes in sides.values():
            for record_outcome, n in outcomes.items():
                if n:
                    RECORDS.labels(integration, flow, record_outcome).inc(n)


def api_call(system: str, status: int | str, seconds: float | None = None) -> None:
    API_CALLS.labels(system, str(status)).inc()
    if seconds is not None:
        API_SECONDS.labels(system).observe(seconds)


def api_limited(system: str, limit: str) -> None:
    API_LIMITED.labels(system, limit).inc()


def webhook(system: str, outcome: str, lags: Iterable[float] = ()) -> None:
    WEBHOOKS.labels(system, outcome).inc()
    for lag in lags:
        # A sender's clock a little ahead of ours would give a negative lag.
        WEBHOOK_LAG.labels(system).observe(max(lag, 0.0))


class ConnectionBudgets(Collector):
    """What is left of each open connection's API budgets, read at scrape time.

    ``connectors`` gives the open connectors by connection name. A connector's daily budget
    comes from its ``budget()``; the minute budget and the time spent waiting for room come
    from its rate limiter's ``state()`` when it has one.
    """

    def __init__(self, connectors: Callable[[], Mapping[str, Any]]) -> None:
        self._connectors = connectors

    def collect(self) -> Iterable[Metric]:
        labels = ["connection", "system"]
        day = GaugeMetricFamily(
            "ledgerbridge_api_budget_remaining",
            "API calls a connection may still make today (systems with a daily limit).",
            labels=labels,
        )
        minute = GaugeMetricFamily(
            "ledgerbridge_api_minute_budget_remaining",
            "API calls left in the current minute, as the system last reported it.",
            labels=labels,
        )
        waited = CounterMetricFamily(
            "ledgerbridge_api_throttle_wait_seconds",
            "Time spent waiting for room in a connection's rate limits instead of being refused.",
            labels=labels,
        )
        for name, connector in sorted(self._connectors().items()):
            system = str(getattr(connector, "system", "unknown"))
            budget = getattr(connector, "budget", None)
            left = budget() if callable(budget) else None
            if left is not None:
                day.add_metric([name, system], float(left.remaining))
            limiter = getattr(connector, "limiter", None)
            state = getattr(limiter, "state", None)
            if callable(state):
                now = state()
                if now.remaining_minute is not None:
                    minute.add_metric([name, system], float(now.remaining_minute))
                waited.add_metric([name, system], now.waited_seconds)
        yield day
        yield minute
        yield waited


def exposition(*registries: CollectorRegistry) -> tuple[bytes, str]:
    """The text of ``/metrics``: the process-wide registry, then ``registries``."""
    body = generate_latest(REGISTRY) + b"".join(generate_latest(r) for r in registries)
    return body, CONTENT_TYPE_LATEST


def registry_for(connectors: Callable[[], Mapping[str, Any]]) -> CollectorRegistry:
    """A registry holding the budgets of one application's connectors."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ConnectionBudgets(connectors))
    return registry
