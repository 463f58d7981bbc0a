"""Checkpoints: how far an interrupted read of one flow and side got, per window kind."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgerbridge.domain.records import Side
from ledgerbridge.store.db import insert_for
from ledgerbridge.store.tables import checkpoints, utcnow


class CheckpointRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, integration_id: int, flow: str, side: Side, window: str) -> datetime | None:
        """The modification time up to which every page was processed, if a read stopped."""
        with self._engine.connect() as conn:
            position: datetime | None = conn.execute(
                sa.select(checkpoints.c.position).where(
                    checkpoints.c.integration_id == integration_id,
                    checkpoints.c.flow == flow,
                    checkpoints.c.side == Side(side).value,
                    checkpoints.c.window == window,
                )
            ).scalar()
        return position

    def set(
        self, integration_id: int, flow: str, side: Side, window: str, position: datetime
    ) -> None:
        values = {
            "integration_id": integration_id,
            "flow": flow,
            "side": Side(side).value,
            "window": window,
            "position": position,
            "updated_at": utcnow(),
        }
        insert = insert_for(self._engine, checkpoints)
        upsert = insert.values(values).on_conflict_do_update(
            index_elements=[
                checkpoints.c.integration_id,
                checkpoints.c.flow,
                checkpoints.c.side,
                checkpoints.c.window,
            ],
            set_={"position": insert.excluded.position, "updated_at": insert.excluded.updated_at},
        )
        with self._engine.begin() as conn:
            conn.execute(upsert)

    def clear(self, integration_id: int, flow: str | None = None, side: Side | None = None) -> int:
        """Forget checkpoints (of every window kind): the read they belong to is complete."""
        query = checkpoints.delete().where(checkpoints.c.integration_id == integration_id)
        if flow is not None:
            query = query.where(checkpoints.c.flow == flow)
        if side is not None:
            query = query.where(checkpoints.c.side == Side(side).value)
        with self._engine.begin() as conn:
            return int(conn.execute(query).rowcount)

    def all(self, integration_id: int) -> dict[tuple[str, Side, str], datetime]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    checkpoints.c.flow,
                    checkpoints.c.side,
                    checkpoints.c.window,
                    checkpoints.c.position,
                ).where(checkpoints.c.integration_id == integration_id)
            ).all()
        return {(r.flow, Side(r.side), r.window): r.position for r in rows}
