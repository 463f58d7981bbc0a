"""SQLite tables behind the Zoho Books emulator: one JSON document per record plus indexed keys.

Search and sort columns are side columns with indexes, so paged reads over 100,000 records stay
fast; the document itself is only decoded for the rows of the page asked for.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organizations (
    org_id TEXT PRIMARY KEY, position INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    org_id TEXT NOT NULL,
    name_key TEXT NOT NULL DEFAULT '',
    email_key TEXT NOT NULL DEFAULT '',
    sku_key TEXT NOT NULL DEFAULT '',
    number_key TEXT NOT NULL DEFAULT '',
    company_key TEXT NOT NULL DEFAULT '',
    parent_id TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    ctype TEXT NOT NULL DEFAULT '',
    date_key TEXT NOT NULL DEFAULT '',
    due_key TEXT NOT NULL DEFAULT '',
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS ix_rec_modified ON records (kind, org_id, modified_ms, id);
CREATE INDEX IF NOT EXISTS ix_rec_created ON records (kind, org_id, created_ms, id);
CREATE INDEX IF NOT EXISTS ix_rec_name ON records (kind, org_id, name_key, id);
CREATE INDEX IF NOT EXISTS ix_rec_email ON records (kind, org_id, email_key);
CREATE INDEX IF NOT EXISTS ix_rec_sku ON records (kind, org_id, sku_key);
CREATE INDEX IF NOT EXISTS ix_rec_number ON records (kind, org_id, number_key, id);
CREATE INDEX IF NOT EXISTS ix_rec_company ON records (kind, org_id, company_key);
CREATE INDEX IF NOT EXISTS ix_rec_date ON records (kind, org_id, date_key, id);
CREATE INDEX IF NOT EXISTS ix_rec_due ON records (kind, org_id, due_key);
CREATE INDEX IF NOT EXISTS ix_rec_parent ON records (kind, parent_id);
CREATE TABLE IF NOT EXISTS contact_persons (person_id TEXT PRIMARY KEY, contact_id TEXT NOT NULL);
"""

Column = Literal[
    "name_key",
    "email_key",
    "sku_key",
    "number_key",
    "company_key",
    "parent_id",
    "status",
    "ctype",
    "date_key",
    "due_key",
    "created_ms",
    "modified_ms",
]
_COLUMNS: frozenset[str] = frozenset(Column.__args__)  # type: ignore[attr-defined]
_KEY_COLUMNS = (
    "name_key",
    "email_key",
    "sku_key",
    "number_key",
    "company_key",
    "parent_id",
    "status",
    "ctype",
    "date_key",
    "due_key",
)


@dataclass
class Row:
    """One record with the keys it is found and sorted by (all lower-cased where text)."""

    kind: str
    id: str
    org_id: str
    doc: dict[str, Any]
    created_ms: int
    modified_ms: int
    keys: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Condition:
    column: Column
    op: Literal["=", "like", "in", ">=", "<", "!="]
    value: Any


class BooksStore:
    """A file or ``:memory:`` SQLite database; one connection guarded by a lock."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Nested calls join the outer transaction."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    # -- meta and sequences --------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def next_numbers(self, key: str, count: int, start: int) -> range:
        """Reserve ``count`` consecutive numbers of a named sequence."""
        with self.transaction():
            current = self.get_meta(key)
            first = int(current) if current is not None else start
            self.set_meta(key, str(first + count))
        return range(first, first + count)

    # -- organizations -------------------------------------------------------------------------

    def put_organization(self, org_id: str, doc: dict[str, Any]) -> None:
        with self._lock:
            position = self._conn.execute("SELECT COUNT(*) FROM organizations").fetchone()[0]
            self._conn.execute(
                "INSERT INTO organizations (org_id, position, doc) VALUES (?, ?, ?) "
                "ON CONFLICT(org_id) DO UPDATE SET doc = excluded.doc",
                (org_id, position, json.dumps(doc)),
            )

    def organizations(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute("SELECT doc FROM organizations ORDER BY position").fetchall()
        return [json.loads(r[0]) for r in rows]

    # -- records -------------------------------------------------------------------------------

    def insert_many(self, rows: Sequence[Row]) -> None:
        params = [self._params(row) for row in rows]
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO records (kind, id, org_id, name_key, email_key, sku_key, number_key, "
                "company_key, parent_id, status, ctype, date_key, due_key, created_ms, "
                "modified_ms, doc) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params,
            )

    def insert(self, row: Row) -> None:
        self.insert_many([row])

    def replace(self, row: Row) -> None:
        p = self._params(row)
        with self._lock:
            self._conn.execute(
                "UPDATE records SET org_id = ?, name_key = ?, email_key = ?, sku_key = ?, "
                "number_key = ?, company_key = ?, parent_id = ?, status = ?, ctype = ?, "
                "date_key = ?, due_key = ?, created_ms = ?, modified_ms = ?, doc = ? "
                "WHERE kind = ? AND id = ?",
                (*p[2:], row.kind, row.id),
            )

    def delete(self, kind: str, record_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record_id))

    def get(self, kind: str, org_id: str, record_id: str) -> Row | None:
        with self._lock:
            found = self._conn.execute(
                f"SELECT {self._select_list()} FROM records "
                "WHERE kind = ? AND id = ? AND org_id = ?",
                (kind, record_id, org_id),
            ).fetchone()
        return None if found is None else self._row(found)

    def find(
        self,
        kind: str,
        org_id: str,
        conditions: Iterable[Condition] = (),
        *,
        order_by: Column = "modified_ms",
        descending: bool = False,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Row]:
        where, params = self._where(kind, org_id, conditions)
        direction = "DESC" if descending else "ASC"
        if order_by not in _COLUMNS:
            raise ValueError(order_by)
        sql = (
            f"SELECT {self._select_list()} FROM records WHERE {where} "
            f"ORDER BY {order_by} {direction}, id {direction}"
        )
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([limit, offset])
        with self._lock:
            found = self._conn.execute(sql, params).fetchall()
        return [self._row(r) for r in found]

    def count(self, kind: str, org_id: str, conditions: Iterable[Condition] = ()) -> int:
        where, params = self._where(kind, org_id, conditions)
        with self._lock:
            return int(
                self._conn.execute(
                    f"SELECT COUNT(*) FROM records WHERE {where}", params
                ).fetchone()[0]
            )

    def find_by_parent(self, kind: str, parent_id: str) -> list[Row]:
        with self._lock:
            found = self._conn.execute(
                f"SELECT {self._select_list()} FROM records WHERE kind = ? AND parent_id = ?",
                (kind, parent_id),
            ).fetchall()
        return [self._row(r) for r in found]

    def sum_open(self, kind: str, parent_id: str, statuses: Sequence[str], field: str) -> str:
        """The sum of a money field over a parent's records in some statuses, as text."""
        marks = ", ".join("?" * len(statuses))
        with self._lock:
            found = self._conn.execute(
                f"SELECT COALESCE(SUM(json_extract(doc, '$.{field}')), 0) FROM records "
                f"WHERE kind = ? AND parent_id = ? AND status IN ({marks})",
                (kind, parent_id, *statuses),
            ).fetchone()
        return str(found[0])

    # -- contact persons -----------------------------------------------------------------------

    def set_persons(self, contact_id: str, person_ids: Iterable[str]) -> None:
        with self.transaction():
            self._conn.execute("DELETE FROM contact_persons WHERE contact_id = ?", (contact_id,))
            self._conn.executemany(
                "INSERT INTO contact_persons (person_id, contact_id) VALUES (?, ?)",
                [(pid, contact_id) for pid in person_ids],
            )

    def add_persons(self, pairs: Iterable[tuple[str, str]]) -> None:
        with self.transaction():
            self._conn.executemany(
                "INSERT INTO contact_persons (person_id, contact_id) VALUES (?, ?)", list(pairs)
            )

    def contact_of_person(self, person_id: str) -> str | None:
        with self._lock:
            found = self._conn.execute(
                "SELECT contact_id FROM contact_persons WHERE person_id = ?", (person_id,)
            ).fetchone()
        return None if found is None else str(found[0])

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _select_list() -> str:
        return "kind, id, org_id, created_ms, modified_ms, doc, " + ", ".join(_KEY_COLUMNS)

    @staticmethod
    def _row(found: Sequence[Any]) -> Row:
        keys = dict(zip(_KEY_COLUMNS, found[6:], strict=True))
        return Row(found[0], found[1], found[2], json.loads(found[5]), found[3], found[4], keys)

    @staticmethod
    def _params(row: Row) -> tuple[Any, ...]:
        keys = [row.keys.get(col, "") for col in _KEY_COLUMNS]
        return (
            row.kind,
            row.id,
            row.org_id,
            *keys,
            row.created_ms,
            row.modified_ms,
            json.dumps(row.doc, ensure_ascii=False),
        )

    @staticmethod
    def _where(kind: str, org_id: str, conditions: Iterable[Condition]) -> tuple[str, list[Any]]:
        parts = ["kind = ?", "org_id = ?"]
        params: list[Any] = [kind, org_id]
        for cond in conditions:
            if cond.column not in _COLUMNS:
                raise ValueError(cond.column)
            if cond.op == "in":
                values = list(cond.value)
                if not values:
                    parts.append("0")
                    continue
                parts.append(f"{cond.column} IN ({', '.join('?' * len(values))})")
                params.extend(values)
            elif cond.op == "like":
                parts.append(f"{cond.column} LIKE ? ESCAPE '\\'")
                params.append(cond.value)
            else:
                parts.append(f"{cond.column} {cond.op} ?")
                params.append(cond.value)
        return " AND ".join(parts), params


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
