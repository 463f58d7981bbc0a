"""SQLite tables of the Zoho CRM emulator: records, the recycle bin, page tokens and counters."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: fields looked up by value often (duplicate checks, upserts, integration lookups)
KEY_FIELDS = (
    "Email",
    "Account_Name",
    "Vendor_Name",
    "Product_Name",
    "Product_Code",
    "Full_Name",
    "Xero_ID",
    "Books_ID",
)
_KEY_INDEX = (
    "CREATE INDEX IF NOT EXISTS records_key_{name} ON records "
    "(module, zlower(json_extract(doc, '$.\"{name}\"')));"
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    module TEXT NOT NULL,
    id TEXT NOT NULL,
    ctime INTEGER NOT NULL,
    mtime INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (module, id)
);
CREATE INDEX IF NOT EXISTS records_mtime ON records (module, mtime, id);
CREATE INDEX IF NOT EXISTS records_ctime ON records (module, ctime, id);
{key_indexes}
CREATE TABLE IF NOT EXISTS deleted (
    module TEXT NOT NULL,
    id TEXT NOT NULL,
    display_name TEXT,
    kind TEXT NOT NULL,
    dtime INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    deleted_by TEXT NOT NULL,
    PRIMARY KEY (module, id)
);
CREATE INDEX IF NOT EXISTS deleted_time ON deleted (module, dtime, id);
CREATE TABLE IF NOT EXISTS page_tokens (
    token TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Row:
    module: str
    id: str
    ctime: int
    mtime: int
    doc: dict[str, Any]


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class Storage:
    """One SQLite connection guarded by a re-entrant lock; a file or ``:memory:``."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        target = str(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if target != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.create_function("zlower", 1, _casefold, deterministic=True)
        self._depth = 0
        indexes = "\n".join(_KEY_INDEX.format(name=name) for name in KEY_FIELDS)
        with self._lock:
            self._conn.executescript(_SCHEMA.format(key_indexes=indexes))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Nested uses join the outer transaction."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            self._conn.executemany(sql, rows)

    def next_value(self, name: str, start: int, count: int = 1) -> int:
        """Take ``count`` consecutive values and return the first."""
        with self.transaction():
            found = self.query("SELECT value FROM counters WHERE name = ?", (name,))
            first = int(found[0][0]) + 1 if found else start
            value = first + count - 1
            self.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
            return first

    # -- records -------------------------------------------------------------------------------

    @staticmethod
    def row(found: tuple[Any, ...]) -> Row:
        return Row(found[0], found[1], int(found[2]), int(found[3]), json.loads(found[4]))

    def get(self, module: str, ident: str) -> Row | None:
        found = self.query(
            "SELECT module, id, ctime, mtime, doc FROM records WHERE module = ? AND id = ?",
            (module, ident),
        )
        return self.row(found[0]) if found else None

    def get_many(self, module: str, ids: Sequence[str]) -> dict[str, Row]:
        rows: dict[str, Row] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for found in self.query(
                f"SELECT module, id, ctime, mtime, doc FROM records WHERE module = ? "
                f"AND id IN ({marks})",
                (module, *chunk),
            ):
                row = self.row(found)
                rows[row.id] = row
        return rows

    def put(self, module: str, ident: str, ctime: int, mtime: int, doc: dict[str, Any]) -> None:
        self.execute(
            "INSERT INTO records (module, id, ctime, mtime, doc) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(module, id) DO UPDATE SET mtime = excluded.mtime, doc = excluded.doc",
            (module, ident, ctime, mtime, json.dumps(doc, separators=(",", ":"))),
        )

    def put_many(self, rows: Sequence[tuple[str, str, int, int, dict[str, Any]]]) -> None:
        self.executemany(
            "INSERT INTO records (module, id, ctime, mtime, doc) VALUES (?, ?, ?, ?, ?)",
            [(m, i, c, t, json.dumps(d, separators=(",", ":"))) for m, i, c, t, d in rows],
        )

    def remove(self, module: str, ident: str) -> bool:
        return self.execute("DELETE FROM records WHERE module = ? AND id = ?", (module, ident)) > 0

    def select(self, where: str, params: Sequence[Any], tail: str = "") -> list[Row]:
        return [
            self.row(found)
            for found in self.query(
                "SELECT r.module, r.id, r.ctime, r.mtime, r.doc FROM records r "
                f"WHERE {where} {tail}",
                params,
            )
        ]

    def count(self, where: str, params: Sequence[Any]) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM records r WHERE {where}", params)[0][0])

    def trace(self, callback: Callable[[str], object] | None) -> None:
        """See every statement run (with its values), e.g. to check query plans."""
        with self._lock:
            self._conn.set_trace_callback(callback)

    def plan(self, statement: str) -> list[str]:
        """SQLite's query plan for a statement, one line per step."""
        return [str(row[3]) for row in self.query("EXPLAIN QUERY PLAN " + statement)]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
