"""The state store: connections, integrations, bindings, cursors and runs in SQL.

``Store`` is the one entry point; every method is synchronous and runs in its own
transaction, committed when it returns.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from ledgerbridge.store.bindings import BindingRepository
from ledgerbridge.store.checkpoints import CheckpointRepository
from ledgerbridge.store.connections import ConnectionRepository, ConnectionRow
from ledgerbridge.store.created import CreatedRepository
from ledgerbridge.store.crypto import SecretBox
from ledgerbridge.store.cursors import CursorRepository
from ledgerbridge.store.db import StatementCounter, make_engine, sqlite_url
from ledgerbridge.store.figures import FiguresOwedRepository
from ledgerbridge.store.in_flight import InFlightRepository
from ledgerbridge.store.integrations import IntegrationRepository, IntegrationRow, IntegrationState
from ledgerbridge.store.migrate import is_current, upgrade
from ledgerbridge.store.pending import PendingRepository
from ledgerbridge.store.related import RelatedParentsRepository
from ledgerbridge.store.runs import RunRepository
from ledgerbridge.store.tokens import TokenRepository
from ledgerbridge.store.users import UsersRepository


class Store:
    """The repositories over one engine."""

    def __init__(self, engine: Engine, secrets: SecretBox) -> None:
        self.engine = engine
        self.connections = ConnectionRepository(engine, secrets)
        self.integrations = IntegrationRepository(engine, secrets)
        self.bindings = BindingRepository(engine)
        self.cursors = CursorRepository(engine)
        self.runs = RunRepository(engine)
        self.pending = PendingRepository(engine)
        self.checkpoints = CheckpointRepository(engine)
        self.created = CreatedRepository(engine)
        self.related = RelatedParentsRepository(engine)
        self.figures_owed = FiguresOwedRepository(engine)
        self.in_flight = InFlightRepository(engine)
        self.tokens = TokenRepository(engine)
        self.users = UsersRepository(engine)

    @classmethod
    def open(cls, url: str, secrets: SecretBox, *, migrate: bool = True) -> Store:
        """A store on ``url``, its schema brought up to date unless ``migrate`` is false."""
        engine = make_engine(url)
        if migrate and not is_current(engine):
            upgrade(engine)
        return cls(engine, secrets)

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self.engine.url.render_as_string(hide_password=True)})"


__all__ = [
    "ConnectionRow",
    "IntegrationRow",
    "IntegrationState",
    "SecretBox",
    "StatementCounter",
    "Store",
    "make_engine",
    "sqlite_url",
]
