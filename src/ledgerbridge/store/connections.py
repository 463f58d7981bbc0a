"""Connections: one authorised account of one system, with its secrets encrypted at rest."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from ledgerbridge.domain.errors import ConfigError, StateError
from ledgerbridge.store.crypto import SecretBox
from ledgerbridge.store.tables import connections, integrations, utcnow


@dataclass(frozen=True, slots=True)
class ConnectionRow:
    """A stored connection without its secrets (read them with ``ConnectionRepository.secrets``)."""

    id: int
    name: str
    system: str
    settings: Mapping[str, Any] = field(repr=False)
    secrets_version: int
    created_at: datetime
    updated_at: datetime
    # The portal user who added it (None: added from the CLI; admins manage it).
    owner_id: int | None = None


def _row(r: RowMapping) -> ConnectionRow:
    return ConnectionRow(
        id=r["id"],
        name=r["name"],
        system=r["system"],
        settings=dict(r["settings"]),
        secrets_version=r["secrets_version"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        owner_id=r["owner_id"],
    )


_COLUMNS = (
    connections.c.id,
    connections.c.name,
    connections.c.system,
    connections.c.settings,
    connections.c.secrets_version,
    connections.c.created_at,
    connections.c.updated_at,
    connections.c.owner_id,
)


def _missing(name: str) -> ConfigError:
    return ConfigError(
        f"no connection named {name!r}; `ledgerbridge connection list` shows the names"
    )


class ConnectionRepository:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def add(
        self,
        name: str,
        system: str,
        settings: dict[str, Any],
        secrets: dict[str, Any],
        *,
        owner_id: int | None = None,
    ) -> ConnectionRow:
        if not name.strip():
            raise ConfigError("a connection needs a name")
        now = utcnow()
        blob = self._box.encrypt_json(secrets)
        try:
            with self._engine.begin() as conn:
                new_id = conn.execute(
                    connections.insert()
                    .values(
                        name=name,
                        system=system,
                        settings=settings,
                        secrets=blob,
                        secrets_version=1,
                        owner_id=owner_id,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(connections.c.id)
                ).scalar_one()
        except sa.exc.IntegrityError:
            raise ConfigError(
                f"a connection named {name!r} already exists; choose another name or "
                "re-authorise the existing one"
            ) from None
        return self.get_by_id(new_id)

    def get(self, name: str) -> ConnectionRow:
        with self._engine.connect() as conn:
            r = (
                conn.execute(sa.select(*_COLUMNS).where(connections.c.name == name))
                .mappings()
                .first()
            )
        if r is None:
            raise _missing(name)
        return _row(r)

    def get_by_id(self, connection_id: int) -> ConnectionRow:
        with self._engine.connect() as conn:
            r = (
                conn.execute(sa.select(*_COLUMNS).where(connections.c.id == connection_id))
                .mappings()
                .first()
            )
        if r is None:
            raise ConfigError(
                f"no connection with id {connection_id}; "
                "`ledgerbridge connection list` shows the names"
            )
        return _row(r)

    def list(self) -> builtins.list[ConnectionRow]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(*_COLUMNS).order_by(connections.c.name)).mappings()
            return [_row(r) for r in rows]

    def secrets(self, name: str) -> tuple[dict[str, Any], int]:
        """The decrypted secrets and their version (pass it to ``replace_secrets``)."""
        with self._engine.connect() as conn:
            r = conn.execute(
                sa.select(connections.c.secrets, connections.c.secrets_version).where(
                    connections.c.name == name
                )
            ).first()
        if r is None:
            raise _missing(name)
        return self._box.decrypt_json(bytes(r.secrets)), int(r.secrets_version)

    def replace_secrets(self, name: str, secrets: dict[str, Any], *, expected_version: int) -> bool:
        """Store new secrets if nobody changed them since ``expected_version`` was read.

        One conditional UPDATE makes this a compare-and-swap: when two workers refresh a
        rotating OAuth token at once, exactly one stores its token; the other gets ``False``
        and must read the winner's secrets instead of using its own.
        """
        blob = self._box.encrypt_json(secrets)
        with self._engine.begin() as conn:
            result = conn.execute(
                connections.update()
                .where(
                    connections.c.name == name,
                    connections.c.secrets_version == expected_version,
                )
                .values(
                    secrets=blob,
                    secrets_version=connections.c.secrets_version + 1,
                    updated_at=utcnow(),
                )
            )
            if result.rowcount == 1:
                return True
            exists = conn.execute(
                sa.select(connections.c.id).where(connections.c.name == name)
            ).first()
        if exists is None:
            raise _missing(name)
        return False

    def update_settings(self, name: str, settings: dict[str, Any]) -> ConnectionRow:
        with self._engine.begin() as conn:
            result = conn.execute(
                connections.update()
                .where(connections.c.name == name)
                .values(settings=settings, updated_at=utcnow())
            )
        if result.rowcount != 1:
            raise _missing(name)
        return self.get(name)

    def delete(self, name: str) -> None:
        """Delete a connection that no integration uses."""
        try:
            self._delete(name)
        except sa.exc.IntegrityError:
            # An integration started using it between our check and the delete.
            raise StateError(
                f"connection {name!r} is used by an integration; "
                "delete it or point it at another connection first"
            ) from None

    def _delete(self, name: str) -> None:
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(connections.c.id).where(connections.c.name == name)
            ).first()
            if row is None:
                raise _missing(name)
            users = (
                conn.execute(
                    sa.select(integrations.c.name)
                    .where(
                        sa.or_(
                            integrations.c.crm_connection_id == row.id,
                            integrations.c.books_connection_id == row.id,
                        )
                    )
                    .order_by(integrations.c.name)
                )
                .scalars()
                .all()
            )
            if users:
                raise StateError(
                    f"connection {name!r} is used by integration(s) {', '.join(users)}; "
                    "delete them or point them at another connection first"
                )
            conn.execute(connections.delete().where(connections.c.id == row.id))
