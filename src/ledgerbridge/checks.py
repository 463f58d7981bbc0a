"""``ledgerbridge check``: is this installation ready to run? Settings, database, connections.

Every check gives one result with what to do when it failed; nothing here changes state
except what opening a connection does anyway (a due token refresh is saved).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgerbridge.bootstrap import App, bootstrap
from ledgerbridge.connectors.http.client import ApiClient
from ledgerbridge.connectors.http.tokens import TokenSet
from ledgerbridge.domain.errors import AuthError, ConfigError, LedgerbridgeError
from ledgerbridge.settings import Settings, load_settings, session_secret

# Systems whose connections hold OAuth tokens (the in-memory system has none).
OAUTH_SYSTEMS = frozenset({"zoho_crm", "xero", "zoho_books"})


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: ``detail`` says what was found, ``fix`` what to do when it failed."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"
        return f"{text} -- {self.fix}" if self.fix and not self.ok else text


@dataclass
class CheckReport:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def lines(self) -> Iterator[str]:
        return (r.line() for r in self.results)


def _passed(name: str, detail: str) -> CheckResult:
    return CheckResult(name, True, detail)


def _failed(name: str, detail: str, fix: str = "") -> CheckResult:
    return CheckResult(name, False, detail, fix)


# -- settings ----------------------------------------------------------------------------------


def check_settings(
    settings_file: Path | None = None,
) -> tuple[list[CheckResult], Settings | None]:
    """Settings load, the encryption key opens, the session secret and SMTP settings are good."""
    from ledgerbridge.notify.settings import load_smtp_settings
    from ledgerbridge.store import SecretBox

    try:
        settings = load_settings(settings_file)
    except ConfigError as exc:
        return [_failed("settings", str(exc))], None
    mode = "development" if settings.development else settings.environment.value
    results = [_passed("settings", f"{mode}, data in {settings.data_dir}")]
    try:
        box = SecretBox.from_environment(
            settings.data_dir,
            allow_generate=settings.development,
            environ=settings.secret_key_environ(),
        )
    except ConfigError as exc:
        results.append(_failed("secret key", str(exc)))
    else:
        source = (
            "generated in the data directory (development only)"
            if settings.secret_key is None and settings.secret_key_file is None
            else "configured"
        )
        results.append(_passed("secret key", f"{box.key_count} key(s), {source}"))
    try:
        session_secret(settings)
    except (ConfigError, OSError) as exc:
        results.append(_failed("session secret", str(exc)))
    else:
        source = "configured" if settings.session_secret is not None else "generated (development)"
        results.append(_passed("session secret", source))
    results.append(_check_public_url(settings))
    try:
        smtp = load_smtp_settings(settings_file)
    except ConfigError as exc:
        results.append(_failed("smtp", str(exc)))
    else:
        results.append(
            _passed(
                "smtp",
                f"{smtp.host}:{smtp.effective_port} ({smtp.tls.value})"
                if smtp.configured
                else "not set: no summary e-mails are sent (LEDGERBRIDGE_SMTP_HOST to turn on)",
            )
        )
    return results, settings


def _check_public_url(settings: Settings) -> CheckResult:
    url = settings.public_url
    if not url:
        return _passed(
            "public url",
            "not set: Zoho CRM channels, CRM buttons and OAuth redirects from elsewhere are off "
            "(LEDGERBRIDGE_PUBLIC_URL)",
        )
    if not url.startswith("https://") and not settings.development:
        return _failed(
            "public url",
            f"{url} is not https: Zoho CRM and Xero only call https addresses",
            "put ledgerbridge behind a TLS-terminating proxy and set LEDGERBRIDGE_PUBLIC_URL "
            "to its https:// address",
        )
    return _passed("public url", url)


# -- database ----------------------------------------------------------------------------------


def database_problems(engine: Engine) -> list[str]:
    """Why the database cannot be used now (unreachable, schema not current); none when ready."""
    from ledgerbridge.store.migrate import packaged_head

    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            tables = set(sa.inspect(conn).get_table_names())
            version = (
                conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                if "alembic_version" in tables
                else None
            )
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return [f"database unreachable: {reason}"]
    head = packaged_head()
    if version is None:
        return ["database schema missing: run `ledgerbridge db upgrade`"]
    if version != head:
        return [
            f"database schema at revision {version}, this version needs {head}: run "
            "`ledgerbridge db upgrade`"
        ]
    return []


def check_database(settings: Settings) -> CheckResult:
    from ledgerbridge.store import make_engine

    url = sa.make_url(settings.db_url)
    where = url.render_as_string(hide_password=True)
    # Connecting to a missing SQLite file would create an empty one; say there is none yet.
    if (
        url.get_backend_name() == "sqlite"
        and url.database not in (None, "", ":memory:")
        and not Path(str(url.database)).is_file()
    ):
        return _failed(
            "database",
            f"no database file at {url.database}",
            "run `ledgerbridge db upgrade` to create it",
        )
    engine = make_engine(settings.db_url)
    try:
        problems = database_problems(engine)
    finally:
        engine.dispose()
    if not problems:
        return _passed("database", f"{where}, schema current")
    fix = (
        "start the database server or correct LEDGERBRIDGE_DATABASE_URL"
        if problems[0].startswith("database unreachable")
        else ""
    )
    return _failed("database", f"{where}: {'; '.join(problems)}", fix)


def check_stored_secrets(settings: Settings) -> CheckResult:
    """Every stored secret opens with the configured keys; say when an older key is still used."""
    from ledgerbridge.store import SecretBox, make_engine
    from ledgerbridge.store.crypto import BlobState, stored_states

    name = "stored secrets"
    try:
        box = SecretBox.from_environment(
            settings.data_dir,
            allow_generate=settings.development,
            environ=settings.secret_key_environ(),
        )
    except ConfigError as exc:
        return _failed(name, f"not checked: {exc}")
    engine = make_engine(settings.db_url)
    try:
        states = stored_states(engine, box)
    finally:
        engine.dispose()
    total = sum(states.values())
    if states[BlobState.UNREADABLE]:
        return _failed(
            name,
            f"{states[BlobState.UNREADABLE]} of {total} cannot be decrypted with the configured "
            "key(s): the key changed since they were stored",
            "set LEDGERBRIDGE_SECRET_KEY to the key used before (a new key first, the old one "
            "after it, comma-separated), or authorise those connections again",
        )
    older = states[BlobState.OLDER_KEY]
    if older:
        return _passed(
            name,
            f"{total} readable; {older} still under an older key: run `ledgerbridge db "
            "rotate-key` before removing it",
        )
    return _passed(name, f"{total} readable, all under the first key")


# -- connections -------------------------------------------------------------------------------


def probe(connector: Any) -> str:
    """One cheap authenticated call; returns the organisation's name."""
    for method in ("org_info", "organisation", "describe"):
        call = getattr(connector, method, None)
        if callable(call):
            return str(getattr(call(), "name", "") or "")
    raise ConfigError(f"{type(connector).__name__} has no way to ask for its organisation")


@contextmanager
def _few_attempts(connector: object, attempts: int = 2) -> Iterator[None]:
    """A check answers in seconds: one retry at most, not a run's patient backoff."""
    api = getattr(connector, "api", None)
    if not isinstance(api, ApiClient):
        yield
        return
    before = api.max_attempts
    api.max_attempts = min(before, attempts)
    try:
        yield
    finally:
        api.max_attempts = before


def check_connection(app: App, name: str, system: str) -> CheckResult:
    """Secrets readable, tokens present, the connector opens and one call is answered."""
    label = f"connection {name} ({system})"
    reconnect = (
        f"authorise {name} again in the portal (Connections), or see "
        "docs/connecting-real-accounts.md"
    )
    try:
        secrets, _version = app.store.connections.secrets(name)
    except ConfigError as exc:
        return _failed(label, f"its secrets cannot be read: {exc}")
    if system in OAUTH_SYSTEMS:
        raw = secrets.get("tokens")
        tokens = TokenSet.from_secrets(raw) if isinstance(raw, dict) else None
        if tokens is None or not (tokens.refresh_token or tokens.access_token):
            return _failed(label, "no OAuth tokens: the account was never authorised", reconnect)
        if not secrets.get("client_secret"):
            return _failed(
                label,
                "no client secret stored",
                f"`ledgerbridge connection set-secret {name} client_secret`",
            )
    try:
        connector = app.connector(name)
        with _few_attempts(connector):
            org = probe(connector)
    except AuthError as exc:
        return _failed(label, f"credentials refused: {exc}", reconnect)
    except (LedgerbridgeError, httpx.HTTPError, OSError) as exc:
        return _failed(
            label,
            f"{type(exc).__name__}: {exc}",
            "check the connection's settings (`ledgerbridge connection list`) and the network",
        )
    return _passed(label, f"organisation {org!r} answered" if org else "answered")


def check_connections(app: App) -> list[CheckResult]:
    rows = app.store.connections.list()
    if not rows:
        return [_passed("connections", "none yet (add one in the portal or with the CLI)")]
    return [check_connection(app, row.name, row.system) for row in rows]


# -- all ---------------------------------------------------------------------------------------


def run_checks(
    settings_file: Path | None = None,
    *,
    open_app: Callable[[Settings], App] | None = None,
) -> CheckReport:
    """Every check in order; later ones are skipped (and fail) when what they need failed."""
    report = CheckReport()
    results, settings = check_settings(settings_file)
    report.results.extend(results)
    if settings is None or not all(r.ok for r in results):
        report.results.append(_failed("connections", "not checked: fix the settings first"))
        return report
    database = check_database(settings)
    report.results.append(database)
    if not database.ok:
        report.results.append(_failed("connections", "not checked: fix the database first"))
        return report
    report.results.append(check_stored_secrets(settings))
    if open_app is None:

        def open_app(s: Settings) -> App:
            return bootstrap(s, migrate=False)

    app = open_app(settings)
    try:
        report.results.extend(check_connections(app))
    finally:
        app.close()
    return report
