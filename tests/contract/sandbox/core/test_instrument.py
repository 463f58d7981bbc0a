"""Instrumentation middleware, admin API and transports, on a small app built for the test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.responses import JSONResponse, Response

from ledgerbridge.sandbox.core.app import admin_router, instrument
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultInjector
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.limits import LimitDecision, RateLimiter
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import client_for, serve_in_thread


@dataclass
class Rig:
    app: FastAPI
    clock: VirtualClock
    ledger: CallLedger
    faults: FaultInjector
    limiter: RateLimiter
    oauth: OAuthServer
    gate: threading.Event


def _limit_answer(decision: LimitDecision) -> Response:
    return JSONResponse(
        {"problem": decision.problem},
        status_code=429,
        headers={"Retry-After": str(decision.retry_after)},
    )


def _headers(decision: LimitDecision) -> dict[str, str]:
    return {"X-MinLimit-Remaining": str(decision.remaining_minute)}


@pytest.fixture
def rig() -> Rig:
    clock = VirtualClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock.freeze()
    ledger = CallLedger()
    faults = FaultInjector()
    limiter = RateLimiter(clock, per_minute=5, per_day=None, concurrency=1)
    oauth = OAuthServer(clock, clients={"c": "s"}, access_ttl=60, rotate_refresh=True)
    gate = threading.Event()
    gate.set()
    app = FastAPI()

    @app.get("/things/{thing_id}")
    def get_thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @app.get("/slow")
    def slow() -> dict[str, str]:
        gate.wait(5)
        return {"done": "yes"}

    @app.get("/open")
    def open_path() -> dict[str, str]:
        return {"limited": "no"}

    nested = APIRouter(prefix="/inner")

    @nested.post("/records/{record_id}")
    def post_record(record_id: str) -> dict[str, str]:
        return {"id": record_id}

    app.include_router(nested, prefix="/outer")

    instrument(
        app,
        system="demo",
        ledger=ledger,
        faults=faults,
        limiter=limiter,
        limit_key=lambda request: None if request.url.path == "/open" else "tenant",
        limit_response=_limit_answer,
        headers=_headers,
    )
    app.include_router(
        admin_router(
            system="demo", clock=clock, ledger=ledger, faults=faults, limiter=limiter, oauth=oauth
        )
    )
    return Rig(app, clock, ledger, faults, limiter, oauth, gate)


@pytest.fixture
def client(rig: Rig) -> Iterator[httpx.Client]:
    with client_for(rig.app, "http://sandbox.test") as made:
        yield made


def test_ledger_counts_route_templates_and_admin_is_not_counted(
    rig: Rig, client: httpx.Client
) -> None:
    assert client.get("/things/1").json() == {"id": "1"}
    client.get("/things/2")
    client.get("/nowhere")
    client.get("/_sandbox/ledger")
    assert client.post("/outer/inner/records/7").json() == {"id": "7"}
    # a route that exists for another method is still counted under its template
    assert client.get("/outer/inner/records/7").status_code == 405
    assert rig.ledger.counts() == {
        "GET /things/{thing_id}": 2,
        "GET (unmatched)": 1,
        "POST /outer/inner/records/{record_id}": 1,
        "GET /outer/inner/records/{record_id}": 1,
    }
    answer = client.get("/_sandbox/ledger").json()
    assert answer["total"] == 5
    client.post("/_sandbox/ledger/reset")
    assert rig.ledger.total() == 0


def test_minute_limit_answers_429_with_retry_after_and_headers(
    rig: Rig, client: httpx.Client
) -> None:
    remaining = [client.get("/things/x").headers["X-MinLimit-Remaining"] for _ in range(5)]
    assert remaining == ["4", "3", "2", "1", "0"]
    refused = client.get("/things/x")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    assert client.get("/open").status_code == 200
    assert client.get("/_sandbox/clock").status_code == 200
    client.post("/_sandbox/clock/advance", json={"seconds": 60})
    assert client.get("/things/x").status_code == 200
    assert rig.ledger.counts()["GET /things/{thing_id}"] == 7
    client.put("/_sandbox/limits", json={"enabled": False})
    assert all(client.get("/things/x").status_code == 200 for _ in range(10))


def test_concurrency_limit_and_release(rig: Rig, client: httpx.Client) -> None:
    rig.gate.clear()
    first: list[int] = []
    worker = threading.Thread(target=lambda: first.append(client.get("/slow").status_code))
    worker.start()
    deadline = time.monotonic() + 5
    while rig.limiter.active("tenant") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    second = client.get("/things/y")
    rig.gate.set()
    worker.join(5)
    assert second.status_code == 429
    assert second.json() == {"problem": "concurrent"}
    assert first == [200]
    assert client.get("/things/y").status_code == 200


def test_faults_through_admin_api(rig: Rig, client: httpx.Client) -> None:
    assert client.put("/_sandbox/faults", json={"error_5xx_rate": 1.0}).json()[
        "error_5xx_rate"
    ] == pytest.approx(1.0)
    assert client.get("/things/1").status_code == 503
    client.put("/_sandbox/faults", json={"error_5xx_rate": 0, "rate_429": 1.0})
    refused = client.get("/things/1")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    client.put("/_sandbox/faults", json={"rate_429": 0, "drop_rate": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/things/1")
    # admin calls are never faulted
    assert client.get("/_sandbox/faults").json()["drop_rate"] == pytest.approx(1.0)
    client.put("/_sandbox/faults", json={"drop_rate": 0, "latency_ms": 120, "slow_rate": 1.0})
    started = time.perf_counter()
    assert client.get("/things/1").status_code == 200
    assert time.perf_counter() - started >= 0.1
    statuses = [entry.status for entry in rig.ledger.entries()]
    assert statuses == [503, 429, 0, 200]


def test_dropped_connection_over_a_real_socket(rig: Rig) -> None:
    rig.faults.update(drop_rate=1.0)
    served = serve_in_thread(rig.app)
    try:
        with httpx.Client(base_url=served.url, timeout=5) as client:
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                client.get("/things/1")
            rig.faults.update(drop_rate=0.0)
            assert client.get("/things/1").json() == {"id": "1"}
    finally:
        served.stop()


def test_clock_and_token_admin(rig: Rig, client: httpx.Client) -> None:
    pair = rig.oauth.issue_for_tests()
    answer = client.put("/_sandbox/clock", json={"now": "2031-01-01T00:00:00+00:00"}).json()
    assert answer["now"].startswith("2031-01-01T00:00:00")
    assert answer["frozen"] is True
    assert rig.oauth.check(pair.access_token).status == "expired"
    fresh = rig.oauth.issue_for_tests()
    assert client.post("/_sandbox/tokens/expire").json() == {"expired": 2}
    assert rig.oauth.check(fresh.access_token).status == "expired"
    assert client.put("/_sandbox/faults", json={"bogus": 1}).status_code == 422
