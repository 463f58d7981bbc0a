"""A small JSON document store on SQLite with indexed side columns.

Each collection is one table: the document as JSON, its modified time (integer microseconds
since the epoch, so comparisons are exact), an insertion sequence for stable ordering, and a
raw plus a lower-cased side column per indexed field (dotted paths such as ``Contact.ContactID``
are allowed). Reads page inside SQLite, so 100,000 documents per collection stay fast.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ORDER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(ASC|DESC)?\s*$", re.IGNORECASE)
_IN_CHUNK = 500


def to_micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("DocStore needs timezone-aware datetimes")
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(value: int) -> datetime:
    seconds, micros = divmod(value, 1_000_000)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=micros)


def _dig(doc: dict[str, Any], path: str) -> Any:
    current: Any = doc
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _column_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if value is None or isinstance(value, str | int | float):
        return value
    return json.dumps(value, sort_keys=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


@dataclass(frozen=True)
class Row:
    """One stored document with its id, modified time and insertion sequence."""

    id: str
    doc: dict[str, Any]
    modified: datetime
    seq: int


class DuplicateIdError(KeyError):
    """insert() was given an id that is already stored."""


class Collection:
    """JSON documents of one kind; see :class:`DocStore`."""

    def __init__(self, store: DocStore, name: str, indexes: Sequence[str]) -> None:
        self._store = store
        self.name = name
        self.table = f"c_{name}"
        self.indexes: list[str] = list(indexes)
        self._columns: dict[str, tuple[str, str]] = {}

    # -- schema ----------------------------------------------------------------------------------

    def _ensure(self) -> None:
        conn = self._store.conn
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.table} ("
            "seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
            "doc TEXT NOT NULL, modified INTEGER NOT NULL)"
        )
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {self.table}_modified ON {self.table} (modified, seq)"
        )
        existing = {row[1] for row in conn.execute(f"PRAGMA table_info({self.table})")}
        backfill: list[str] = []
        for position, field in enumerate(self.indexes):
            raw, low = f"ix{position}", f"lx{position}"
            self._columns[field] = (raw, low)
            if raw not in existing:
                conn.execute(f"ALTER TABLE {self.table} ADD COLUMN {raw}")
                conn.execute(f"ALTER TABLE {self.table} ADD COLUMN {low}")
                backfill.append(field)
            conn.execute(f"CREATE INDEX IF NOT EXISTS {self.table}_{raw} ON {self.table} ({raw})")
            conn.execute(f"CREATE INDEX IF NOT EXISTS {self.table}_{low} ON {self.table} ({low})")
        if backfill and existing:
            rows = conn.execute(f"SELECT seq, doc FROM {self.table}").fetchall()
            for seq, text in rows:
                doc = json.loads(text)
                sets = ", ".join(
                    f"{self._columns[f][0]} = ?, {self._columns[f][1]} = ?" for f in backfill
                )
                values: list[Any] = []
                for f in backfill:
                    value = _column_value(_dig(doc, f))
                    values += [value, _lower(value)]
                conn.execute(f"UPDATE {self.table} SET {sets} WHERE seq = ?", [*values, seq])

    def _side_values(self, doc: dict[str, Any]) -> list[Any]:
        values: list[Any] = []
        for field in self.indexes:
            value = _column_value(_dig(doc, field))
            values += [value, _lower(value)]
        return values

    def _side_names(self) -> list[str]:
        names: list[str] = []
        for field in self.indexes:
            names += list(self._columns[field])
        return names

    # -- writes ----------------------------------------------------------------------------------

    def insert(self, doc_id: str, doc: dict[str, Any], modified: datetime) -> None:
        self.insert_many([(doc_id, doc, modified)])

    def insert_many(self, items: Iterable[tuple[str, dict[str, Any], datetime]]) -> int:
        names = ["id", "doc", "modified", *self._side_names()]
        sql = (
            f"INSERT INTO {self.table} ({', '.join(names)}) "
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        rows = [
            [doc_id, json.dumps(doc), to_micros(modified), *self._side_values(doc)]
            for doc_id, doc, modified in items
        ]
        with self._store.transaction():
            try:
                self._store.conn.executemany(sql, rows)
            except sqlite3.IntegrityError as exc:
                raise DuplicateIdError(str(exc)) from exc
        return len(rows)

    def replace(self, doc_id: str, doc: dict[str, Any], modified: datetime | None) -> bool:
        """Store a new version; ``modified=None`` keeps the old modified time. False if absent."""
        sides = self._side_names()
        sets = ", ".join(["doc = ?", *(f"{n} = ?" for n in sides)])
        values: list[Any] = [json.dumps(doc), *self._side_values(doc)]
        if modified is not None:
            sets += ", modified = ?"
            values.append(to_micros(modified))
        with self._store.transaction():
            cursor = self._store.conn.execute(
                f"UPDATE {self.table} SET {sets} WHERE id = ?", [*values, doc_id]
            )
            return cursor.rowcount > 0

    def upsert(self, doc_id: str, doc: dict[str, Any], modified: datetime) -> None:
        with self._store.transaction():
            if not self.replace(doc_id, doc, modified):
                self.insert(doc_id, doc, modified)

    def delete(self, doc_id: str) -> bool:
        with self._store.transaction():
            cursor = self._store.conn.execute(f"DELETE FROM {self.table} WHERE id = ?", [doc_id])
            return cursor.rowcount > 0

    def clear(self) -> None:
        with self._store.transaction():
            self._store.conn.execute(f"DELETE FROM {self.table}")

    # -- reads -----------------------------------------------------------------------------------

    def get(self, doc_id: str) -> dict[str, Any] | None:
        row = self.get_row(doc_id)
        return row.doc if row is not None else None

    def get_row(self, doc_id: str) -> Row | None:
        with self._store.lock:
            found = self._store.conn.execute(
                f"SELECT id, doc, modified, seq FROM {self.table} WHERE id = ?", [doc_id]
            ).fetchone()
        return self._row(found) if found is not None else None

    def get_many(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        """Documents for the ids that exist, in the order the ids were given."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, dict[str, Any]] = {}
        with self._store.lock:
            for start in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[start : start + _IN_CHUNK]
                marks = ", ".join("?" for _ in chunk)
                for doc_id, text in self._store.conn.execute(
                    f"SELECT id, doc FROM {self.table} WHERE id IN ({marks})", chunk
                ):
                    found[doc_id] = json.loads(text)
        return [found[i] for i in wanted if i in found]

    @staticmethod
    def _row(found: tuple[Any, ...]) -> Row:
        return Row(found[0], json.loads(found[1]), from_micros(found[2]), found[3])

    def _column(self, field: str, case_insensitive: bool) -> str:
        if field in ("id", "modified", "seq"):
            return field
        if field in self._columns:
            raw, low = self._columns[field]
            return low if case_insensitive else raw
        if not re.fullmatch(r"[A-Za-z0-9_.]+", field):
            raise ValueError(f"bad field name {field!r}")
        expression = f"json_extract(doc, '$.{field}')"
        return f"lower({expression})" if case_insensitive else expression

    def _where(
        self,
        where: dict[str, Any] | None,
        modified_since: datetime | None,
        case_insensitive: bool,
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        values: list[Any] = []
        for field, wanted in (where or {}).items():
            column = self._column(field, case_insensitive)
            if isinstance(wanted, list | tuple | set | frozenset):
                items = [_column_value(v) for v in wanted]
                if case_insensitive:
                    items = [_lower(v) for v in items]
                if not items:
                    clauses.append("0")
                    continue
                clauses.append(f"{column} IN ({', '.join('?' for _ in items)})")
                values += items
            elif wanted is None:
                clauses.append(f"{column} IS NULL")
            else:
                value = _column_value(wanted)
                clauses.append(f"{column} = ?")
                values.append(_lower(value) if case_insensitive else value)
        if modified_since is not None:
            clauses.append("modified >= ?")
            values.append(to_micros(modified_since))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", values

    def _order(self, order_by: str) -> str:
        parts: list[str] = []
        for piece in order_by.split(","):
            match = _ORDER.match(piece)
            if match is None:
                raise ValueError(f"bad order {order_by!r}")
            column = self._column(match.group(1), case_insensitive=False)
            parts.append(f"{column} {(match.group(2) or 'ASC').upper()}")
        return ", ".join([*parts, "seq ASC"])

    def rows(
        self,
        where: dict[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
        order_by: str = "modified",
        offset: int = 0,
        limit: int | None = None,
        case_insensitive: bool = False,
    ) -> list[Row]:
        clause, values = self._where(where, modified_since, case_insensitive)
        sql = (
            f"SELECT id, doc, modified, seq FROM {self.table}{clause} "
            f"ORDER BY {self._order(order_by)} LIMIT ? OFFSET ?"
        )
        with self._store.lock:
            found = self._store.conn.execute(
                sql, [*values, -1 if limit is None else limit, offset]
            ).fetchall()
        return [self._row(f) for f in found]

    def find(
        self,
        where: dict[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
        order_by: str = "modified",
        offset: int = 0,
        limit: int | None = None,
        case_insensitive: bool = False,
    ) -> list[dict[str, Any]]:
        """Documents matching ``where`` (field -> value, or a list of values for IN)."""
        return [
            row.doc
            for row in self.rows(
                where,
                modified_since=modified_since,
                order_by=order_by,
                offset=offset,
                limit=limit,
                case_insensitive=case_insensitive,
            )
        ]

    def find_by(
        self, field: str, values: Iterable[Any], *, case_insensitive: bool = True
    ) -> list[dict[str, Any]]:
        """Documents whose ``field`` is one of ``values`` (text compared case-insensitively)."""
        wanted = list(values)
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), _IN_CHUNK):
            found += self.find(
                {field: wanted[start : start + _IN_CHUNK]},
                order_by="seq",
                case_insensitive=case_insensitive,
            )
        return found

    def count(
        self,
        where: dict[str, Any] | None = None,
        *,
        modified_since: datetime | None = None,
        case_insensitive: bool = False,
    ) -> int:
        clause, values = self._where(where, modified_since, case_insensitive)
        with self._store.lock:
            found = self._store.conn.execute(
                f"SELECT COUNT(*) FROM {self.table}{clause}", values
            ).fetchone()
        return int(found[0])

    def ids(self) -> list[str]:
        with self._store.lock:
            return [r[0] for r in self._store.conn.execute(f"SELECT id FROM {self.table}")]

    def __len__(self) -> int:
        return self.count()


class DocStore:
    """SQLite file or ``":memory:"``; one connection guarded by a re-entrant lock."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self.lock = threading.RLock()
        # autocommit mode; transaction() issues BEGIN/COMMIT itself
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS sandbox_counters (name TEXT PRIMARY KEY, value INTEGER)"
        )
        self._collections: dict[str, Collection] = {}
        self._depth = 0

    def collection(self, name: str, indexes: Sequence[str] = ()) -> Collection:
        if not _NAME.match(name):
            raise ValueError(f"bad collection name {name!r}")
        with self.lock:
            existing = self._collections.get(name)
            if existing is not None:
                missing = [f for f in indexes if f not in existing.indexes]
                if not missing:
                    return existing
                existing.indexes += missing
                with self.transaction():
                    existing._ensure()
                return existing
            made = Collection(self, name, indexes)
            with self.transaction():
                made._ensure()
            self._collections[name] = made
            return made

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together; nested calls join the outer transaction."""
        with self.lock:
            outer = self._depth == 0
            if outer:
                self.conn.execute("BEGIN")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self.conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self.conn.execute("COMMIT")

    def next_value(self, name: str, start: int = 1) -> int:
        """A named counter (invoice numbers, sequences) that survives restarts of a file store."""
        with self.transaction():
            found = self.conn.execute(
                "SELECT value FROM sandbox_counters WHERE name = ?", [name]
            ).fetchone()
            value = start if found is None else int(found[0]) + 1
            self.conn.execute(
                "INSERT INTO sandbox_counters (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                [name, value],
            )
            return value

    def close(self) -> None:
        with self.lock:
            self.conn.close()
