"""Bindings: the hot path of every sync, read and written in bulk.

Every method works on many bindings with a bounded number of statements: lookups by external
id go through the unique indexes in chunks, writes are one executemany in one transaction.
JSON values (``base``, ``extra``) come back as stored: Decimals and datetimes as strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.errors import StateError
from ledgerbridge.domain.records import Side
from ledgerbridge.store.tables import bindings, utcnow

# Keeps each IN list well inside every driver's parameter limit and the plans index-only.
LOOKUP_CHUNK = 500

_COLUMNS = (
    bindings.c.id,
    bindings.c.crm_id,
    bindings.c.books_id,
    bindings.c.base,
    bindings.c.crm_hash,
    bindings.c.books_hash,
    bindings.c.crm_modified_at,
    bindings.c.books_modified_at,
    bindings.c.extra,
)

_GET_MANY = {
    side: sa.select(*_COLUMNS).where(
        bindings.c.integration_id == sa.bindparam("integration_id"),
        bindings.c.flow == sa.bindparam("flow"),
        column.in_(sa.bindparam("ids", expanding=True)),
    )
    for side, column in ((Side.CRM, bindings.c.crm_id), (Side.BOOKS, bindings.c.books_id))
}

_UPDATE = (
    bindings.update()
    .where(
        bindings.c.id == sa.bindparam("b_id"),
        bindings.c.integration_id == sa.bindparam("b_integration_id"),
        bindings.c.flow == sa.bindparam("b_flow"),
    )
    .values(
        crm_id=sa.bindparam("crm_id"),
        books_id=sa.bindparam("books_id"),
        base=sa.bindparam("base"),
        crm_hash=sa.bindparam("crm_hash"),
        books_hash=sa.bindparam("books_hash"),
        crm_modified_at=sa.bindparam("crm_modified_at"),
        books_modified_at=sa.bindparam("books_modified_at"),
        extra=sa.bindparam("extra"),
        updated_at=sa.bindparam("updated_at"),
    )
)


def _binding(r: RowMapping) -> Binding:
    return Binding(
        id=r["id"],
        crm_id=r["crm_id"],
        books_id=r["books_id"],
        base=r["base"],
        crm_hash=r["crm_hash"],
        books_hash=r["books_hash"],
        crm_modified_at=r["crm_modified_at"],
        books_modified_at=r["books_modified_at"],
        extra=r["extra"],
    )


def _values(b: Binding, now: datetime) -> dict[str, Any]:
    return {
        "crm_id": b.crm_id,
        "books_id": b.books_id,
        "base": dict(b.base),
        "crm_hash": b.crm_hash,
        "books_hash": b.books_hash,
        "crm_modified_at": b.crm_modified_at,
        "books_modified_at": b.books_modified_at,
        "extra": dict(b.extra),
        "updated_at": now,
    }


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _repeated(values: Sequence[str]) -> set[str]:
    return {value for value, n in Counter(values).items() if n > 1}


def _insert_returning_ids(
    conn: Connection, integration_id: int, flow: str, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` in bulk and return their new ids in input order.

    A plain executemany plus a lookup by the unique CRM ids, rather than INSERT ... RETURNING:
    SQLite does not promise RETURNING rows in input order (SQLAlchemy then inserts row by row),
    and on PostgreSQL the multi-row RETURNING statement costs more to build than it saves.
    """
    conn.execute(bindings.insert(), rows)
    ids: dict[str, int] = {}
    crm_ids = [r["crm_id"] for r in rows]
    for chunk in _chunks(crm_ids, LOOKUP_CHUNK):
        found = conn.execute(
            sa.select(bindings.c.crm_id, bindings.c.id).where(
                bindings.c.crm_id.in_(chunk),
                bindings.c.integration_id == integration_id,
                bindings.c.flow == flow,
            )
        )
        ids.update({r.crm_id: r.id for r in found})
    return [ids[c] for c in crm_ids]


class BindingRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get_many(
        self, integration_id: int, flow: str, side: Side, ids: Sequence[str]
    ) -> dict[str, Binding]:
        """The bindings whose id on ``side`` is in ``ids``, keyed by that id."""
        side = Side(side)
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Binding] = {}
        if not wanted:
            return found
        query = _GET_MANY[side]
        with self._engine.connect() as conn:
            for chunk in _chunks(wanted, LOOKUP_CHUNK):
                rows = conn.execute(
                    query, {"integration_id": integration_id, "flow": flow, "ids": list(chunk)}
                ).mappings()
                for r in rows:
                    binding = _binding(r)
                    found[binding.id_on(side)] = binding
        return found

    def insert_many(
        self, integration_id: int, flow: str, items: Sequence[Binding]
    ) -> list[Binding]:
        """Store new bindings in one committed transaction; returns them with their ids.

        A binding whose CRM or accounting id is already bound in this flow is refused with a
        ``StateError`` and nothing of the batch is stored.
        """
        if not items:
            return []
        now = utcnow()
        rows = [
            {**_values(b, now), "integration_id": integration_id, "flow": flow, "created_at": now}
            for b in items
        ]
        try:
            with self._engine.begin() as conn:
                new_ids = _insert_returning_ids(conn, integration_id, flow, rows)
        except sa.exc.IntegrityError:
            raise self._conflict(integration_id, flow, items) from None
        return [
            Binding(
                id=new_id,
                crm_id=b.crm_id,
                books_id=b.books_id,
                base=b.base,
                crm_hash=b.crm_hash,
                books_hash=b.books_hash,
                crm_modified_at=b.crm_modified_at,
                books_modified_at=b.books_modified_at,
                extra=b.extra,
            )
            for new_id, b in zip(new_ids, items, strict=True)
        ]

    def update_many(self, integration_id: int, flow: str, items: Sequence[Binding]) -> None:
        """Rewrite bindings by id in one committed transaction."""
        if not items:
            return
        unsaved = [b.crm_id for b in items if b.id is None]
        if unsaved:
            raise StateError(
                f"flow {flow}: cannot update bindings that were never stored "
                f"(crm ids {', '.join(unsaved[:10])}); insert them first"
            )
        now = utcnow()
        rows = [
            {**_values(b, now), "b_id": b.id, "b_integration_id": integration_id, "b_flow": flow}
            for b in items
        ]
        try:
            with self._engine.begin() as conn:
                conn.execute(_UPDATE, rows)
        except sa.exc.IntegrityError:
            raise self._conflict(integration_id, flow, items) from None

    def delete_many(self, integration_id: int, flow: str, binding_ids: Sequence[int]) -> int:
        """Delete bindings by id; returns how many were deleted."""
        ids = list(dict.fromkeys(binding_ids))
        deleted = 0
        if not ids:
            return deleted
        with self._engine.begin() as conn:
            for chunk in _chunks(ids, LOOKUP_CHUNK):
                result = conn.execute(
                    bindings.delete().where(
                        bindings.c.integration_id == integration_id,
                        bindings.c.flow == flow,
                        bindings.c.id.in_(chunk),
                    )
                )
                deleted += result.rowcount
        return deleted

    def count(self, integration_id: int, flow: str | None = None) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(bindings)
            .where(bindings.c.integration_id == integration_id)
        )
        if flow is not None:
            query = query.where(bindings.c.flow == flow)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def counts(self, integration_ids: Iterable[int]) -> dict[tuple[int, str], int]:
        """Bindings per (integration, flow) of many integrations in one query.

        No index leads with (integration_id, flow) (see the table), so each ``count`` reads
        the table: a page listing many integrations asks once here instead.
        """
        wanted = sorted(set(integration_ids))
        if not wanted:
            return {}
        query = (
            sa.select(bindings.c.integration_id, bindings.c.flow, sa.func.count())
            .where(bindings.c.integration_id.in_(wanted))
            .group_by(bindings.c.integration_id, bindings.c.flow)
        )
        with self._engine.connect() as conn:
            return {(int(i), str(f)): int(n) for i, f, n in conn.execute(query)}

    def iter_all(self, integration_id: int, flow: str, chunk: int = 1000) -> Iterator[Binding]:
        """Every binding of a flow in id order, read page by page (keyset pagination).

        Each page is its own short read, so no transaction stays open while the caller works.
        """
        last_id = 0
        while True:
            query = (
                sa.select(*_COLUMNS)
                .where(
                    bindings.c.integration_id == integration_id,
                    bindings.c.flow == flow,
                    bindings.c.id > last_id,
                )
                .order_by(bindings.c.id)
                .limit(chunk)
            )
            with self._engine.connect() as conn:
                page = [_binding(r) for r in conn.execute(query).mappings()]
            yield from page
            if len(page) < chunk:
                return
            last_id = page[-1].id or last_id

    def _conflict(self, integration_id: int, flow: str, items: Sequence[Binding]) -> StateError:
        """Names the ids that broke the one-binding-per-record rule."""
        problems: list[str] = []
        for side in Side:
            ids = [b.id_on(side) for b in items]
            clash = _repeated(ids)
            own_ids = {b.id for b in items if b.id is not None}
            stored = self.get_many(integration_id, flow, side, ids)
            clash |= {i for i, b in stored.items() if b.id not in own_ids}
            if clash:
                shown = sorted(clash)
                more = f" and {len(shown) - 10} more" if len(shown) > 10 else ""
                problems.append(f"{side.value} ids {', '.join(shown[:10])}{more}")
        detail = "; ".join(problems) or "a binding changed while it was being written"
        return StateError(f"flow {flow}: already bound, each record can be bound once: {detail}")
