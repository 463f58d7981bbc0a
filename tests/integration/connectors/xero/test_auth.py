"""OAuth against the emulator: code exchange, refresh with rotation, concurrent refreshes."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlparse

import pytest

from ledgerbridge.connectors.http.oauth import exchange_code
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.xero import XeroConnector
from ledgerbridge.domain.errors import AuthError
from ledgerbridge.sandbox.core.oauth import OAuthError
from ledgerbridge.sandbox.xero import CLIENT_ID, CLIENT_SECRET
from tests.integration.connectors.xero.emulator import EventStore, Xero

REDIRECT = "https://ledgerbridge.example/oauth/xero/callback"


def _authorise(world: Xero) -> str:
    """What the user's browser does: approve, and come back to us with a code."""
    settings = world.settings(redirect_uri=REDIRECT)
    app = settings.oauth_client(CLIENT_SECRET)
    url = app.authorization_url("state-1").replace(
        "https://login.xero.com/identity", "https://identity.xero.com"
    )
    answer = world.client().get(url, follow_redirects=False)
    assert answer.status_code == 302
    query = parse_qs(urlparse(answer.headers["location"]).query)
    assert query["state"] == ["state-1"]
    return query["code"][0]


def test_code_exchange_gives_tokens_that_reach_the_organisation(world: Xero) -> None:
    code = _authorise(world)
    recorder = world.recorder()
    settings = world.settings(redirect_uri=REDIRECT)
    tokens = exchange_code(
        world.client(recorder), settings.oauth_client(CLIENT_SECRET), code, world.clock.now
    )
    assert tokens.access_token and tokens.refresh_token
    assert tokens.expires_at is not None
    assert (tokens.expires_at - world.clock.now()).total_seconds() == 30 * 60
    assert "id_token" in tokens.extra
    # Xero's app credentials travel as HTTP Basic, never in the form.
    (token_request,) = recorder.token_requests()
    assert token_request.headers["authorization"].startswith("Basic ")
    assert b"client_secret" not in token_request.content

    store = MemoryTokenStore(tokens, secrets={"client_secret": CLIENT_SECRET})
    conn = world.connector(store, settings=settings)
    assert conn.describe().base_currency == world.state.base_currency


def test_refresh_rotates_and_persists_before_the_new_token_is_used(world: Xero) -> None:
    recorder = world.recorder()
    old = world.tokens(ttl=-1)
    store = EventStore(old, recorder)
    conn = world.connector(store, http=world.client(recorder))

    conn.describe()

    fresh = store.load()[0]
    assert fresh.refresh_token != old.refresh_token
    assert fresh.access_token != old.access_token
    assert conn.auth.refreshes == 1
    kinds = [kind for kind, _ in recorder.events]
    first_use = recorder.events.index(("request", f"Bearer {fresh.access_token}"))
    assert kinds.index("save") < first_use
    assert ("request", f"Bearer {old.access_token}") not in recorder.events
    # The stored refresh token is the live one of the chain.
    world.oauth.refresh(str(fresh.refresh_token), CLIENT_ID, CLIENT_SECRET)


def test_a_token_is_refreshed_ahead_of_its_expiry(world: Xero) -> None:
    store = world.token_store()
    conn = world.connector(store)
    conn.organisation()
    world.sleep(30 * 60 - 30)  # inside the refresh margin, not yet expired
    conn.organisation()
    assert conn.auth.refreshes == 1
    statuses = [e.status for e in world.ledger.entries()]
    assert 401 not in statuses


def test_an_access_token_revoked_mid_run_is_refreshed_on_the_401(world: Xero) -> None:
    store = world.token_store()
    conn = world.connector(store)
    contact = world.state.add_contact(Name="Before Expiry")
    world.oauth.expire_all_access_tokens()
    got = conn.get_many("Contacts", [contact["ContactID"]])
    assert [r.id for r in got] == [contact["ContactID"]]
    assert conn.auth.refreshes == 1
    assert [e.status for e in world.ledger.entries() if e.path_template != "/connect/token"] == [
        401,
        200,
    ]


def test_two_workers_refreshing_at_once_keep_one_live_refresh_token(world: Xero) -> None:
    recorder = world.recorder()
    recorder.token_barrier = threading.Barrier(2)
    original = world.tokens(ttl=-1)
    store = MemoryTokenStore(original, secrets={"client_secret": CLIENT_SECRET})
    # Two connectors are two workers: each has its own lock, only the store is shared.
    workers = [world.connector(store, http=world.client(recorder)) for _ in range(2)]
    answers: list[str] = []
    errors: list[BaseException] = []

    def work(conn: XeroConnector) -> None:
        try:
            answers.append(conn.organisation().name)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert not errors
    assert answers == [world.state.organisation["Name"]] * 2
    assert len(recorder.token_requests()) == 2  # both really refreshed at the same time
    assert store.saves == 1
    stored = store.load()[0]
    assert stored.refresh_token != original.refresh_token
    world.oauth.refresh(str(stored.refresh_token), CLIENT_ID, CLIENT_SECRET)


def test_threads_of_one_connector_share_one_refresh(world: Xero) -> None:
    store = world.token_store(ttl=-1)
    conn = world.connector(store)
    contact = world.state.add_contact(Name="Shared")
    found: list[int] = []

    def work() -> None:
        found.append(len(conn.get_many("Contacts", [contact["ContactID"]])))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert found == [1, 1, 1, 1]
    assert conn.auth.refreshes == 1
    assert store.saves == 1


def test_a_token_endpoint_hiccup_is_retried(world: Xero) -> None:
    recorder = world.recorder()
    recorder.fail_token = 2
    store = world.token_store(ttl=-1)
    conn = world.connector(store, http=world.client(recorder))
    assert conn.organisation().base_currency == world.state.base_currency
    assert len(recorder.token_requests()) == 3
    assert store.saves == 1


def test_a_refused_refresh_token_asks_for_reconnection(world: Xero) -> None:
    dead = TokenSet("expired", "not-a-refresh-token", world.clock.now())
    store = MemoryTokenStore(dead, secrets={"client_secret": CLIENT_SECRET})
    conn = world.connector(store)
    with pytest.raises(AuthError, match="reconnect"):
        conn.organisation()
    assert store.saves == 0


def test_the_old_refresh_token_stops_working_after_the_grace_period(world: Xero) -> None:
    store = world.token_store(ttl=-1)
    before = store.load()[0]
    conn = world.connector(store)
    conn.organisation()
    world.sleep(31 * 60)
    with pytest.raises(OAuthError):
        world.oauth.refresh(str(before.refresh_token), CLIENT_ID, CLIENT_SECRET)
    # ... while the connector, holding the rotated one, carries on.
    conn.organisation()
    assert conn.auth.refreshes == 2
