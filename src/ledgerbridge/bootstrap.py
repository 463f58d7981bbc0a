"""The one place that chooses real or fake parts and wires them together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ledgerbridge.connectors import memory_file
from ledgerbridge.connectors.base import Connector
from ledgerbridge.connectors.http.tokens import SecretsTokenStore
from ledgerbridge.connectors.memory import MemoryConnector
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.engine.model import Systems
from ledgerbridge.engine.sync import SyncEngine
from ledgerbridge.notify.settings import load_smtp_settings
from ledgerbridge.notify.summary import SummaryMailer
from ledgerbridge.settings import Settings
from ledgerbridge.store import ConnectionRow, IntegrationRow, SecretBox, Store

SYSTEMS = ("memory", "zoho_crm", "xero", "zoho_books")

ConnectorFactory = Callable[[ConnectionRow, "App"], Connector]


@dataclass
class App:
    """A wired application: settings, store, engine and the connectors it has opened."""

    settings: Settings
    store: Store
    engine: SyncEngine
    factories: dict[str, ConnectorFactory] = field(default_factory=dict)
    _open: dict[str, Connector] = field(default_factory=dict)
    # Job threads share one App: a connection is opened once however many ask at a time.
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def connector(self, name: str) -> Connector:
        with self._lock:
            if name not in self._open:
                row = self.store.connections.get(name)
                factory = self.factories.get(row.system)
                if factory is None:
                    raise ConfigError(
                        f"connection {name} is of system {row.system!r}, which this installation "
                        f"cannot open; known systems: {', '.join(sorted(self.factories))}"
                    )
                self._open[name] = factory(row, self)
            return self._open[name]

    def systems(self, integration: IntegrationRow) -> Systems:
        return Systems(
            crm=self.connector(integration.crm_connection),
            books=self.connector(integration.books_connection),
        )

    def opened(self) -> dict[str, Connector]:
        """The connectors opened so far, by connection name (metrics read their budgets)."""
        with self._lock:
            return dict(self._open)

    def use(self, name: str, connector: Connector) -> None:
        """Hand in an already opened connector (tests, the demo)."""
        self._open[name] = connector

    def forget(self, name: str) -> None:
        """Drop the opened connector of ``name``, so the next job opens it afresh.

        Called when its settings or secrets changed or it was deleted; an in-memory system
        is saved first.
        """
        with self._lock:
            conn = self._open.pop(name, None)
        if not isinstance(conn, MemoryConnector):
            return
        try:
            row = self.store.connections.get(name)
        except ConfigError:
            return
        path = _memory_path(row, self.settings)
        if path is not None:
            memory_file.save(conn, path)

    def save(self) -> None:
        """Persist what file-backed in-memory systems hold."""
        for name, conn in self._open.items():
            row = self.store.connections.get(name)
            if row.system == "memory" and isinstance(conn, MemoryConnector):
                path = _memory_path(row, self.settings)
                if path is not None:
                    memory_file.save(conn, path)

    def release(self, integration: IntegrationRow) -> None:
        """Save and forget the integration's file-backed in-memory systems after a job.

        Another process (a second worker) may run the next job of this integration, so the
        next job here reads the file again instead of a copy that may be stale.
        """
        for name in (integration.crm_connection, integration.books_connection):
            with self._lock:
                conn = self._open.get(name)
                if not isinstance(conn, MemoryConnector):
                    continue
                path = _memory_path(self.store.connections.get(name), self.settings)
                if path is not None:
                    memory_file.save(conn, path)
                    del self._open[name]

    def close(self) -> None:
        self.save()
        self.store.close()


def _memory_path(row: ConnectionRow, settings: Settings) -> Path | None:
    raw = row.settings.get("path")
    if raw is None:
        return settings.data_dir / "memory" / f"{row.name}.pickle"
    return Path(str(raw)) if raw else None


def _open_memory(row: ConnectionRow, app: App) -> Connector:
    path = _memory_path(row, app.settings)
    if path is None:
        return MemoryConnector(row.name)
    return memory_file.load(path, row.name)


def token_store(app: App, name: str) -> SecretsTokenStore:
    """The OAuth tokens of connection ``name``, kept encrypted in the store."""
    connections = app.store.connections
    return SecretsTokenStore(
        lambda: connections.secrets(name),
        lambda secrets, version: connections.replace_secrets(
            name, secrets, expected_version=version
        ),
    )


def _open_zoho_crm(row: ConnectionRow, app: App) -> Connector:
    from ledgerbridge.connectors.zoho_crm.connector import from_connection

    return from_connection(dict(row.settings), token_store(app, row.name))


def _open_xero(row: ConnectionRow, app: App) -> Connector:
    from ledgerbridge.connectors.xero.connector import from_connection

    return from_connection(dict(row.settings), token_store(app, row.name))


def _open_zoho_books(row: ConnectionRow, app: App) -> Connector:
    from ledgerbridge.connectors.zoho_books.connector import from_connection

    return from_connection(dict(row.settings), token_store(app, row.name))


def bootstrap(settings: Settings, *, migrate: bool = True) -> App:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The settings already read the key from the environment, the settings file or a secret
    # file; only they are consulted, so every source works the same way.
    secrets = SecretBox.from_environment(
        settings.data_dir,
        allow_generate=settings.development,
        environ=settings.secret_key_environ(),
    )
    store = Store.open(settings.db_url, secrets, migrate=migrate)
    smtp = load_smtp_settings()
    engine = SyncEngine(
        store,
        budget_reserve=settings.api_reserve,
        notifier=SummaryMailer(smtp) if smtp.configured else None,
    )
    app = App(settings=settings, store=store, engine=engine)
    app.factories["memory"] = _open_memory
    app.factories["zoho_crm"] = _open_zoho_crm
    app.factories["xero"] = _open_xero
    app.factories["zoho_books"] = _open_zoho_books
    return app
