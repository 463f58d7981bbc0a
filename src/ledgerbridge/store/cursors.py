"""Cursors: per flow and side, the modification time changes have been read up to."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgerbridge.domain.records import Side
from ledgerbridge.store.db import insert_for
from ledgerbridge.store.tables import cursors, utcnow


class CursorRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, integration_id: int, flow: str, side: Side) -> datetime | None:
        """The stored position; ``None`` when never set or reset (read everything)."""
        with self._engine.connect() as conn:
            position: datetime | None = conn.execute(
                sa.select(cursors.c.position).where(
                    cursors.c.integration_id == integration_id,
                    cursors.c.flow == flow,
                    cursors.c.side == Side(side).value,
                )
            ).scalar()
        return position

    def set(self, integration_id: int, flow: str, side: Side, position: datetime | None) -> None:
        values = {
            "integration_id": integration_id,
            "flow": flow,
            "side": Side(side).value,
            "position": position,
            "updated_at": utcnow(),
        }
        insert = insert_for(self._engine, cursors)
        upsert = insert.values(values).on_conflict_do_update(
            index_elements=[cursors.c.integration_id, cursors.c.flow, cursors.c.side],
            set_={"position": insert.excluded.position, "updated_at": insert.excluded.updated_at},
        )
        with self._engine.begin() as conn:
            conn.execute(upsert)

    def all(self, integration_id: int) -> dict[tuple[str, Side], datetime | None]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(cursors.c.flow, cursors.c.side, cursors.c.position).where(
                    cursors.c.integration_id == integration_id
                )
            ).all()
        return {(r.flow, Side(r.side)): r.position for r in rows}

    def reset(self, integration_id: int, flow: str | None = None) -> int:
        """Forget positions (all flows, or one) so the next run reads everything again."""
        query = cursors.delete().where(cursors.c.integration_id == integration_id)
        if flow is not None:
            query = query.where(cursors.c.flow == flow)
        with self._engine.begin() as conn:
            return int(conn.execute(query).rowcount)
