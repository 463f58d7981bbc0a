"""Figures owed: records whose accounting figures are still to be written to the CRM."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgerbridge.domain.records import Side
from ledgerbridge.store.db import insert_for
from ledgerbridge.store.tables import figures_owed, utcnow

_CHUNK = 500


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class FiguresOwedRepository:
    """Only owed rows are kept, so reading them costs what is owed, not what is bound."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def mark(self, integration_id: int, flow: str, side: Side, ids: Iterable[str]) -> None:
        """Mark ``ids`` owed (a repeat is a no-op)."""
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "integration_id": integration_id,
                "flow": flow,
                "side": Side(side).value,
                "record_id": rid,
                "created_at": now,
            }
            for rid in sorted(set(ids))
        ]
        if not rows:
            return
        insert = insert_for(self._engine, figures_owed)
        with self._engine.begin() as conn:
            conn.execute(insert.on_conflict_do_nothing(), rows)

    def owed(self, integration_id: int) -> dict[str, dict[Side, set[str]]]:
        """Every owed id of the integration, per flow and side."""
        out: dict[str, dict[Side, set[str]]] = {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(figures_owed.c.flow, figures_owed.c.side, figures_owed.c.record_id).where(
                    figures_owed.c.integration_id == integration_id
                )
            )
            for flow, side, rid in rows:
                sides = out.setdefault(str(flow), {Side.CRM: set(), Side.BOOKS: set()})
                sides[Side(side)].add(str(rid))
        return out

    def clear(self, integration_id: int, flow: str, side: Side, ids: Sequence[str]) -> None:
        if not ids:
            return
        with self._engine.begin() as conn:
            for chunk in _chunks(sorted(ids)):
                conn.execute(
                    figures_owed.delete().where(
                        figures_owed.c.integration_id == integration_id,
                        figures_owed.c.flow == flow,
                        figures_owed.c.side == Side(side).value,
                        figures_owed.c.record_id.in_(chunk),
                    )
                )

    def count(self, integration_id: int) -> int:
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(
                        figures_owed.c.integration_id == integration_id
                    )
                ).scalar_one()
            )
