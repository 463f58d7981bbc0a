"""Zoho OAuth for Books, choosing the organization, and Zoho ERP's path."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.connectors.http.tokens import MemoryTokenStore
from ledgerbridge.connectors.zoho_books import SCOPES, from_connection
from ledgerbridge.connectors.zoho_crm import authorize
from ledgerbridge.connectors.zoho_crm.accounts import oauth_app
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.sandbox.zoho_books import CLIENT_ID, CLIENT_SECRET
from tests.contract.connectors.subjects.zoho_books import BASE, BooksWorld
from tests.integration.connectors.zoho_crm.transports import Recorder

REDIRECT = "https://ledgerbridge.example/oauth/books/callback"


def test_code_exchange_then_choose_an_organization(world: BooksWorld) -> None:
    other = world.state.add_organization("Second Ltd", currency_code="EUR")
    app = oauth_app(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        accounts=BASE,
        scopes=SCOPES,
        redirect_uri=REDIRECT,
    )
    consent = world.http.get(app.authorization_url("s1"), follow_redirects=False, auth=None)
    code = parse_qs(urlparse(consent.headers["location"]).query)["code"][0]
    plain = httpx.Client(transport=world.transport, base_url=BASE)
    tokens = authorize(plain, app, code, clock=world.clock.now)
    assert tokens.refresh_token and tokens.extra["api_domain"] == BASE
    store = MemoryTokenStore(tokens, secrets={"client_secret": CLIENT_SECRET})
    settings = {"client_id": CLIENT_ID, "accounts_url": BASE, "organization_id": world.org_id}
    conn = from_connection(settings, store, http=plain)
    orgs = {o.organization_id: o for o in conn.organizations()}
    assert orgs[world.org_id].is_default and orgs[other["organization_id"]].currency_code == "EUR"
    chosen = from_connection(
        {**settings, "organization_id": other["organization_id"]}, store, http=plain
    )
    org = chosen.describe()
    assert (org.name, org.base_currency, org.multi_currency) == ("Second Ltd", "EUR", False)
    assert [m.name for m in org.modules] == ["contacts", "items", "invoices", "purchaseorders"]


def test_settings_are_checked(world: BooksWorld) -> None:
    store = MemoryTokenStore(world.store.load()[0], secrets={"client_secret": CLIENT_SECRET})
    with pytest.raises(ConfigError, match="organization_id"):
        from_connection({"client_id": CLIENT_ID}, store, http=world.http)
    with pytest.raises(ConfigError, match="product"):
        from_connection({"client_id": CLIENT_ID, "organization_id": "1", "product": "crm"}, store)


def test_every_call_carries_the_organization_and_erp_uses_its_path(
    recorder: tuple[BooksWorld, Recorder],
) -> None:
    world, rec = recorder
    erp = world.new_connector(product="erp")
    erp.create_many("contacts", [])
    rid = erp.find_many("contacts", "contact_name", ["Nobody"])
    assert rid == []
    assert erp.describe().base_currency == "USD"
    assert all(s.path.startswith("/erp/v3/") for s in rec.sent)
    assert all(s.param("organization_id") == world.org_id for s in rec.sent)
    assert all(s.headers["authorization"].startswith("Zoho-oauthtoken ") for s in rec.sent)


def test_refresh_on_expiry_and_two_threads_refresh_once(world: BooksWorld) -> None:
    rid = str(world.state.create_contact(world.org_id, {"contact_name": "Ref"})["contact_id"])
    world.state.oauth.expire_all_access_tokens()
    start = threading.Barrier(2)
    got: list[list[str]] = []

    def read() -> None:
        start.wait()
        got.append([r.id for r in world.books.get_many("contacts", [rid])])

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [[rid], [rid]]
    assert world.books.auth.refreshes == 1 and world.store.saves == 1
