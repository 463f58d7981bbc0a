"""Envelope, organization_id, OAuth and URL handling of the Zoho Books emulator."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.zoho_books import CLIENT_ID, CLIENT_SECRET, ZohoBooksState
from tests.contract.sandbox.zoho_books.conftest import BooksApi


def test_organizations_lists_every_organization_with_the_default_flag(
    api: BooksApi, state: ZohoBooksState
) -> None:
    second = state.add_organization("Second Books Ltd", currency_code="EUR")
    body = api.ok("GET", "/organizations", org="")
    orgs = {o["organization_id"]: o for o in body["organizations"]}
    assert body["message"] == "success"
    assert orgs[api.org_id]["is_default_org"] is True
    assert orgs[second["organization_id"]]["is_default_org"] is False
    assert orgs[second["organization_id"]]["currency_code"] == "EUR"
    assert not any(k.startswith("_") for o in orgs.values() for k in o)


def test_missing_or_unknown_organization_id_is_refused(api: BooksApi) -> None:
    missing = api.get("/contacts", org="")
    unknown = api.get("/contacts", org="999")
    assert missing.status_code == 400
    assert missing.json()["code"] == 6041
    assert unknown.status_code == 400
    assert unknown.json() == {
        "code": 6041,
        "message": "This user is not associated with the CompanyID/CompanyName:999.",
    }


def test_records_are_kept_apart_per_organization(api: BooksApi, state: ZohoBooksState) -> None:
    other = state.add_organization("Other Org")["organization_id"]
    api.ok("POST", "/contacts", json={"contact_name": "Only Here"})
    assert api.ok("GET", "/contacts", org=other)["contacts"] == []
    assert len(api.ok("GET", "/contacts")["contacts"]) == 1


def test_no_token_bad_scheme_and_unknown_token_give_code_57(api: BooksApi) -> None:
    for headers in (
        {"Authorization": ""},
        {"Authorization": f"Bearer {api.token}"},
        {"Authorization": "Zoho-oauthtoken nope"},
    ):
        answer = api.get("/contacts", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {
            "code": 57,
            "message": "You are not authorized to perform this operation",
        }


def test_access_token_expires_after_an_hour_of_virtual_time(
    api: BooksApi, clock: VirtualClock
) -> None:
    assert api.get("/contacts").status_code == 200
    clock.advance(3599)
    assert api.get("/contacts").status_code == 200
    clock.advance(2)
    assert api.get("/contacts").status_code == 401


def test_admin_endpoint_expires_tokens(api: BooksApi) -> None:
    assert api.client.post("/_sandbox/tokens/expire").status_code == 200
    assert api.get("/contacts").json()["code"] == 57


def test_token_without_books_scope_is_refused(api: BooksApi, state: ZohoBooksState) -> None:
    crm_only = state.oauth.issue_for_tests(scope="ZohoCRM.modules.ALL").access_token
    answer = api.get("/contacts", headers={"Authorization": f"Zoho-oauthtoken {crm_only}"})
    assert answer.status_code == 401


def test_authorization_code_and_refresh_flow(client: httpx.Client) -> None:
    redirect = "http://127.0.0.1:9/callback"
    consent = client.get(
        "/oauth/v2/auth",
        params={
            "client_id": CLIENT_ID,
            "redirect_uri": redirect,
            "scope": "ZohoBooks.fullaccess.all",
            "access_type": "offline",
            "response_type": "code",
            "state": "xyz",
        },
    )
    assert consent.status_code == 302
    location = urlsplit(consent.headers["location"])
    back = parse_qs(location.query)
    assert back["state"] == ["xyz"]
    grant = client.post(
        "/oauth/v2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"][0],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": redirect,
        },
    ).json()
    assert grant["api_domain"] == "http://books.sandbox.test"
    assert grant["expires_in"] == 3600
    assert grant["scope"] == "ZohoBooks.fullaccess.all"
    assert grant["refresh_token"]
    # Zoho takes the refresh parameters in the query string as well
    refreshed = client.post(
        "/oauth/v2/token",
        params={
            "grant_type": "refresh_token",
            "refresh_token": grant["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    ).json()
    assert "refresh_token" not in refreshed
    orgs = client.get(
        "/books/v3/organizations",
        headers={"Authorization": f"Zoho-oauthtoken {refreshed['access_token']}"},
    )
    assert orgs.json()["code"] == 0


def test_bad_refresh_token_and_client_use_zoho_error_shapes(client: httpx.Client) -> None:
    bad_token = client.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "nope",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert bad_token.status_code == 200
    assert bad_token.json() == {"error": "invalid_code"}
    bad_client = client.post(
        "/oauth/v2/token",
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "who"},
    )
    assert bad_client.json() == {"error": "invalid_client"}


def test_a_refresh_token_mints_at_most_ten_access_tokens_per_ten_minutes(
    client: httpx.Client, state: ZohoBooksState, clock: VirtualClock
) -> None:
    refresh = state.oauth.issue_for_tests(scope="ZohoBooks.fullaccess.all offline_access")
    params = {
        "grant_type": "refresh_token",
        "refresh_token": refresh.refresh_token,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    for _ in range(10):
        assert "access_token" in client.post("/oauth/v2/token", data=params).json()
    refused = client.post("/oauth/v2/token", data=params)
    assert refused.status_code == 400
    assert refused.json()["error"] == "Access Denied"
    clock.advance(601)
    assert "access_token" in client.post("/oauth/v2/token", data=params).json()


def test_unknown_url_is_code_5(api: BooksApi) -> None:
    answer = api.get("/nothing-here")
    assert answer.status_code == 404
    assert answer.json() == {"code": 5, "message": "Invalid URL Passed"}


def test_erp_path_serves_the_same_books(api: BooksApi) -> None:
    created = api.ok("POST", "/contacts", json={"contact_name": "Shared"})["contact"]
    erp = BooksApi(api.client, api.token, api.org_id, prefix="/erp/v3")
    fetched = erp.ok("GET", f"/contacts/{created['contact_id']}")["contact"]
    assert fetched["contact_name"] == "Shared"


def test_legacy_jsonstring_form_body_is_accepted(api: BooksApi) -> None:
    answer = api.client.post(
        "/books/v3/contacts",
        params={"organization_id": api.org_id},
        data={"JSONString": '{"contact_name": "Form Co"}'},
        headers={"Authorization": f"Zoho-oauthtoken {api.token}"},
    )
    assert answer.status_code == 201
    assert answer.json()["contact"]["contact_name"] == "Form Co"


def test_malformed_json_body_is_refused(api: BooksApi) -> None:
    answer = api.client.post(
        "/books/v3/contacts",
        params={"organization_id": api.org_id},
        content=b"{not json",
        headers={"Authorization": f"Zoho-oauthtoken {api.token}"},
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == 4
