"""The shared HTTP plumbing: limits, retries and OAuth refresh, on a scripted transport."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from ledgerbridge.connectors.http.client import ApiClient
from ledgerbridge.connectors.http.limiter import Limits, RateLimiter
from ledgerbridge.connectors.http.oauth import OAuth2Auth, OAuthClient
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.domain.errors import AuthError, DailyLimitError, RetriableError


class VirtualTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def scripted(
    answers: list[Callable[[httpx.Request], httpx.Response]],
) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)(request)

    return httpx.Client(transport=httpx.MockTransport(handler), base_url="https://api.test"), seen


def status(code: int, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, headers=headers, json={})


def drop(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("server closed the connection", request=request)


def api(
    answers: list[Callable[[httpx.Request], httpx.Response]], limits: Limits | None = None
) -> tuple[ApiClient, list[httpx.Request], VirtualTime]:
    vt = VirtualTime()
    client, seen = scripted(answers)
    limiter = RateLimiter(limits or Limits(), clock=vt.clock, sleep=vt.sleep)
    return ApiClient(client, system="test", limiter=limiter, sleep=vt.sleep), seen, vt


def test_minute_window_waits_instead_of_tripping_a_429() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(Limits(per_minute=3), clock=vt.clock, sleep=vt.sleep)
    for _ in range(7):
        limiter.acquire()
        limiter.release()
    # calls 4 and 7 each waited for the window to roll over
    assert len(vt.slept) == 2 and all(55 < s <= 60.1 for s in vt.slept)


def test_concurrency_cap_holds_callers_back() -> None:
    limiter = RateLimiter(Limits(concurrency=2))
    limiter.acquire()
    limiter.acquire()
    got = threading.Event()

    def third() -> None:
        limiter.acquire()
        got.set()

    t = threading.Thread(target=third)
    t.start()
    assert not got.wait(0.2)
    limiter.release()
    assert got.wait(2)
    t.join()


def test_spent_day_budget_raises_with_the_reset_time() -> None:
    limiter = RateLimiter(Limits(per_day=2))
    limiter.acquire()
    limiter.observe({"x-daylimit-remaining": "0"})
    with pytest.raises(DailyLimitError) as info:
        limiter.acquire()
    assert info.value.reset_at is not None and info.value.reset_at > datetime.now(UTC)


def test_a_spent_minute_reported_by_the_server_is_waited_out() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(Limits(per_minute=60), clock=vt.clock, sleep=vt.sleep)
    limiter.acquire()
    limiter.observe({"x-minlimit-remaining": "0"})
    limiter.acquire()
    assert vt.slept and 59 < vt.slept[0] <= 60


def test_429_honours_retry_after_then_succeeds() -> None:
    client, seen, vt = api([status(429, **{"Retry-After": "7"}), status(200)])
    assert client.send("POST", "/Contacts", json={}).status_code == 200
    assert len(seen) == 2 and vt.slept == [7.0]


def test_429_for_the_day_raises_at_once() -> None:
    client, seen, _ = api([status(429, **{"Retry-After": "3600", "X-Rate-Limit-Problem": "day"})])
    with pytest.raises(DailyLimitError):
        client.send("GET", "/Contacts")
    assert len(seen) == 1


def test_reads_are_retried_on_5xx_and_dropped_connections() -> None:
    client, seen, _ = api([status(503), drop, status(200)])
    assert client.send("GET", "/Contacts").status_code == 200
    assert len(seen) == 3


def test_a_write_without_idempotency_is_never_retried_blindly() -> None:
    client, seen, _ = api([drop, status(200)])
    with pytest.raises(RetriableError, match="may or may not have been applied"):
        client.send("POST", "/Contacts", json={})
    assert len(seen) == 1
    client, seen, _ = api([status(502), status(200)])
    with pytest.raises(RetriableError):
        client.send("PUT", "/Contacts", json={})
    assert len(seen) == 1


def test_a_write_with_an_idempotency_key_is_retried() -> None:
    client, seen, _ = api([drop, status(500), status(200)])
    response = client.send(
        "PUT", "/Contacts", json={}, headers={"Idempotency-Key": "k"}, retry_writes=True
    )
    assert response.status_code == 200 and len(seen) == 3


def test_gives_up_after_max_attempts() -> None:
    client, seen, _ = api([status(503)] * 6)
    with pytest.raises(RetriableError, match="gave up after 6 attempts"):
        client.send("GET", "/Contacts")
    assert len(seen) == 6


def test_401_is_an_auth_error() -> None:
    client, _, _ = api([status(401)])
    with pytest.raises(AuthError, match="reconnect"):
        client.send("GET", "/Contacts")


# -- OAuth -------------------------------------------------------------------------------------

APP = OAuthClient(
    client_id="cid",
    client_secret="sec",
    token_url="https://id.test/token",
    authorize_url="https://id.test/authorize",
)


class TokenServer:
    """Issues rotating tokens; counts refreshes."""

    def __init__(self) -> None:
        self.n = 0
        self.fail_next = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.fail_next:
            self.fail_next -= 1
            return httpx.Response(503)
        self.n += 1
        return httpx.Response(
            200,
            json={
                "access_token": f"a{self.n}",
                "refresh_token": f"r{self.n}",
                "expires_in": 1800,
                "token_type": "Bearer",
            },
        )


def _auth(store: MemoryTokenStore, server: TokenServer, now: datetime) -> OAuth2Auth:
    tokens = httpx.Client(transport=httpx.MockTransport(server.handler))
    return OAuth2Auth(APP, store, tokens, clock=lambda: now)


def test_refreshes_an_expired_token_and_persists_the_rotation_before_use() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store = MemoryTokenStore(TokenSet("old", "r0", now - timedelta(seconds=1)))
    server = TokenServer()
    used: list[str] = []

    def api_handler(request: httpx.Request) -> httpx.Response:
        # the stored refresh token is already the rotated one when the new access token is used
        used.append(request.headers["Authorization"])
        assert store.load()[0].refresh_token == "r1"
        return httpx.Response(200, json={})

    client = httpx.Client(
        transport=httpx.MockTransport(api_handler), auth=_auth(store, server, now)
    )
    client.get("https://api.test/x")
    assert used == ["Bearer a1"] and server.n == 1


def test_a_401_refreshes_once_and_repeats_the_request() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store = MemoryTokenStore(TokenSet("stale", "r0", now + timedelta(hours=1)))
    server = TokenServer()
    answers = [401, 200]

    def api_handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(answers.pop(0), json={})

    client = httpx.Client(
        transport=httpx.MockTransport(api_handler), auth=_auth(store, server, now)
    )
    assert client.get("https://api.test/x").status_code == 200
    assert server.n == 1 and store.load()[0].access_token == "a1"


def test_when_another_worker_saved_first_its_tokens_are_used() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store = MemoryTokenStore(TokenSet("old", "r0", now - timedelta(seconds=1)))

    class Racing(TokenServer):
        def handler(self, request: httpx.Request) -> httpx.Response:
            # another worker refreshes and saves while our refresh is in flight
            _, version = store.load()
            store.save(TokenSet("theirs", "rT", now + timedelta(hours=1)), version)
            return super().handler(request)

    seen: list[str] = []
    client = httpx.Client(
        transport=httpx.MockTransport(
            lambda r: (seen.append(r.headers["Authorization"]), httpx.Response(200))[1]
        ),
        auth=_auth(store, Racing(), now),
    )
    client.get("https://api.test/x")
    assert seen == ["Bearer theirs"] and store.load()[0].refresh_token == "rT"


def test_a_briefly_unavailable_token_endpoint_is_retried_by_the_client() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store = MemoryTokenStore(TokenSet("old", "r0", now - timedelta(seconds=1)))
    server = TokenServer()
    server.fail_next = 1
    http = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200)), auth=_auth(store, server, now)
    )
    vt = VirtualTime()
    client = ApiClient(http, system="t", limiter=RateLimiter(Limits()), sleep=vt.sleep)
    assert client.send("POST", "https://api.test/x", json={}).status_code == 200
    assert server.n == 1


def test_no_refresh_token_means_reconnect() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    store = MemoryTokenStore(TokenSet(None, None, None))
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        auth=_auth(store, TokenServer(), now),
    )
    with pytest.raises(AuthError, match="reconnect"):
        client.get("https://api.test/x")


def test_authorization_url_carries_the_app_and_state() -> None:
    url = APP.authorization_url("xyz")
    assert url.startswith("https://id.test/authorize?") and "state=xyz" in url
    assert "client_id=cid" in url and "response_type=code" in url
