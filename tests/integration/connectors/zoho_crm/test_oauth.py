"""OAuth against the emulator's accounts server: code exchange, refresh, concurrent refresh."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.zoho_crm import SCOPES, authorize, from_connection
from ledgerbridge.connectors.zoho_crm.accounts import accounts_url, oauth_app
from ledgerbridge.domain.errors import AuthError, ConfigError, RetriableError
from ledgerbridge.sandbox.zoho_crm import CLIENT_ID, CLIENT_SECRET
from tests.contract.connectors.subjects.zoho_crm import BASE, CrmWorld

REDIRECT = "https://ledgerbridge.example/oauth/zoho/callback"


def _app() -> object:
    return oauth_app(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        accounts=BASE,
        scopes=SCOPES,
        redirect_uri=REDIRECT,
    )


def test_consent_url_asks_for_offline_access() -> None:
    app = oauth_app(client_id="abc", client_secret="s", accounts=accounts_url("eu"), scopes=SCOPES)
    url = urlparse(app.authorization_url("xyz"))
    query = parse_qs(url.query)
    assert url.netloc == "accounts.zoho.eu" and url.path == "/oauth/v2/auth"
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert "ZohoCRM.modules.ALL" in query["scope"][0]


def test_unknown_data_centre_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="data centre"):
        accounts_url("mars")


def test_code_exchange_keeps_the_api_domain_and_the_connector_uses_it(world: CrmWorld) -> None:
    app = oauth_app(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        accounts=BASE,
        scopes=SCOPES,
        redirect_uri=REDIRECT,
    )
    consent = world.http.get(app.authorization_url("state-1"), follow_redirects=False, auth=None)
    assert consent.status_code == 302
    back = parse_qs(urlparse(consent.headers["location"]).query)
    assert back["state"] == ["state-1"]
    plain = httpx.Client(transport=world.transport, base_url=BASE)
    tokens = authorize(plain, app, back["code"][0], clock=world.clock.now)
    assert tokens.refresh_token and tokens.access_token
    assert tokens.extra["api_domain"] == BASE
    store = MemoryTokenStore(tokens, secrets={"client_secret": CLIENT_SECRET})
    conn = from_connection(
        {"client_id": CLIENT_ID, "accounts_url": BASE, "data_centre": "eu"}, store, http=plain
    )
    # no api_domain setting: the token answer's domain is the base
    assert conn.base_url() == f"{BASE}/crm/v8"
    assert conn.describe().base_currency == "USD"


def test_from_connection_needs_the_client_secret_among_the_secrets(world: CrmWorld) -> None:
    store = MemoryTokenStore(world.store.load()[0])
    with pytest.raises(ConfigError, match="client_secret"):
        from_connection({"client_id": CLIENT_ID}, store, http=world.http)


def test_expired_token_is_refreshed_and_saved_before_use(world: CrmWorld) -> None:
    before = world.store.load()[0]
    world.clock.advance(3600)
    assert world.crm.get_many(
        "Contacts", [world.state.create("Contacts", {"Last_Name": "A"})["id"]]
    )
    after, version = world.store.load()
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token  # Zoho keeps the refresh token
    assert version == 2 and world.crm.auth.refreshes == 1


def test_a_401_mid_life_refreshes_once_and_repeats_the_call(world: CrmWorld) -> None:
    rid = world.state.create("Contacts", {"Last_Name": "B"})["id"]
    world.oauth.expire_all_access_tokens()
    assert [r.id for r in world.crm.get_many("Contacts", [rid])] == [rid]
    assert world.crm.auth.refreshes == 1


def test_two_threads_refreshing_at_once_refresh_once_and_both_succeed(world: CrmWorld) -> None:
    ids = [world.state.create("Contacts", {"Last_Name": f"T{i}"})["id"] for i in range(2)]
    world.oauth.expire_all_access_tokens()
    start = threading.Barrier(2)
    got: dict[int, list[str]] = {}

    def read(n: int) -> None:
        start.wait()
        got[n] = [r.id for r in world.crm.get_many("Contacts", [ids[n]])]

    threads = [threading.Thread(target=read, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == {0: [ids[0]], 1: [ids[1]]}
    assert world.crm.auth.refreshes == 1
    assert world.store.saves == 1


def test_a_revoked_refresh_token_asks_for_reconnection(world: CrmWorld) -> None:
    tokens = world.store.load()[0]
    world.oauth.revoke(str(tokens.refresh_token))
    world.oauth.expire_all_access_tokens()
    stale = TokenSet(tokens.access_token, tokens.refresh_token, world.clock.now() - timedelta(1))
    conn = world.new_connector(
        token_store=MemoryTokenStore(stale, secrets={"client_secret": CLIENT_SECRET})
    )
    with pytest.raises(AuthError, match="reconnect"):
        conn.get_many("Contacts", ["6051205000000000001"])


def test_too_many_refreshes_is_a_wait_not_a_reconnect(world: CrmWorld) -> None:
    rid = world.state.create("Contacts", {"Last_Name": "R"})["id"]
    for _ in range(10):  # one refresh token mints at most 10 access tokens in 10 minutes
        world.oauth.expire_all_access_tokens()
        world.crm.get_many("Contacts", [rid])
    world.oauth.expire_all_access_tokens()
    with pytest.raises(RetriableError, match="slow down") as raised:
        world.crm.get_many("Contacts", [rid])
    assert not isinstance(raised.value, AuthError)
    world.clock.advance(600)
    assert [r.id for r in world.crm.get_many("Contacts", [rid])] == [rid]


@pytest.mark.parametrize(
    ("centre", "host"),
    [
        ("com", "https://www.zohoapis.com"),
        ("eu", "https://www.zohoapis.eu"),
        ("com.au", "https://www.zohoapis.com.au"),
    ],
)
def test_the_data_centre_names_the_hosts_until_a_token_names_its_domain(
    centre: str, host: str
) -> None:
    store = MemoryTokenStore(TokenSet("a", "r", None), secrets={"client_secret": "s"})
    conn = from_connection({"client_id": "id", "data_centre": centre}, store, http=httpx.Client())
    assert conn.base_url() == f"{host}/crm/v8"
    assert conn.app.token_url == f"https://accounts.zoho.{centre}/oauth/v2/token"
    store.save(TokenSet("b", "r", None, extra={"api_domain": "https://www.zohoapis.in"}), 1)
    assert conn.base_url() == "https://www.zohoapis.in/crm/v8"
