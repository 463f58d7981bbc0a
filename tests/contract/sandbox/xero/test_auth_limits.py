"""OAuth (code, refresh rotation, expiry), tenants, and the rate limits on virtual time."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.sandbox.core.limits import RateLimiter
from ledgerbridge.sandbox.xero import CLIENT_ID, CLIENT_SECRET
from tests.contract.sandbox.xero.conftest import API, Xero, make_xero

REDIRECT = "http://127.0.0.1:8000/oauth/xero/callback"
SCOPE = "openid offline_access accounting.contacts accounting.transactions"


def _authorize(xero: Xero) -> str:
    answer = xero.client.get(
        "/connect/authorize",
        params={
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "scope": SCOPE,
            "state": "s-123",
        },
    )
    assert answer.status_code == 302
    location = urlparse(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["s-123"]
    return query["code"][0]


def _token(xero: Xero, data: dict[str, str], *, basic: bool) -> httpx.Response:
    headers = {}
    if basic:
        raw = f"{CLIENT_ID}:{CLIENT_SECRET}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()
    else:
        data = {**data, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return xero.client.post("/connect/token", data=data, headers=headers)


def test_code_flow_connections_and_refresh_rotation(xero: Xero) -> None:
    code = _authorize(xero)
    answer = _token(
        xero,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        basic=True,
    )
    assert answer.status_code == 200
    tokens = answer.json()
    assert set(tokens) == {
        "id_token", "access_token", "expires_in", "token_type", "refresh_token", "scope"
    }  # fmt: skip
    assert (tokens["expires_in"], tokens["token_type"]) == (1800, "Bearer")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    for path in ("/connections", "/Connections"):
        listed = xero.client.get(path, headers=bearer).json()
        assert listed[0]["tenantId"] == xero.state.tenant_id
        assert listed[0]["tenantType"] == "ORGANISATION"
    rotated = _token(
        xero, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, basic=False
    ).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    # the old refresh token still works during the 30-minute grace period, then not
    xero.clock.advance(29 * 60)
    grace = _token(
        xero, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, basic=True
    )
    assert grace.status_code == 200
    xero.clock.advance(2 * 60)
    late = _token(
        xero, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, basic=True
    )
    assert (late.status_code, late.json()) == (400, {"error": "invalid_grant"})
    reused = _token(
        xero,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        basic=True,
    )
    assert reused.json() == {"error": "invalid_grant"}
    wrong = xero.client.post(
        "/connect/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": rotated["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": "nope",
        },
    )
    assert wrong.json() == {"error": "invalid_client"}


def test_refresh_token_expires_after_sixty_days_unused(xero: Xero) -> None:
    pair = xero.oauth.issue_for_tests(scope="offline_access accounting.contacts")
    assert pair.refresh_token is not None
    xero.clock.advance(60 * 86_400 + 1)
    late = _token(
        xero, {"grant_type": "refresh_token", "refresh_token": pair.refresh_token}, basic=True
    )
    assert late.json() == {"error": "invalid_grant"}


def test_expired_and_missing_tokens_answer_401(xero: Xero) -> None:
    assert xero.get("/Contacts").status_code == 200
    xero.clock.advance(30 * 60)
    expired = xero.get("/Contacts")
    assert expired.status_code == 401
    body = expired.json()
    assert (body["Title"], body["Status"], body["Type"]) == ("Unauthorized", 401, None)
    assert body["Detail"].startswith("TokenExpired")
    missing = xero.raw.get(f"{API}/Contacts", headers={"Authorization": ""})
    assert missing.status_code == 401
    assert missing.json()["Detail"] == "AuthenticationUnsuccessful"
    fresh = xero.oauth.issue_for_tests()
    assert xero.get("/Contacts", headers=xero.headers(fresh.access_token)).status_code == 200
    assert xero.client.post("/_sandbox/tokens/expire").json()["expired"] >= 2
    assert xero.get("/Contacts", headers=xero.headers(fresh.access_token)).status_code == 401


def test_token_lifetime_fault_switch(xero: Xero) -> None:
    xero.client.put("/_sandbox/faults", json={"token_ttl_seconds": 5})
    short = xero.oauth.issue_for_tests()
    assert short.expires_in == 5
    xero.clock.advance(5)
    assert xero.get("/Contacts", headers=xero.headers(short.access_token)).status_code == 401


def test_unknown_or_missing_tenant_is_forbidden(xero: Xero) -> None:
    other = "11111111-2222-3333-4444-555555555555"
    answer = xero.get("/Contacts", headers={"xero-tenant-id": other})
    assert answer.status_code == 403
    assert answer.json()["Detail"] == "AuthenticationUnsuccessful"
    missing = xero.raw.get(f"{API}/Contacts", headers={"xero-tenant-id": ""})
    assert missing.status_code == 403


@pytest.fixture
def limited() -> Xero:
    made = make_xero(limits=True)
    made.clock.set(datetime(2030, 5, 1, 0, 0, tzinfo=UTC))
    return made


def test_minute_limit_with_headers_and_retry_after(limited: Xero) -> None:
    seen = []
    for _ in range(60):
        answer = limited.get("/Organisation")
        assert answer.status_code == 200
        seen.append(int(answer.headers["X-MinLimit-Remaining"]))
        limited.clock.advance(0.5)
    assert seen[0] == 59
    assert seen[-1] == 0
    assert answer.headers["X-DayLimit-Remaining"] == "4940"
    assert answer.headers["X-AppMinLimit-Remaining"] == "9940"
    refused = limited.get("/Organisation")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    # the first call left the window at t=60 s; now is t=30 s
    assert refused.headers["Retry-After"] == "30"
    limited.clock.advance(30)
    assert limited.get("/Organisation").status_code == 200
    # identity calls are not counted against the tenant
    assert limited.client.get("/connections").status_code == 200


def test_a_day_of_limits_in_seconds(limited: Xero) -> None:
    limiter: RateLimiter = limited.app.state.limiter
    tenant = limited.state.tenant_id.lower()
    # 4,999 calls spread over the morning, through the limiter the middleware uses
    for _ in range(4999):
        assert limiter.acquire(tenant).allowed
        limiter.release(tenant)
        limited.clock.advance(1.01)
    # the morning outlived the access token; a fresh one for the calls that follow
    headers = limited.headers(limited.oauth.issue_for_tests().access_token)
    last = limited.get("/Organisation", headers=headers)
    assert last.status_code == 200
    assert last.headers["X-DayLimit-Remaining"] == "0"
    refused = limited.get("/Organisation", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    wait = int(refused.headers["Retry-After"])
    now = limited.clock.now()
    midnight = datetime(2030, 5, 2, tzinfo=UTC)
    assert wait == pytest.approx((midnight - now).total_seconds(), abs=1)
    limited.clock.advance(wait)
    headers = limited.headers(limited.oauth.issue_for_tests().access_token)
    again = limited.get("/Organisation", headers=headers)
    assert again.status_code == 200
    assert again.headers["X-DayLimit-Remaining"] == "4999"


def test_limits_can_be_switched_off(limited: Xero) -> None:
    limited.client.put("/_sandbox/limits", json={"enabled": False})
    assert all(limited.get("/Organisation").status_code == 200 for _ in range(70))
