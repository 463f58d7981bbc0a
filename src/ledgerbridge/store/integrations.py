"""Integrations and their flows, stored as rows and rebuilt into validated config."""

from __future__ import annotations

import builtins
import enum
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pydantic
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from ledgerbridge.domain.config import FlowConfig, IntegrationConfig, ScheduleConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.store.crypto import SecretBox
from ledgerbridge.store.tables import (
    bindings,
    checkpoints,
    connections,
    created_records,
    creates_in_flight,
    cursors,
    figures_owed,
    flows,
    integrations,
    utcnow,
)


class IntegrationState(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # nothing runs until resumed; changes made meanwhile sync afterwards
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class IntegrationRow:
    """A stored integration; connections are given by name, flows in their configured order."""

    id: int
    name: str
    recipe: str
    crm_connection: str
    books_connection: str
    state: IntegrationState
    notify_email: str | None
    schedule: ScheduleConfig
    flows: tuple[FlowConfig, ...]
    created_at: datetime
    updated_at: datetime
    # The portal user who made it (None: made from the CLI or config files; admins only).
    owner_id: int | None = None

    def flow(self, name: str) -> FlowConfig:
        for flow in self.flows:
            if flow.name == name:
                return flow
        known = ", ".join(f.name for f in self.flows) or "none"
        raise ConfigError(f"integration {self.name!r} has no flow {name!r}; its flows: {known}")


_crm = connections.alias("crm_connection")
_books = connections.alias("books_connection")

_SELECT = sa.select(
    integrations.c.id,
    integrations.c.name,
    integrations.c.recipe,
    integrations.c.state,
    integrations.c.notify_email,
    integrations.c.schedule,
    integrations.c.created_at,
    integrations.c.updated_at,
    integrations.c.owner_id,
    _crm.c.name.label("crm_connection"),
    _books.c.name.label("books_connection"),
).select_from(
    integrations.join(_crm, _crm.c.id == integrations.c.crm_connection_id).join(
        _books, _books.c.id == integrations.c.books_connection_id
    )
)


def _missing(name: str) -> ConfigError:
    return ConfigError(
        f"no integration named {name!r}; `ledgerbridge integration list` shows the names"
    )


def _problem(exc: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()
    )


def _flow_config(integration: str, flow: str, stored: Any) -> FlowConfig:
    try:
        return FlowConfig.model_validate(stored)
    except pydantic.ValidationError as exc:
        raise ConfigError(
            f"integration {integration!r}, flow {flow!r}: the stored flow config is no longer "
            f"valid ({_problem(exc)}); fix it and run `ledgerbridge integration import --replace`"
        ) from None


def _schedule(integration: str, stored: Any) -> ScheduleConfig:
    try:
        return ScheduleConfig.model_validate(stored)
    except pydantic.ValidationError as exc:
        raise ConfigError(
            f"integration {integration!r}: the stored schedule is no longer valid "
            f"({_problem(exc)}); fix it and run `ledgerbridge integration import --replace`"
        ) from None


def _parse_state(state: str) -> IntegrationState:
    try:
        return IntegrationState(state)
    except ValueError:
        allowed = ", ".join(s.value for s in IntegrationState)
        raise ConfigError(f"unknown integration state {state!r}; use one of {allowed}") from None


def _flow_rows(integration_id: int, configs: Iterable[FlowConfig]) -> list[dict[str, Any]]:
    return [
        {
            "integration_id": integration_id,
            "name": flow.name,
            "position": position,
            "config": flow.model_dump(mode="json"),
        }
        for position, flow in enumerate(configs)
    ]


class IntegrationRepository:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def create(self, config: IntegrationConfig, *, owner_id: int | None = None) -> IntegrationRow:
        exists = ConfigError(
            f"an integration named {config.name!r} already exists; choose another name or "
            "`ledgerbridge integration import --replace`"
        )
        try:
            with self._engine.begin() as conn:
                taken = conn.execute(
                    sa.select(integrations.c.id).where(integrations.c.name == config.name)
                ).first()
                if taken is not None:
                    raise exists
                crm_id, books_id = _connection_ids(conn, config)
                now = utcnow()
                new_id = conn.execute(
                    integrations.insert()
                    .values(
                        name=config.name,
                        recipe=config.recipe,
                        crm_connection_id=crm_id,
                        books_connection_id=books_id,
                        state=IntegrationState.ACTIVE.value,
                        notify_email=config.notify_email,
                        schedule=config.schedule.model_dump(mode="json"),
                        settings={},
                        owner_id=owner_id,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(integrations.c.id)
                ).scalar_one()
                conn.execute(flows.insert(), _flow_rows(new_id, config.flows))
        except sa.exc.IntegrityError:
            # Another process created the same name between our check and the insert.
            raise exists from None
        return self.get_by_id(new_id)

    def replace(self, config: IntegrationConfig) -> IntegrationRow:
        """Update an integration in place from ``config``.

        Flows that remain keep their bindings and cursors (so nothing is created twice);
        flows that are gone lose theirs, with their checkpoints and the list of records they
        created. State and run history are kept.
        """
        with self._engine.begin() as conn:
            integration_id = conn.execute(
                sa.select(integrations.c.id).where(integrations.c.name == config.name)
            ).scalar()
            if integration_id is None:
                raise _missing(config.name)
            crm_id, books_id = _connection_ids(conn, config)
            conn.execute(
                integrations.update()
                .where(integrations.c.id == integration_id)
                .values(
                    recipe=config.recipe,
                    crm_connection_id=crm_id,
                    books_connection_id=books_id,
                    notify_email=config.notify_email,
                    schedule=config.schedule.model_dump(mode="json"),
                    updated_at=utcnow(),
                )
            )
            existing = {
                r.name: r.id
                for r in conn.execute(
                    sa.select(flows.c.id, flows.c.name).where(
                        flows.c.integration_id == integration_id
                    )
                )
            }
            rows = _flow_rows(integration_id, config.flows)
            kept = [r for r in rows if r["name"] in existing]
            added = [r for r in rows if r["name"] not in existing]
            gone = sorted(set(existing) - {r["name"] for r in rows})
            if kept:
                conn.execute(
                    flows.update()
                    .where(flows.c.id == sa.bindparam("flow_id"))
                    .values(position=sa.bindparam("position"), config=sa.bindparam("config")),
                    [
                        {
                            "flow_id": existing[r["name"]],
                            "position": r["position"],
                            "config": r["config"],
                        }
                        for r in kept
                    ],
                )
            if added:
                conn.execute(flows.insert(), added)
            if gone:
                for table in (
                    bindings,
                    cursors,
                    checkpoints,
                    created_records,
                    figures_owed,
                    creates_in_flight,
                ):
                    conn.execute(
                        table.delete().where(
                            table.c.integration_id == integration_id, table.c.flow.in_(gone)
                        )
                    )
                conn.execute(
                    flows.delete().where(
                        flows.c.integration_id == integration_id, flows.c.name.in_(gone)
                    )
                )
        return self.get_by_id(integration_id)

    def get(self, name: str) -> IntegrationRow:
        found = self._load(integrations.c.name == name)
        if not found:
            raise _missing(name)
        return found[0]

    def get_by_id(self, integration_id: int) -> IntegrationRow:
        found = self._load(integrations.c.id == integration_id)
        if not found:
            raise ConfigError(
                f"no integration with id {integration_id}; "
                "`ledgerbridge integration list` shows the names"
            )
        return found[0]

    def list(self) -> builtins.list[IntegrationRow]:
        return self._load(None)

    def config(self, name: str) -> IntegrationConfig:
        """The integration as config-as-code: what ``integration export`` writes."""
        row = self.get(name)
        try:
            return IntegrationConfig(
                name=row.name,
                recipe=row.recipe,
                crm_connection=row.crm_connection,
                books_connection=row.books_connection,
                notify_email=row.notify_email,
                schedule=row.schedule,
                flows=row.flows,
            )
        except pydantic.ValidationError as exc:
            raise ConfigError(
                f"integration {name!r}: the stored config is no longer valid ({_problem(exc)}); "
                "fix it and run `ledgerbridge integration import --replace`"
            ) from None

    def set_state(self, name: str, state: str) -> IntegrationRow:
        parsed = _parse_state(state)
        with self._engine.begin() as conn:
            result = conn.execute(
                integrations.update()
                .where(integrations.c.name == name)
                .values(state=parsed.value, updated_at=utcnow())
            )
        if result.rowcount != 1:
            raise _missing(name)
        return self.get(name)

    def delete(self, name: str) -> None:
        """Delete the integration with its flows, bindings, cursors and runs."""
        with self._engine.begin() as conn:
            result = conn.execute(integrations.delete().where(integrations.c.name == name))
        if result.rowcount != 1:
            raise _missing(name)

    def settings(self, name: str) -> dict[str, Any]:
        """Free-form per-integration settings kept outside the config (e.g. webhook state)."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(integrations.c.settings).where(integrations.c.name == name)
            ).first()
        if row is None:
            raise _missing(name)
        return dict(row.settings)

    def update_settings(self, name: str, settings: dict[str, Any]) -> None:
        with self._engine.begin() as conn:
            result = conn.execute(
                integrations.update()
                .where(integrations.c.name == name)
                .values(settings=settings, updated_at=utcnow())
            )
        if result.rowcount != 1:
            raise _missing(name)

    def button_secret(self, name: str) -> str:
        """The secret that authenticates single-record sync URLs; made on first use."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(integrations.c.button_secret_encrypted).where(integrations.c.name == name)
            ).first()
        if row is None:
            raise _missing(name)
        if row.button_secret_encrypted is not None:
            return self._box.decrypt_text(bytes(row.button_secret_encrypted))
        fresh = secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            # Only fills an empty slot: when two callers race, both return the winner's secret.
            conn.execute(
                integrations.update()
                .where(
                    integrations.c.name == name,
                    integrations.c.button_secret_encrypted.is_(None),
                )
                .values(button_secret_encrypted=self._box.encrypt_text(fresh))
            )
        return self.button_secret(name)

    def rotate_button_secret(self, name: str) -> str:
        """Replace the button secret; URLs built with the old one stop working."""
        fresh = secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            result = conn.execute(
                integrations.update()
                .where(integrations.c.name == name)
                .values(button_secret_encrypted=self._box.encrypt_text(fresh), updated_at=utcnow())
            )
        if result.rowcount != 1:
            raise _missing(name)
        return fresh

    def _load(self, where: sa.ColumnElement[bool] | None) -> builtins.list[IntegrationRow]:
        query = _SELECT.order_by(integrations.c.name)
        if where is not None:
            query = query.where(where)
        with self._engine.connect() as conn:
            heads = conn.execute(query).mappings().all()
            if not heads:
                return []
            ids = [h["id"] for h in heads]
            flow_query = sa.select(flows.c.integration_id, flows.c.name, flows.c.config).order_by(
                flows.c.integration_id, flows.c.position, flows.c.id
            )
            if where is not None:
                flow_query = flow_query.where(flows.c.integration_id.in_(ids))
            flow_rows = conn.execute(flow_query).all()
        by_integration: dict[int, builtins.list[tuple[str, Any]]] = {}
        for f in flow_rows:
            by_integration.setdefault(f.integration_id, []).append((f.name, f.config))
        return [_integration_row(h, by_integration.get(h["id"], [])) for h in heads]


def _integration_row(head: RowMapping, stored_flows: Sequence[tuple[str, Any]]) -> IntegrationRow:
    name = head["name"]
    return IntegrationRow(
        id=head["id"],
        name=name,
        recipe=head["recipe"],
        crm_connection=head["crm_connection"],
        books_connection=head["books_connection"],
        state=_parse_state(head["state"]),
        notify_email=head["notify_email"],
        schedule=_schedule(name, head["schedule"]),
        flows=tuple(_flow_config(name, flow, cfg) for flow, cfg in stored_flows),
        created_at=head["created_at"],
        updated_at=head["updated_at"],
        owner_id=head["owner_id"],
    )


def _connection_ids(conn: Connection, config: IntegrationConfig) -> tuple[int, int]:
    names = {config.crm_connection, config.books_connection}
    found = {
        r.name: r.id
        for r in conn.execute(
            sa.select(connections.c.id, connections.c.name).where(connections.c.name.in_(names))
        )
    }
    for role, name in (("CRM", config.crm_connection), ("accounting", config.books_connection)):
        if name not in found:
            raise ConfigError(
                f"integration {config.name!r}: no {role} connection named {name!r}; "
                "`ledgerbridge connection list` shows the names"
            )
    return found[config.crm_connection], found[config.books_connection]
