"""Records an integration created itself, as opposed to records it found and linked."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgerbridge.domain.records import Side
from ledgerbridge.store.db import insert_for
from ledgerbridge.store.tables import created_records, utcnow


class CreatedRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, integration_id: int, flow: str, side: Side, ids: Iterable[str]) -> None:
        now = utcnow()
        rows = [
            {
                "integration_id": integration_id,
                "flow": flow,
                "side": Side(side).value,
                "record_id": i,
                "created_at": now,
            }
            for i in dict.fromkeys(ids)
        ]
        if not rows:
            return
        insert = insert_for(self._engine, created_records)
        with self._engine.begin() as conn:
            conn.execute(insert.on_conflict_do_nothing(), rows)

    def list(self, integration_id: int, flow: str, side: Side) -> builtins.list[str]:
        with self._engine.connect() as conn:
            return [
                str(r)
                for r in conn.execute(
                    sa.select(created_records.c.record_id)
                    .where(
                        created_records.c.integration_id == integration_id,
                        created_records.c.flow == flow,
                        created_records.c.side == Side(side).value,
                    )
                    .order_by(created_records.c.record_id)
                ).scalars()
            ]

    def forget(self, integration_id: int, flow: str, side: Side, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        with self._engine.begin() as conn:
            return int(
                conn.execute(
                    created_records.delete().where(
                        created_records.c.integration_id == integration_id,
                        created_records.c.flow == flow,
                        created_records.c.side == Side(side).value,
                        created_records.c.record_id.in_(list(ids)),
                    )
                ).rowcount
            )
