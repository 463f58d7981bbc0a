"""OAuth (code, refresh, limits), token expiry, API credits, concurrency, faults and the ledger."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.sandbox.zoho_crm import CLIENT_ID, CLIENT_SECRET
from tests.contract.sandbox.zoho_crm.conftest import BASE, Crm, account

REDIRECT = "http://127.0.0.1:8700/oauth/zoho/callback"


def authorize(crm: Crm, access_type: str = "offline") -> str:
    answer = crm.client.get(
        "/oauth/v2/auth",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "scope": "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL",
            "response_type": "code",
            "access_type": access_type,
            "prompt": "consent",
            "state": "xyz",
        },
    )
    assert answer.status_code == 302
    location = urlparse(answer.headers["location"])
    query = parse_qs(location.query)
    assert location._replace(query="").geturl() == REDIRECT
    assert query["state"] == ["xyz"]
    assert query["accounts-server"] == [BASE]
    return query["code"][0]


def token(crm: Crm, **params: str) -> httpx.Response:
    return crm.client.post("/oauth/v2/token", data=params)


def test_code_exchange_and_refresh_without_rotation(crm: Crm) -> None:
    code = authorize(crm)
    answer = token(
        crm,
        grant_type="authorization_code",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT,
        code=code,
    )
    body = answer.json()
    assert answer.status_code == 200
    assert body["api_domain"] == BASE
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    refresh = body["refresh_token"]
    assert crm.get("/org", token=body["access_token"]).status_code == 200

    # refresh with query parameters, as many Zoho clients do
    again = crm.client.post(
        "/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": refresh,
        },
    ).json()
    assert "refresh_token" not in again
    assert again["access_token"] != body["access_token"]
    third = token(
        crm,
        grant_type="refresh_token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=refresh,
    )
    assert "access_token" in third.json()


def test_online_access_gets_no_refresh_token(crm: Crm) -> None:
    code = authorize(crm, access_type="online")
    body = token(
        crm,
        grant_type="authorization_code",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT,
        code=code,
    ).json()
    assert "access_token" in body
    assert "refresh_token" not in body


def test_bad_code_and_bad_secret_answer_200_with_an_error(crm: Crm) -> None:
    bad_code = token(
        crm,
        grant_type="authorization_code",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT,
        code="nope",
    )
    assert (bad_code.status_code, bad_code.json()) == (200, {"error": "invalid_code"})
    code = authorize(crm)
    bad_secret = token(
        crm,
        grant_type="authorization_code",
        client_id=CLIENT_ID,
        client_secret="wrong",
        redirect_uri=REDIRECT,
        code=code,
    )
    assert bad_secret.json() == {"error": "invalid_client"}


def test_ten_access_tokens_per_refresh_token_per_ten_minutes(crm: Crm) -> None:
    refresh = crm.oauth.issue_for_tests(scope="ZohoCRM.modules.ALL offline_access").refresh_token
    assert refresh is not None
    params = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh,
    }
    for _ in range(10):
        assert "access_token" in token(crm, **params).json()
    refused = token(crm, **params)
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "Access Denied",
        "error_description": "You have made too many requests continuously. "
        "Please try again after some time.",
    }
    crm.clock.advance(601)
    assert "access_token" in token(crm, **params).json()


def test_expired_and_invalid_tokens_are_401(crm: Crm) -> None:
    assert crm.get("/org").status_code == 200
    crm.clock.advance(3600)
    expired = crm.get("/org")
    assert expired.status_code == 401
    assert expired.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }
    fresh = crm.oauth.issue_for_tests().access_token
    assert crm.get("/org", token=fresh).status_code == 200
    crm.client.post("/_sandbox/tokens/expire")
    assert crm.get("/org", token=fresh).status_code == 401
    assert crm.get("/org", token="made-up").json()["code"] == "INVALID_TOKEN"
    missing = crm.client.get("/crm/v8/org")
    assert (missing.status_code, missing.json()["code"]) == (401, "AUTHENTICATION_FAILURE")
    bearer = crm.client.get("/crm/v8/org", headers={"Authorization": f"Bearer {fresh}"})
    assert bearer.status_code == 401


def test_daily_credits_run_out_and_come_back_at_utc_midnight(crm: Crm) -> None:
    crm.client.put("/_sandbox/settings", json={"credits": 5})
    remaining = []
    for _ in range(5):
        answer = crm.get("/org")
        assert answer.status_code == 200
        remaining.append(int(answer.headers["X-RATELIMIT-REMAINING"]))
    assert remaining == [4, 3, 2, 1, 0]
    assert answer.headers["X-RATELIMIT-LIMIT"] == "5"
    refused = crm.get("/org")
    assert refused.status_code == 429
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    # 2026-03-10 12:00 UTC: the day ends in twelve hours
    assert refused.headers["Retry-After"] == str(12 * 3600)
    crm.clock.advance(12 * 3600 - 1)
    crm.token = crm.oauth.issue_for_tests().access_token
    assert crm.get("/org").status_code == 429
    crm.clock.advance(1)
    assert crm.get("/org").status_code == 200


def test_a_write_costs_one_credit_per_ten_records(crm: Crm) -> None:
    before = int(crm.get("/org").headers["X-RATELIMIT-REMAINING"])
    crm.post("/Accounts", {"data": [account(f"A{n}") for n in range(25)]})
    after = int(crm.get("/org").headers["X-RATELIMIT-REMAINING"])
    assert before - after == 3 + 1


def test_edition_sets_the_daily_credits(crm: Crm) -> None:
    assert crm.state.credits.limit == 50000 + 1000 * 10
    crm.state.set_edition("free")
    assert crm.state.credits.limit == 5000
    crm.state.set_edition("professional", licensed_users=4)
    assert crm.state.credits.limit == 52000


def test_concurrency_per_org(crm: Crm) -> None:
    limiter = crm.app.state.limiter
    for _ in range(10):
        assert limiter.acquire("org").allowed
    busy = crm.get("/org")
    assert busy.status_code == 429
    assert busy.json()["code"] == "TOO_MANY_REQUESTS"
    assert busy.headers["Retry-After"] == "1"
    limiter.release("org")
    assert crm.get("/org").status_code == 200


def test_limits_can_be_switched_off(crm: Crm) -> None:
    crm.client.put("/_sandbox/settings", json={"credits": 1})
    crm.client.put("/_sandbox/limits", json={"enabled": False})
    for _ in range(3):
        assert crm.get("/org").status_code == 200
    crm.client.put("/_sandbox/limits", json={"enabled": True})
    assert crm.get("/org").status_code == 429


def test_faults_from_the_admin_api(crm: Crm) -> None:
    crm.client.put("/_sandbox/faults", json={"error_5xx_rate": 1.0})
    failed = crm.get("/org")
    assert (failed.status_code, failed.json()["code"]) == (500, "INTERNAL_ERROR")
    crm.client.put("/_sandbox/faults", json={"error_5xx_rate": 0.0, "rate_429": 1.0})
    limited = crm.get("/org")
    assert (limited.status_code, limited.json()["code"]) == (429, "TOO_MANY_REQUESTS")
    crm.client.put("/_sandbox/faults", json={"rate_429": 0.0, "drop_rate": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        crm.get("/org")
    crm.client.put("/_sandbox/faults", json={"drop_rate": 0.0, "token_ttl_seconds": 60})
    short = crm.oauth.issue_for_tests().access_token
    crm.clock.advance(61)
    assert crm.get("/org", token=short).status_code == 401
    assert crm.client.get("/_sandbox/faults").json()["token_ttl_seconds"] == 60


def test_ledger_counts_by_path_template(crm: Crm) -> None:
    [ident] = crm.insert("Accounts", account("Acme"))
    crm.get("/Accounts", params={"fields": "Account_Name"})
    crm.get("/Accounts", params={"fields": "Account_Name", "page": 1})
    crm.get(f"/Accounts/{ident}")
    crm.get("/Accounts/search", params={"criteria": "(Account_Name:equals:Acme)", "per_page": 5})
    crm.post("/coql", {"select_query": "select Account_Name from Accounts"})
    ledger = crm.client.get("/_sandbox/ledger").json()
    assert ledger["counts"] == {
        "POST /crm/v8/{module}": 1,
        "GET /crm/v8/{module}": 2,
        "GET /crm/v8/{module}/{id}": 1,
        "GET /crm/v8/{module}/search": 1,
        "POST /crm/v8/coql": 1,
    }
    assert ledger["total"] == 6
    crm.client.post("/_sandbox/ledger/reset")
    assert crm.client.get("/_sandbox/ledger").json()["total"] == 0
    assert crm.ledger.total("zoho_crm") == 0
