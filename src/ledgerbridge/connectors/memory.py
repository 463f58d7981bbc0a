"""An in-memory system that behaves like the real APIs: paged change feeds, batch limits,
mixed batch answers, unique fields, idempotent writes, and switchable failures.

The sync engine's tests, the demo and the benchmarks run on it, so it is built to hold 100,000
records per module and serve a change feed in O(log n + k): every write appends to a
modification log ordered by time; entries superseded by a later write of the same record are
skipped when read and dropped by an occasional compaction.
"""

from __future__ import annotations

import collections
import copy
import random
import threading
import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol

from ledgerbridge.connectors.base import Budget, Capabilities
from ledgerbridge.connectors.faults import FaultPlan
from ledgerbridge.domain.errors import ConfigError, DailyLimitError
from ledgerbridge.domain.records import (
    Draft,
    FieldInfo,
    ModuleInfo,
    OrgInfo,
    Page,
    Patch,
    Record,
    WriteError,
    WriteResult,
)

Normalizer = Callable[[str, dict[str, Any]], dict[str, Any]]

DEFAULT_CAPABILITIES = Capabilities(
    page_size=200, batch_size=100, lookup_batch=100, idempotency=True, webhooks=False
)

# Values that are never mutated in place, so sharing them is as good as copying them.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), Decimal, date, datetime, time})
# Compaction waits for this many superseded entries, so small tables never pay for it.
_COMPACT_MIN = 4096


class Clock(Protocol):
    def __call__(self) -> datetime:
        """The current time, timezone-aware."""
        ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class TickingClock:
    """A deterministic clock: each reading returns the current time, then moves on by ``step``."""

    def __init__(
        self, start: datetime | None = None, step: timedelta = timedelta(milliseconds=1)
    ) -> None:
        start = start if start is not None else datetime(2025, 1, 1, tzinfo=UTC)
        if start.utcoffset() is None:
            raise ValueError("TickingClock needs a timezone-aware start")
        if step <= timedelta(0):
            raise ValueError("TickingClock step must be positive so readings strictly increase")
        self._now = start.astimezone(UTC)
        self._step = step
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            now = self._now
            self._now = now + self._step
            return now

    def advance(self, delta: timedelta) -> None:
        if delta < timedelta(0):
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += delta

    def peek(self) -> datetime:
        return self._now


@dataclass(frozen=True)
class ModuleRules:
    """How the server validates and names the records of one module."""

    required: tuple[str, ...] = ()  # present and non-empty on create
    unique: tuple[str, ...] = ()  # unique (trimmed, case-insensitive) among live records
    id_prefix: str = ""
    id_style: Literal["counter", "uuid"] = "counter"


def trim_strings(module: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Strip surrounding whitespace from every text value, nested ones included."""
    return {k: v.strip() if v.__class__ is str else _trim(v) for k, v in fields.items()}


def _trim(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trim(v) for v in value]
    return value


def _ingest(value: Any) -> Any:
    """A private copy of a caller's value, shaped as JSON would carry it."""
    kind = type(value)
    if kind in _IMMUTABLE:
        return value
    if kind is dict:
        return {str(k): v if v.__class__ in _IMMUTABLE else _ingest(v) for k, v in value.items()}
    if isinstance(value, Mapping):
        return {str(k): _ingest(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_ingest(v) for v in value]
    return copy.deepcopy(value)


def _clone(value: Any) -> Any:
    # Stored values hold only dicts, lists and immutable scalars (see _ingest).
    kind = type(value)
    if kind is dict:
        return {k: _clone(v) for k, v in value.items()}
    if kind is list:
        return [_clone(v) for v in value]
    return value


def _clone_fields(fields: Mapping[str, Any], only: tuple[str, ...] | None) -> dict[str, Any]:
    if only is None:
        return {k: v if v.__class__ in _IMMUTABLE else _clone(v) for k, v in fields.items()}
    return {k: _clone(fields[k]) for k in only if k in fields}


def _export(row: Record, only: tuple[str, ...] | None = None) -> Record:
    return Record(row.id, row.module, _clone_fields(row.fields, only), row.modified_at, row.deleted)


def _norm_key(value: Any) -> str | None:
    """Text as Xero ``where`` and Zoho criteria compare it: trimmed and case-insensitive."""
    if value is None or isinstance(value, dict | list):
        return None
    text = value if isinstance(value, str) else str(value)
    return text.strip().casefold() or None


def _collect(value: Any, path: tuple[str, ...], out: set[str]) -> None:
    # Lists fan out, so a path like ContactPersons.EmailAddress reaches every person.
    if type(value) is list:
        for item in value:
            _collect(item, path, out)
        return
    if not path:
        key = _norm_key(value)
        if key is not None:
            out.add(key)
        return
    if isinstance(value, Mapping):
        inner = value.get(path[0])
        if inner is not None:
            _collect(inner, path[1:], out)


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | dict) and not value


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _KeyIndex:
    """Live record ids by the normalised value at one field path."""

    __slots__ = ("extra", "first", "path")

    def __init__(self, path: str) -> None:
        self.path = tuple(path.split("."))
        # Most keys have one holder; the rare others keep the rest in ``extra``.
        self.first: dict[str, str] = {}
        self.extra: dict[str, list[str]] = {}

    def keys_of(self, fields: Mapping[str, Any] | None) -> set[str]:
        out: set[str] = set()
        if fields is None:
            return out
        if len(self.path) == 1:
            # The common case, a plain text field, without the general walk.
            value = fields.get(self.path[0])
            if value.__class__ is str:
                key = value.strip().casefold()
                if key:
                    out.add(key)
                return out
        _collect(fields, self.path, out)
        return out

    def holders(self, key: str) -> list[str]:
        first = self.first.get(key)
        if first is None:
            return []
        return [first, *self.extra.get(key, ())]

    def other_holder(self, key: str, id: str | None) -> str | None:
        for holder in self.holders(key):
            if holder != id:
                return holder
        return None

    def replace(
        self, id: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> None:
        old_keys = self.keys_of(old)
        new_keys = self.keys_of(new)
        if old_keys == new_keys:
            return
        for key in old_keys - new_keys:
            self._remove(key, id)
        for key in new_keys - old_keys:
            self._add(key, id)

    def _add(self, key: str, id: str) -> None:
        if key in self.first:
            self.extra.setdefault(key, []).append(id)
        else:
            self.first[key] = id

    def _remove(self, key: str, id: str) -> None:
        rest = self.extra.get(key)
        if self.first.get(key) == id:
            if rest:
                self.first[key] = rest.pop(0)
            else:
                del self.first[key]
        elif rest is not None:
            rest.remove(id)
        if rest is not None and not rest:
            del self.extra[key]


def _field_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "number"
    if isinstance(value, float | Decimal):
        return "decimal"
    if isinstance(value, dict):
        return "lookup"
    if isinstance(value, list):
        return "subform"
    return "text"


class _Table:
    """One module's records, modification log, indexes and remembered idempotent answers."""

    def __init__(self, name: str, rules: ModuleRules, seed: str) -> None:
        self.name = name
        self.rules = rules
        self.rows: dict[str, Record] = {}  # live records and tombstones
        self.live = 0
        # The modification log: parallel lists in write order, times never decreasing.
        self.times: list[datetime] = []
        self.ids: list[str] = []
        self.seqs: list[int] = []
        self.current: dict[str, int] = {}  # id -> seq of its latest log entry
        self.next_seq = 0
        self.generation = 0  # bumped by each compaction, so readers re-find their place
        self.last_time: datetime | None = None
        self.counter = 0
        self.rng = random.Random(seed)
        self.indexes: dict[str, _KeyIndex] = {f: _KeyIndex(f) for f in rules.unique}
        self.replies: dict[str, WriteResult] = {}
        self.field_types: dict[str, str] = {}

    def new_id(self) -> str:
        while True:
            if self.rules.id_style == "uuid":
                tail = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            else:
                self.counter += 1
                tail = str(self.counter)
            candidate = f"{self.rules.id_prefix}{tail}"
            if candidate not in self.rows:
                return candidate

    def live_row(self, id: str) -> Record | None:
        row = self.rows.get(id)
        return None if row is None or row.deleted else row

    def index(self, path: str) -> _KeyIndex:
        found = self.indexes.get(path)
        if found is None:
            found = _KeyIndex(path)
            for row in self.rows.values():
                if not row.deleted:
                    found.replace(row.id, None, row.fields)
            self.indexes[path] = found
        return found

    def stamp(self, clock: Clock) -> datetime:
        now = clock()
        if now.utcoffset() is None:
            raise ValueError("the clock returned a naive datetime")
        # A server's modification times never go backwards; the log relies on it.
        if self.last_time is not None and now < self.last_time:
            now = self.last_time
        self.last_time = now
        return now

    def store(self, id: str, fields: dict[str, Any] | None, when: datetime) -> Record:
        """Write a record's new state (``None`` leaves a tombstone) and log the change."""
        old = self.live_row(id)
        old_fields = old.fields if old is not None else None
        for index in self.indexes.values():
            index.replace(id, old_fields, fields)
        if fields is None:
            # A plain dict (not a shared read-only mapping), so a saved system can be pickled.
            row = Record(id, self.name, {}, when, deleted=True)
        else:
            row = Record(id, self.name, fields, when)
            if not fields.keys() <= self.field_types.keys():
                for name, value in fields.items():
                    if name not in self.field_types and value is not None:
                        self.field_types[name] = _field_type(value)
        self.live += (fields is not None) - (old is not None)
        self.rows[id] = row
        seq = self.next_seq
        self.next_seq += 1
        self.times.append(when)
        self.ids.append(id)
        self.seqs.append(seq)
        self.current[id] = seq
        if len(self.seqs) - len(self.current) > max(_COMPACT_MIN, len(self.current)):
            self._compact()
        return row

    def _compact(self) -> None:
        current = self.current
        keep = [
            i
            for i, (id, seq) in enumerate(zip(self.ids, self.seqs, strict=True))
            if current[id] == seq
        ]
        self.times = [self.times[i] for i in keep]
        self.ids = [self.ids[i] for i in keep]
        self.seqs = [self.seqs[i] for i in keep]
        self.generation += 1


class MemoryConnector:
    """A whole system held in memory, honouring :class:`~ledgerbridge.connectors.base.Connector`.

    The Protocol methods are API calls: they are counted in :attr:`calls` and meet the failures
    of :attr:`faults`. ``put``, ``edit``, ``delete``, ``record``, ``all`` and ``count`` are a
    person working in the system's own screens: not counted, never failing by injection.
    """

    def __init__(
        self,
        system: str = "memory",
        *,
        clock: Clock | None = None,
        capabilities: Capabilities | None = None,
        modules: Mapping[str, ModuleRules] | None = None,
        base_currency: str = "USD",
        normalize: Normalizer | None = trim_strings,
        faults: FaultPlan | None = None,
        daily_budget: int | None = None,
    ) -> None:
        self.system = system
        self.capabilities = capabilities if capabilities is not None else DEFAULT_CAPABILITIES
        self.base_currency = base_currency
        self.normalize = normalize
        self.faults = faults
        # API calls allowed per day (None: no limit); ``reset_budget`` starts a new day.
        self.daily_budget = daily_budget
        self.spent_today = 0
        self.calls: collections.Counter[str] = collections.Counter()
        # Log entries examined by read_changes: shows a feed read touches only what changed.
        self.entries_scanned = 0
        self._clock: Clock = clock if clock is not None else utc_now
        self._lock = threading.RLock()
        # A system configured with modules refuses others, as a real API answers 404.
        self._closed = modules is not None
        self._tables: dict[str, _Table] = {}
        for name, rules in (modules or {}).items():
            self._tables[name] = self._new_table(name, rules)

    # -- the Connector Protocol ------------------------------------------------------------

    def describe(self) -> OrgInfo:
        with self._lock:
            self._call("describe")
            modules = tuple(self._module_info(t) for t in self._tables.values())
        return OrgInfo(
            name=f"{self.system} organisation", base_currency=self.base_currency, modules=modules
        )

    def read_changes(
        self, module: str, since: datetime | None, *, fields: Sequence[str] | None = None
    ) -> Iterator[Page]:
        """Pages of records modified at or after ``since``, ascending by (modified_at, id).

        With a ``since``, tombstones of records deleted since then come too; without one the
        feed lists the live records. Pages are read lazily: a record modified while the pages
        are being read may come again on a later page, as with real paged APIs.
        """
        if since is not None and since.utcoffset() is None:
            raise ValueError("read_changes needs a timezone-aware since")
        with self._lock:
            table = self._table(module)
        only = None if fields is None else tuple(dict.fromkeys(fields))
        return self._pages(table, since, only)

    def get_many(self, module: str, ids: Sequence[str]) -> list[Record]:
        with self._lock:
            table = self._table(module)
        found: list[Record] = []
        for chunk in _chunks(list(dict.fromkeys(ids)), self.capabilities.lookup_batch):
            with self._lock:
                self._call("get_many")
                for id in chunk:
                    row = table.live_row(id)
                    if row is not None:
                        found.append(_export(row))
        return found

    def find_many(self, module: str, field: str, values: Sequence[str]) -> list[Record]:
        with self._lock:
            table = self._table(module)
        keys = list(dict.fromkeys(k for k in map(_norm_key, values) if k is not None))
        found: list[Record] = []
        seen: set[str] = set()
        for chunk in _chunks(keys, self.capabilities.lookup_batch):
            with self._lock:
                self._call("find_many")
                index = table.index(field)
                for key in chunk:
                    for id in index.holders(key):
                        if id not in seen:
                            seen.add(id)
                            found.append(_export(table.rows[id]))
        return found

    def create_many(self, module: str, drafts: Sequence[Draft]) -> list[WriteResult]:
        with self._lock:
            table = self._table(module)
        results: list[WriteResult] = []
        for chunk in _chunks(drafts, self.capabilities.batch_size):
            with self._lock:
                self._call("create_many")
                answers = [self._create_one(table, draft) for draft in chunk]
                if self.faults is not None:
                    self.faults.after_write(self.system, "create_many")
            results.extend(answers)
        return results

    def archive_many(self, module: str, ids: Sequence[str]) -> list[WriteResult]:
        """Archive records: they leave the live records and the feed shows a tombstone."""
        with self._lock:
            table = self._table(module)
        results: list[WriteResult] = []
        for chunk in _chunks(list(ids), self.capabilities.batch_size):
            with self._lock:
                self._call("archive_many")
                for id in chunk:
                    if table.live_row(id) is None:
                        error = WriteError(
                            code="not_found",
                            message=f"the record {id} does not exist in {table.name}",
                        )
                        results.append(WriteResult(ref=id, ok=False, error=error))
                        continue
                    table.store(id, None, table.stamp(self._clock))
                    results.append(WriteResult(ref=id, ok=True, id=id))
                if self.faults is not None:
                    self.faults.after_write(self.system, "archive_many")
        return results

    def budget(self) -> Budget | None:
        """What is left of today's calls, when a daily budget is set."""
        with self._lock:
            if self.daily_budget is None:
                return None
            left = max(self.daily_budget - self.spent_today, 0)
            return Budget(remaining=left, resets_at=self._next_reset())

    def reset_budget(self) -> None:
        """A new day: the daily budget is whole again."""
        with self._lock:
            self.spent_today = 0

    def update_many(self, module: str, patches: Sequence[Patch]) -> list[WriteResult]:
        with self._lock:
            table = self._table(module)
        results: list[WriteResult] = []
        for chunk in _chunks(patches, self.capabilities.batch_size):
            with self._lock:
                self._call("update_many")
                answers = [self._update_one(table, patch) for patch in chunk]
                if self.faults is not None:
                    self.faults.after_write(self.system, "update_many")
            results.extend(answers)
        return results

    # -- a person working in the system ----------------------------------------------------

    def put(self, module: str, fields: Mapping[str, Any], *, id: str | None = None) -> Record:
        """Create a record as a user would; no validation, no call counted."""
        with self._lock:
            table = self._table(module)
            if id is None:
                id = table.new_id()
            elif table.live_row(id) is not None:
                raise ValueError(f"{module} already has a record {id}")
            row = table.store(id, self._fresh(module, fields), table.stamp(self._clock))
            return _export(row)

    def edit(self, module: str, id: str, changes: Mapping[str, Any]) -> Record:
        """Change a record as a user would (a ``None`` value clears the field)."""
        with self._lock:
            table = self._table(module)
            row = self._existing(table, id)
            merged = _merge(row.fields, self._prepare(module, changes))
            return _export(table.store(id, merged, table.stamp(self._clock)))

    def delete(self, module: str, id: str) -> None:
        """Delete a record; its tombstone stays in the change feed."""
        with self._lock:
            table = self._table(module)
            self._existing(table, id)
            table.store(id, None, table.stamp(self._clock))

    def record(self, module: str, id: str) -> Record | None:
        with self._lock:
            row = self._table(module).live_row(id)
            return None if row is None else _export(row)

    def all(self, module: str) -> list[Record]:
        with self._lock:
            return [_export(r) for r in self._table(module).rows.values() if not r.deleted]

    def count(self, module: str) -> int:
        with self._lock:
            return self._table(module).live

    def reset_calls(self) -> None:
        """Forget the counted calls and scanned log entries."""
        with self._lock:
            self.calls.clear()
            self.entries_scanned = 0

    # -- inside the server -----------------------------------------------------------------

    def _new_table(self, name: str, rules: ModuleRules) -> _Table:
        return _Table(name, rules, seed=f"{self.system}:{name}")

    def _table(self, module: str) -> _Table:
        table = self._tables.get(module)
        if table is None:
            if self._closed:
                known = ", ".join(sorted(self._tables))
                raise ConfigError(f"{self.system} has no module {module!r} (it has: {known})")
            table = self._tables[module] = self._new_table(module, ModuleRules())
        return table

    def _next_reset(self) -> datetime:
        now = self._clock().astimezone(UTC)
        return datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)

    def _call(self, method: str) -> None:
        if self.daily_budget is not None:
            if self.spent_today >= self.daily_budget:
                reset = self._next_reset()
                raise DailyLimitError(
                    f"{self.system}: the daily limit of {self.daily_budget} API calls is "
                    f"reached; it resets at {reset:%Y-%m-%d %H:%M} UTC",
                    reset_at=reset,
                )
            self.spent_today += 1
        self.calls[method] += 1
        if self.faults is not None:
            self.faults.before_call(self.system, method)

    def _prepare(self, module: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        own: dict[str, Any] = _ingest(fields)
        return own if self.normalize is None else self.normalize(module, own)

    def _fresh(self, module: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        # A new record does not keep empty (None) fields, as an update clears them.
        return {k: v for k, v in self._prepare(module, fields).items() if v is not None}

    def _existing(self, table: _Table, id: str) -> Record:
        row = table.live_row(id)
        if row is None:
            raise KeyError(f"{table.name} has no record {id}")
        return row

    def _replay(self, table: _Table, key: str | None, ref: str) -> WriteResult | None:
        if key is None or not self.capabilities.idempotency:
            return None
        first = table.replies.get(key)
        if first is None:
            return None
        record = None if first.record is None else _export(first.record)
        return replace(first, ref=ref, record=record)

    def _remember(self, table: _Table, key: str | None, result: WriteResult) -> None:
        # Only successes are remembered: a refused record may be sent again, fixed, same key.
        if key is not None and self.capabilities.idempotency:
            table.replies[key] = result

    def _create_one(self, table: _Table, draft: Draft) -> WriteResult:
        replayed = self._replay(table, draft.idempotency_key, draft.ref)
        if replayed is not None:
            return replayed
        fields = self._fresh(table.name, draft.fields)
        error = self._validate(table, fields, touched=None, id=None)
        if error is not None:
            return WriteResult(ref=draft.ref, ok=False, error=error)
        id = table.new_id()
        row = table.store(id, fields, table.stamp(self._clock))
        self._remember(table, draft.idempotency_key, WriteResult(draft.ref, True, id, row))
        return WriteResult(ref=draft.ref, ok=True, id=id, record=_export(row))

    def _update_one(self, table: _Table, patch: Patch) -> WriteResult:
        replayed = self._replay(table, patch.idempotency_key, patch.id)
        if replayed is not None:
            return replayed
        row = table.live_row(patch.id)
        if row is None:
            error = WriteError(
                code="not_found",
                message=f"the record {patch.id} does not exist in {table.name}",
            )
            return WriteResult(ref=patch.id, ok=False, error=error)
        changes = self._prepare(table.name, patch.fields)
        merged = _merge(row.fields, changes)
        invalid = self._validate(table, merged, touched=changes.keys(), id=patch.id)
        if invalid is not None:
            return WriteResult(ref=patch.id, ok=False, error=invalid)
        stored = table.store(patch.id, merged, table.stamp(self._clock))
        self._remember(table, patch.idempotency_key, WriteResult(patch.id, True, patch.id, stored))
        return WriteResult(ref=patch.id, ok=True, id=patch.id, record=_export(stored))

    def _validate(
        self,
        table: _Table,
        fields: Mapping[str, Any],
        *,
        touched: Iterable[str] | None,
        id: str | None,
    ) -> WriteError | None:
        """Why the server refuses this record, or ``None``.

        ``touched`` is the set of fields an update sends (``None`` on create): an update is only
        checked on what it changes, as the real APIs do.
        """
        refusal = None if self.faults is None else self.faults.refuse(table.name, fields)
        if refusal is not None:
            return WriteError(code="invalid", message=refusal)
        sent = None if touched is None else set(touched)
        rules = table.rules
        for name in rules.required:
            if (sent is None or name in sent) and _is_empty(_value_at(fields, name)):
                return WriteError(
                    code="mandatory_missing",
                    message=f"required field not found: {name}",
                    field=name,
                )
        for name in rules.unique:
            if sent is not None and name.split(".", 1)[0] not in sent:
                continue
            index = table.indexes[name]
            for key in sorted(index.keys_of(fields)):
                holder = index.other_holder(key, id)
                if holder is not None:
                    value = _value_at(fields, name)
                    shown = value if isinstance(value, str) else key
                    return WriteError(
                        code="duplicate",
                        message=(
                            f"The {name} '{shown}' is already assigned to another record "
                            f"({holder}). The {name} must be unique across all active "
                            f"{table.name}."
                        ),
                        field=name,
                        duplicate_id=holder,
                    )
        return None

    def _module_info(self, table: _Table) -> ModuleInfo:
        rules = table.rules
        names = dict.fromkeys((*rules.required, *rules.unique, *table.field_types))
        infos = tuple(
            FieldInfo(
                name=name,
                label=name.replace("_", " ").replace(".", " "),
                type=table.field_types.get(name, "text"),
                required=name in rules.required,
            )
            for name in names
        )
        return ModuleInfo(name=table.name, label=table.name.replace("_", " "), fields=infos)

    def _pages(
        self, table: _Table, since: datetime | None, only: tuple[str, ...] | None
    ) -> Iterator[Page]:
        tombstones = since is not None
        pos = -1
        generation = table.generation
        resume_seq = 0
        # The rest of a group of entries sharing one time, sorted by id, last to come first.
        pending: list[tuple[str, int]] = []
        while True:
            with self._lock:
                self._call("read_changes")
                if pos < 0:
                    pos = 0 if since is None else bisect_left(table.times, since)
                elif table.generation != generation:
                    pos = bisect_left(table.seqs, resume_seq)
                generation = table.generation
                records, pos = self._fill(table, pos, pending, tombstones, only)
                pos = self._skip_dead(table, pos, tombstones)
                pending[:] = [p for p in pending if _shows(table, p[0], p[1], tombstones)]
                more = bool(pending) or pos < len(table.seqs)
                resume_seq = table.seqs[pos] if pos < len(table.seqs) else table.next_seq
            yield Page(records=records, next_token=str(resume_seq) if more else None)
            if not more:
                return

    def _fill(
        self,
        table: _Table,
        pos: int,
        pending: list[tuple[str, int]],
        tombstones: bool,
        only: tuple[str, ...] | None,
    ) -> tuple[list[Record], int]:
        """One page of records from log position ``pos``; returns them and the next position."""
        times, ids, seqs, current, rows = (
            table.times,
            table.ids,
            table.seqs,
            table.current,
            table.rows,
        )
        size = self.capabilities.page_size
        n = len(ids)
        out: list[Record] = []
        scanned = 0
        while len(out) < size:
            if pending:
                id, seq = pending.pop()
                if current[id] == seq:
                    row = rows[id]
                    if tombstones or not row.deleted:
                        out.append(_export(row, only))
                continue
            if pos >= n:
                break
            when = times[pos]
            end = pos + 1
            while end < n and times[end] == when:
                end += 1
            scanned += end - pos
            if end == pos + 1:
                id = ids[pos]
                if current[id] == seqs[pos]:
                    row = rows[id]
                    if tombstones or not row.deleted:
                        out.append(_export(row, only))
            else:
                group = [(ids[i], seqs[i]) for i in range(pos, end) if current[ids[i]] == seqs[i]]
                group.sort(reverse=True)
                pending.extend(group)
            pos = end
        self.entries_scanned += scanned
        return out, pos

    def _skip_dead(self, table: _Table, pos: int, tombstones: bool) -> int:
        # Entries that will never be shown are passed over now, so ``next_token`` is only set
        # when another page really has records.
        start = pos
        n = len(table.ids)
        while pos < n and not _shows(table, table.ids[pos], table.seqs[pos], tombstones):
            pos += 1
        self.entries_scanned += pos - start
        return pos


def _shows(table: _Table, id: str, seq: int, tombstones: bool) -> bool:
    return table.current[id] == seq and (tombstones or not table.rows[id].deleted)


def _merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` written over it; nested values are replaced whole."""
    merged = dict(base)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _value_at(fields: Mapping[str, Any], path: str) -> Any:
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
