"""Pending retries: failed records, read again by id at the start of the next run."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgerbridge.domain.records import Side
from ledgerbridge.store.db import insert_for
from ledgerbridge.store.tables import pending, utcnow

_CHUNK = 500


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class PendingRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(self, integration_id: int, flow: str, side: Side, reasons: Mapping[str, str]) -> None:
        """Remember failed records (record id -> reason); a repeat counts another attempt."""
        if not reasons:
            return
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "integration_id": integration_id,
                "flow": flow,
                "side": Side(side).value,
                "record_id": rid,
                "reason": reason,
                "attempts": 1,
                "created_at": now,
                "updated_at": now,
            }
            for rid, reason in reasons.items()
        ]
        insert = insert_for(self._engine, pending)
        stmt = insert.on_conflict_do_update(
            index_elements=[
                pending.c.integration_id,
                pending.c.flow,
                pending.c.side,
                pending.c.record_id,
            ],
            set_={
                "reason": insert.excluded.reason,
                "attempts": pending.c.attempts + 1,
                "updated_at": insert.excluded.updated_at,
            },
        )
        with self._engine.begin() as conn:
            conn.execute(stmt, rows)

    def list(self, integration_id: int, flow: str, side: Side, limit: int = 10_000) -> list[str]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(pending.c.record_id)
                .where(
                    pending.c.integration_id == integration_id,
                    pending.c.flow == flow,
                    pending.c.side == Side(side).value,
                )
                .order_by(pending.c.created_at, pending.c.record_id)
                .limit(limit)
            ).scalars()
            return [str(r) for r in rows]

    def clear(self, integration_id: int, flow: str, side: Side, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._engine.begin() as conn:
            for chunk in _chunks(list(ids)):
                conn.execute(
                    pending.delete().where(
                        pending.c.integration_id == integration_id,
                        pending.c.flow == flow,
                        pending.c.side == Side(side).value,
                        pending.c.record_id.in_(chunk),
                    )
                )

    def count(self, integration_id: int) -> int:
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(pending.c.integration_id == integration_id)
                ).scalar_one()
            )

    def by_reason(self, integration_id: int) -> builtins.list[tuple[str, str, int]]:
        """The records failing now, counted by flow and reason, the most common first."""
        query = (
            sa.select(pending.c.flow, pending.c.reason, sa.func.count().label("records"))
            .where(pending.c.integration_id == integration_id)
            .group_by(pending.c.flow, pending.c.reason)
            .order_by(sa.func.count().desc(), pending.c.flow, pending.c.reason)
        )
        with self._engine.connect() as conn:
            return [(r.flow, r.reason, int(r.records)) for r in conn.execute(query)]
