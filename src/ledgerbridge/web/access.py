"""Who may see which integration: admins see all; other users only the ones they own.

An integration someone cannot see is refused exactly like one that does not exist, so its
name does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.store import ConnectionRow, IntegrationRow, Store
from ledgerbridge.store.users import User


class ConnectionHiddenError(ConfigError):
    """No connection of that name that this principal may use (it may exist for others)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no connection named {name!r}")
        self.name = name


class IntegrationHiddenError(ConfigError):
    """No integration of that name that this principal may see (it may exist for others)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"no integration named {name!r}; `ledgerbridge integration list` shows the names"
        )
        self.name = name


@dataclass(frozen=True, slots=True)
class Principal:
    """Whoever a request acts for: a portal user, or an installation-wide API token.

    ``user_id`` is None for an installation-wide token (made from the CLI, not tied to a user);
    such a principal is an admin.
    """

    user_id: int | None
    email: str
    is_admin: bool

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user_id=user.id, email=user.email, is_admin=user.is_admin)

    def can_see(self, integration: IntegrationRow) -> bool:
        if self.is_admin:
            return True
        return self.user_id is not None and integration.owner_id == self.user_id

    def can_manage(self, connection: ConnectionRow) -> bool:
        """May reconnect, disconnect or delete ``connection``: admins, and whoever added it."""
        if self.is_admin:
            return True
        return self.user_id is not None and connection.owner_id == self.user_id


def visible_integrations(store: Store, principal: Principal) -> list[IntegrationRow]:
    """The integrations ``principal`` may see, by name."""
    return [row for row in store.integrations.list() if principal.can_see(row)]


def require_integration(store: Store, principal: Principal, name: str) -> IntegrationRow:
    """The integration ``name`` if ``principal`` may see it; else refused as if it did not exist."""
    try:
        row = store.integrations.get(name)
    except ConfigError:
        raise IntegrationHiddenError(name) from None
    if not principal.can_see(row):
        raise IntegrationHiddenError(name)
    return row


def visible_connections(store: Store, principal: Principal) -> list[ConnectionRow]:
    """The connections ``principal`` may use: its own, and those its integrations use."""
    rows = store.connections.list()
    if principal.is_admin:
        return rows
    used = {
        name
        for integration in visible_integrations(store, principal)
        for name in (integration.crm_connection, integration.books_connection)
    }
    return [row for row in rows if principal.can_manage(row) or row.name in used]


def require_connection(store: Store, principal: Principal, name: str) -> ConnectionRow:
    """The connection ``name`` if ``principal`` may manage it; else refused as if missing."""
    try:
        row = store.connections.get(name)
    except ConfigError:
        raise ConnectionHiddenError(name) from None
    if not principal.can_manage(row):
        raise ConnectionHiddenError(name)
    return row
