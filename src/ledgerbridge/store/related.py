"""The parent each related child had when last read (see ``tables.related_parents``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledgerbridge.store.db import insert_for
from ledgerbridge.store.tables import related_parents, utcnow

# Ids per IN (...) query: well under every database's parameter limit.
_CHUNK = 500


class RelatedParentsRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def remember(self, integration_id: int, relation: str, parents: Mapping[str, str]) -> None:
        """Keep ``child id -> parent id`` for these children, replacing what was kept."""
        if not parents:
            return
        now = utcnow()
        rows = [
            {
                "integration_id": integration_id,
                "relation": relation,
                "child_id": child,
                "parent_id": parent,
                "updated_at": now,
            }
            for child, parent in parents.items()
        ]
        insert = insert_for(self._engine, related_parents)
        statement = insert.on_conflict_do_update(
            index_elements=["integration_id", "relation", "child_id"],
            set_={"parent_id": insert.excluded.parent_id, "updated_at": insert.excluded.updated_at},
        )
        with self._engine.begin() as conn:
            conn.execute(statement, rows)

    def parents_of(
        self, integration_id: int, relation: str, children: Sequence[str]
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        wanted = list(dict.fromkeys(children))
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                rows = conn.execute(
                    sa.select(related_parents.c.child_id, related_parents.c.parent_id).where(
                        related_parents.c.integration_id == integration_id,
                        related_parents.c.relation == relation,
                        related_parents.c.child_id.in_(wanted[start : start + _CHUNK]),
                    )
                )
                out.update({str(c): str(p) for c, p in rows})
        return out

    def forget(self, integration_id: int, relation: str, children: Sequence[str]) -> None:
        wanted = list(dict.fromkeys(children))
        with self._engine.begin() as conn:
            for start in range(0, len(wanted), _CHUNK):
                conn.execute(
                    related_parents.delete().where(
                        related_parents.c.integration_id == integration_id,
                        related_parents.c.relation == relation,
                        related_parents.c.child_id.in_(wanted[start : start + _CHUNK]),
                    )
                )
