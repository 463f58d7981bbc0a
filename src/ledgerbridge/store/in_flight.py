"""Creates in flight: sent to the other system, not yet bound."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgerbridge.domain.records import Side
from ledgerbridge.store.db import insert_for
from ledgerbridge.store.tables import creates_in_flight, utcnow

_CHUNK = 500

# A match key a new record was sent with: (field on its side, key kind, normalised value).
SentKey = tuple[str, str, str]


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class InFlightRepository:
    """Rows live from just before a create is sent until its binding is stored, so the table
    holds nothing between runs unless a run died in that window."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def put(
        self, integration_id: int, flow: str, side: Side, sent: Mapping[str, list[SentKey]]
    ) -> None:
        """Note creates on ``side`` about to be sent: source id -> the keys sent with it."""
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {
                "integration_id": integration_id,
                "flow": flow,
                "side": Side(side).value,
                "source_id": source_id,
                "sent_keys": {"keys": [list(k) for k in keys]},
                "created_at": now,
            }
            for source_id, keys in sent.items()
        ]
        if not rows:
            return
        insert = insert_for(self._engine, creates_in_flight)
        stmt = insert.on_conflict_do_update(
            index_elements=["integration_id", "flow", "side", "source_id"],
            set_={
                "sent_keys": insert.excluded["sent_keys"],
                "created_at": insert.excluded["created_at"],
            },
        )
        with self._engine.begin() as conn:
            conn.execute(stmt, rows)

    def forget(self, integration_id: int, flow: str, side: Side, source_ids: Sequence[str]) -> None:
        if not source_ids:
            return
        with self._engine.begin() as conn:
            for chunk in _chunks(sorted(set(source_ids))):
                conn.execute(
                    creates_in_flight.delete().where(
                        creates_in_flight.c.integration_id == integration_id,
                        creates_in_flight.c.flow == flow,
                        creates_in_flight.c.side == Side(side).value,
                        creates_in_flight.c.source_id.in_(chunk),
                    )
                )

    def sent(self, integration_id: int, flow: str, side: Side) -> dict[str, list[SentKey]]:
        """Every create of ``flow`` on ``side`` still in flight: source id -> keys sent."""
        out: dict[str, list[SentKey]] = {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(creates_in_flight.c.source_id, creates_in_flight.c.sent_keys).where(
                    creates_in_flight.c.integration_id == integration_id,
                    creates_in_flight.c.flow == flow,
                    creates_in_flight.c.side == Side(side).value,
                )
            )
            for source_id, doc in rows:
                keys = doc.get("keys", []) if isinstance(doc, dict) else []
                out[str(source_id)] = [(str(f), str(k), str(v)) for f, k, v in keys]
        return out
