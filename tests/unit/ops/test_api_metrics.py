"""The HTTP client counts every answer by status, limits hit and calls that got no answer."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY

from ledgerbridge.connectors.http.client import ApiClient
from ledgerbridge.connectors.http.limiter import Limits, RateLimiter
from ledgerbridge.domain.errors import DailyLimitError

SYSTEM = "metered"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"system": SYSTEM, **labels}) or 0.0


def client(answers: list[httpx.Response | Exception]) -> ApiClient:
    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="https://api.test")
    return ApiClient(http, system=SYSTEM, limiter=RateLimiter(Limits()), sleep=lambda _s: None)


def test_answers_limits_and_dropped_connections_are_counted() -> None:
    before = {
        status: value("ledgerbridge_api_calls_total", status=status)
        for status in ("200", "429", "503", "transport")
    }
    minute = value("ledgerbridge_api_limited_total", limit="minute")
    day = value("ledgerbridge_api_limited_total", limit="day")
    timed = value("ledgerbridge_api_call_seconds_count")
    api = client(
        [
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(503),
            httpx.ConnectError("dropped"),
            httpx.Response(200, json={}),
            httpx.Response(429, headers={"x-rate-limit-problem": "day"}),
        ]
    )
    assert api.send("GET", "/things").status_code == 200
    with pytest.raises(DailyLimitError):
        api.send("GET", "/things")
    after = {
        status: value("ledgerbridge_api_calls_total", status=status) - before[status]
        for status in before
    }
    assert after == {"200": 1, "429": 2, "503": 1, "transport": 1}
    assert value("ledgerbridge_api_limited_total", limit="minute") == minute + 1
    assert value("ledgerbridge_api_limited_total", limit="day") == day + 1
    assert value("ledgerbridge_api_call_seconds_count") == timed + 5
