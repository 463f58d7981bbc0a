"""Who may see which integration: admins see all; other users only the ones they own.

An integration someone cannot see is refused exactly like one that does not exist, so its
name does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.store import IntegrationRow, Store
from ledgerbridge.store.users import User


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
