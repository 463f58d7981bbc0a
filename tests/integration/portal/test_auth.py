"""Logging in and out: sessions, CSRF, throttling, the users store and the ``user`` commands."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.portal import throttle
from ledgerbridge.portal.sessions import COOKIE_NAME, session_secret
from ledgerbridge.settings import Settings
from ledgerbridge.store import Store
from ledgerbridge.store.tables import utcnow
from ledgerbridge.web.app import create_app
from tests.integration.portal.conftest import (
    ADMIN_EMAIL,
    OTHER_EMAIL,
    PASSWORD,
    USER_EMAIL,
    Portal,
    csrf_of,
)
from tests.integration.web.live import application
from tests.support.dispatch import RecordingDispatcher


def _login(
    portal: Portal, email: str, password: str, client: TestClient | None = None
) -> httpx.Response:
    browser = client or portal.client
    answer: httpx.Response = browser.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": portal.csrf(browser)},
    )
    return answer


# -- pages and sessions ------------------------------------------------------------------------


def test_pages_send_anonymous_visitors_to_login_and_back(portal: Portal) -> None:
    answer = portal.client.get("/?x=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/%3Fx%3D1"
    page = portal.client.get(answer.headers["location"])
    assert 'name="next" value="/?x=1"' in page.text
    logged_in = portal.client.post(
        "/login",
        data={
            "email": USER_EMAIL,
            "password": PASSWORD,
            "next": "/?x=1",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert logged_in.status_code == 303
    assert logged_in.headers["location"] == "/?x=1"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil", ""])
def test_login_never_redirects_off_site(portal: Portal, target: str) -> None:
    answer = portal.client.post(
        "/login",
        data={
            "email": USER_EMAIL,
            "password": PASSWORD,
            "next": target,
            "csrf_token": portal.csrf(),
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_login_shows_the_user_and_the_navigation(portal: Portal) -> None:
    portal.login(USER_EMAIL)
    page = portal.client.get("/")
    assert page.status_code == 200
    assert 'id="user-email">alice@example.com' in page.text
    for label in ("Dashboard", "Connections", "Integrations", "History", "Log out"):
        assert label in page.text
    assert '<nav class="site-nav" aria-label="Main">' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert portal.app.store.users.get(portal.user.id).last_login_at is not None


def test_email_is_matched_whatever_its_case(portal: Portal) -> None:
    answer = _login(portal, "  Alice@Example.COM ", PASSWORD)
    assert answer.status_code == 303


def test_wrong_password_and_unknown_email_get_the_same_answer(portal: Portal) -> None:
    wrong = _login(portal, USER_EMAIL, "not the password")
    unknown = _login(portal, "nobody@example.com", "not the password")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "The e-mail address or the password is wrong." in answer.text
    assert portal.client.get("/").status_code == 303


def test_session_cookie_is_http_only_lax_and_rotated_on_login(portal: Portal) -> None:
    portal.client.get("/login")
    before = portal.client.cookies.get(COOKIE_NAME)
    token_before = portal.csrf()
    answer = _login(portal, USER_EMAIL, PASSWORD)
    set_cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=lax" in set_cookie
    assert "secure" not in set_cookie  # plain http in development
    after = portal.client.cookies.get(COOKIE_NAME)
    assert before and after and before != after
    # The CSRF token from before the login is no longer accepted.
    token_after = portal.csrf(path="/")
    assert token_after != token_before
    refused = portal.client.post("/logout", data={"csrf_token": token_before})
    assert refused.status_code == 403


def test_a_cookie_planted_before_login_gains_nothing(portal: Portal) -> None:
    """Session fixation: a pre-login cookie stays anonymous after its victim logs in."""
    portal.client.get("/login")
    planted = portal.client.cookies.get(COOKIE_NAME)
    assert planted
    portal.login(USER_EMAIL)
    attacker = portal.new_client()
    attacker.cookies.set(COOKIE_NAME, planted)
    assert attacker.get("/").status_code == 303


def test_cookies_are_secure_when_the_site_is_https(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", public_url="https://sync.example.com")
    from ledgerbridge.bootstrap import bootstrap

    app = bootstrap(settings)
    try:
        with TestClient(create_app(app, RecordingDispatcher())) as client:
            answer = client.get("/login")
        assert "secure" in answer.headers["set-cookie"].lower()
    finally:
        app.close()


def test_logout_ends_the_session(portal: Portal) -> None:
    portal.login(USER_EMAIL)
    answer = portal.client.post("/logout", data={"csrf_token": portal.csrf(path="/")})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"
    assert "You are logged out." in portal.client.get("/login").text
    assert portal.client.get("/").status_code == 303


def test_a_deleted_user_is_logged_out(portal: Portal) -> None:
    from ledgerbridge.store.tables import users

    portal.login(OTHER_EMAIL)
    with portal.app.store.engine.begin() as conn:
        conn.execute(users.delete().where(users.c.id == portal.other.id))
    assert portal.client.get("/").status_code == 303


# -- CSRF --------------------------------------------------------------------------------------


def test_unsafe_requests_without_the_csrf_token_are_refused(portal: Portal) -> None:
    portal.login(USER_EMAIL)
    no_token = portal.client.post("/logout")
    assert no_token.status_code == 403
    assert "This form expired" in no_token.text
    wrong = portal.client.post("/logout", data={"csrf_token": "forged"})
    assert wrong.status_code == 403
    header = portal.client.post("/logout", headers={"X-CSRF-Token": portal.csrf(path="/")})
    assert header.status_code == 303


def test_login_form_needs_its_csrf_token(portal: Portal) -> None:
    answer = portal.client.post("/login", data={"email": USER_EMAIL, "password": PASSWORD})
    assert answer.status_code == 403
    assert portal.client.get("/").status_code == 303


def test_another_sessions_token_is_refused(portal: Portal) -> None:
    portal.login(USER_EMAIL)
    other = portal.login(OTHER_EMAIL, portal.new_client())
    foreign = csrf_of(other.get("/").text)
    assert portal.client.post("/logout", data={"csrf_token": foreign}).status_code == 403


# -- throttling --------------------------------------------------------------------------------


def test_five_failures_lock_the_email_for_fifteen_minutes(portal: Portal) -> None:
    for _ in range(throttle.MAX_FAILURES):
        assert _login(portal, USER_EMAIL, "wrong password!").status_code == 401
    refused = _login(portal, USER_EMAIL, PASSWORD)  # the right password, too late
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.text
    assert "15 more minutes" in refused.text
    # Another browser from another address is refused for that e-mail too.
    elsewhere = TestClient(portal.client.app, follow_redirects=False, client=("10.0.0.9", 5000))
    assert _login(portal, USER_EMAIL, PASSWORD, elsewhere).status_code == 429
    # Other accounts from another address are unaffected.
    assert _login(portal, OTHER_EMAIL, PASSWORD, elsewhere).status_code == 303


def test_an_unknown_email_is_locked_the_same_way(portal: Portal) -> None:
    for _ in range(throttle.MAX_FAILURES):
        _login(portal, "ghost@example.com", "wrong password!")
    answer = _login(portal, "ghost@example.com", "wrong password!")
    assert answer.status_code == 429


def test_five_failures_from_one_address_lock_that_address(portal: Portal) -> None:
    for n in range(throttle.MAX_FAILURES):
        _login(portal, f"guess{n}@example.com", "wrong password!")
    assert _login(portal, USER_EMAIL, PASSWORD).status_code == 429


def test_the_lock_ends_after_fifteen_minutes(portal: Portal) -> None:
    users = portal.app.store.users
    long_ago = utcnow() - throttle.LOCKOUT - timedelta(seconds=5)
    for n in range(throttle.MAX_FAILURES):
        users.record_failure(USER_EMAIL, "10.1.1.1", at=long_ago + timedelta(seconds=n))
    assert _login(portal, USER_EMAIL, PASSWORD).status_code == 303


def test_a_success_forgets_earlier_failures(portal: Portal) -> None:
    for _ in range(throttle.MAX_FAILURES - 1):
        _login(portal, USER_EMAIL, "wrong password!")
    assert _login(portal, USER_EMAIL, PASSWORD).status_code == 303
    portal.client.post("/logout", data={"csrf_token": portal.csrf(path="/")})
    # Only new failures count now: one more does not lock.
    _login(portal, USER_EMAIL, "wrong password!")
    assert _login(portal, USER_EMAIL, PASSWORD).status_code == 303


def test_lockout_rule() -> None:
    now = utcnow()
    minute = timedelta(minutes=1)
    spread = [now - 20 * minute + n * 5 * minute for n in range(5)]  # 20 minutes apart overall
    assert throttle.locked_until(spread, now) is None
    burst = [now - 3 * minute + n * timedelta(seconds=10) for n in range(5)]
    assert throttle.locked_until(burst, now) == burst[-1] + throttle.LOCKOUT
    assert throttle.locked_until(burst[:4], now) is None
    assert throttle.locked_until(burst, burst[-1] + throttle.LOCKOUT) is None


# -- session secret ----------------------------------------------------------------------------


def test_session_secret_is_generated_once_in_development(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    first = session_secret(settings)
    assert len(first) >= 32
    assert session_secret(settings) == first
    assert (tmp_path / "d" / "session.secret").stat().st_mode & 0o077 == 0


def test_session_secret_comes_from_the_settings(tmp_path: Path) -> None:
    given = "s" * 40
    ok = Settings(data_dir=tmp_path / "d", session_secret=SecretStr(given))
    assert session_secret(ok) == given


# -- the users store, on both databases --------------------------------------------------------


def test_users_store(store: Store) -> None:
    users = store.users
    admin = users.create(" Root@Example.com", "long enough pass", admin=True)
    assert admin.email == "root@example.com"
    assert admin.is_admin
    with pytest.raises(ConfigError, match="already exists"):
        users.create("ROOT@example.com", "another long pass")
    with pytest.raises(ConfigError, match="at least"):
        users.create("short@example.com", "short")
    with pytest.raises(ConfigError, match="not an e-mail"):
        users.create("no-at-sign", "long enough pass")
    plain = users.create("b@example.com", "long enough pass")
    assert [u.email for u in users.list()] == ["b@example.com", "root@example.com"]
    assert users.authenticate("ROOT@example.com", "long enough pass") == users.get(admin.id)
    assert users.authenticate("root@example.com", "wrong") is None
    assert users.authenticate("nobody@example.com", "long enough pass") is None
    users.set_password("b@example.com", "a brand new pass")
    assert users.authenticate("b@example.com", "long enough pass") is None
    assert users.authenticate("b@example.com", "a brand new pass") is not None
    with pytest.raises(ConfigError, match="no user with id"):
        users.get(plain.id + 100)


def test_users_store_keeps_hashes_not_passwords(store: Store) -> None:
    import sqlalchemy as sa

    from ledgerbridge.store.tables import users as table

    store.users.create("c@example.com", "long enough pass")
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(table.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "long enough pass" not in stored


def test_login_failures_store(store: Store) -> None:
    users = store.users
    now = utcnow()
    old = now - timedelta(hours=1)
    users.record_failure("X@example.com", "1.2.3.4", at=old)
    users.record_failure("x@example.com", "1.2.3.4", at=now)
    users.record_failure("y@example.com", "1.2.3.4", at=now)
    by_email, by_ip = users.recent_failures(
        "x@example.com", "1.2.3.4", since=now - timedelta(minutes=30)
    )
    assert by_email == [now]
    assert by_ip == [now, now]
    users.clear_failures("X@EXAMPLE.COM")
    by_email, by_ip = users.recent_failures("x@example.com", "1.2.3.4", since=old)
    assert by_email == []
    assert len(by_ip) == 1  # the old one was deleted when newer ones arrived


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The ``ledgerbridge`` command line in process, on a fresh data directory."""
    for key in list(os.environ):
        if key.startswith("LEDGERBRIDGE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)  # no stray ledgerbridge.env
    return CliRunner()


def test_user_commands(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledgerbridge.cli import app as command_line

    secret = tmp_path / "pw.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    made = cli.invoke(
        command_line, ["user", "create", ADMIN_EMAIL, "--admin", "--password-file", str(secret)]
    )
    assert made.exit_code == 0, made.output
    assert f"user {ADMIN_EMAIL} created (admin)" in made.output
    monkeypatch.setenv("LEDGERBRIDGE_USER_PASSWORD", PASSWORD)
    from_env = cli.invoke(command_line, ["user", "create", USER_EMAIL])
    assert from_env.exit_code == 0, from_env.output
    monkeypatch.delenv("LEDGERBRIDGE_USER_PASSWORD")
    prompted = cli.invoke(
        command_line, ["user", "create", OTHER_EMAIL], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert prompted.exit_code == 0, prompted.output
    again = cli.invoke(
        command_line, ["user", "create", ADMIN_EMAIL.upper(), "--password-file", str(secret)]
    )
    assert again.exit_code != 0
    assert "already exists" in str(again.exception)
    listed = cli.invoke(command_line, ["user", "list"])
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if "@example.com" in line]
    assert len(lines) == 3
    assert "admin" in next(line for line in lines if ADMIN_EMAIL in line)
    assert "never" in lines[0]
    # The users made on the command line log into the portal.
    app = application(tmp_path)
    try:
        assert app.store.users.authenticate(USER_EMAIL, PASSWORD) is not None
    finally:
        app.close()


def test_the_login_page_sends_a_logged_in_user_on(portal: Portal) -> None:
    portal.login(USER_EMAIL)
    answer = portal.client.get("/login?next=/integrations")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/integrations"
