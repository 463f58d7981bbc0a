"""A whole sync setup in one object: a store, two in-memory systems on one clock, an integration.

Tests build a :class:`World` from an :class:`IntegrationConfig`, act as people in either system
(``world.crm.put``/``edit``), run syncs and then compare what each side holds through the flow's
own field map, so a mismatch names the record and the field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import FlowConfig, IntegrationConfig
from ledgerbridge.domain.lookups import LookupTable, MissingLookup
from ledgerbridge.domain.mapping import CompiledRule, FlowMap
from ledgerbridge.domain.records import Record, Side
from ledgerbridge.domain.values import canon
from ledgerbridge.engine.fetch import fetch
from ledgerbridge.engine.model import RunReport, SyncRequest, Systems
from ledgerbridge.engine.sync import SyncEngine
from ledgerbridge.store import IntegrationRow, Store
from ledgerbridge.store.tables import metadata

WRITE_METHODS = ("create_many", "update_many")

# Between two syncs a person takes longer than the engine's skew and overlap (5 s each), so a
# test that does not say otherwise sees every run start on a fresh second.
DEFAULT_GAP = timedelta(seconds=30)


def wipe(store: Store) -> None:
    """Empty every table of the store, children first (cheaper than a new schema per example)."""
    with store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(sa.delete(table))


@dataclass(frozen=True, slots=True)
class Pair:
    """A bound pair as it stands now in both systems (a side is ``None`` when it is gone)."""

    binding: Binding
    crm: Record | None
    books: Record | None


@dataclass
class World:
    store: Store
    clock: TickingClock
    crm: MemoryConnector
    books: MemoryConnector
    integration: IntegrationRow
    engine: SyncEngine
    systems: Systems
    reports: list[RunReport] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        store: Store,
        config: IntegrationConfig,
        *,
        crm: MemoryConnector | None = None,
        books: MemoryConnector | None = None,
        clock: TickingClock | None = None,
    ) -> World:
        """Connections, the integration and an engine; connectors made here share ``clock``."""
        clock = clock if clock is not None else TickingClock()
        crm = crm if crm is not None else MemoryConnector("crm", clock=clock)
        books = books if books is not None else MemoryConnector("books", clock=clock)
        known = {c.name for c in store.connections.list()}
        for name, system in (
            (config.crm_connection, crm.system),
            (config.books_connection, books.system),
        ):
            if name not in known:
                store.connections.add(name, system, {}, {})
                known.add(name)
        integration = store.integrations.create(config)
        engine = SyncEngine(store, clock=clock)
        return cls(store, clock, crm, books, integration, engine, Systems(crm, books))

    # -- acting --------------------------------------------------------------------------------

    def on(self, side: Side) -> MemoryConnector:
        return self.crm if side is Side.CRM else self.books

    def advance(self, gap: timedelta = DEFAULT_GAP) -> None:
        self.clock.advance(gap)

    def sync(
        self, request: SyncRequest | None = None, *, gap: timedelta = DEFAULT_GAP
    ) -> RunReport:
        """Let ``gap`` pass, then run a sync (by default every enabled flow, since the last run)."""
        self.advance(gap)
        report = self.engine.run(self.integration, self.systems, request or SyncRequest())
        self.reports.append(report)
        return report

    def sync_record(
        self, flow: str, side: Side, record_id: str, *, dry_run: bool = False
    ) -> RunReport:
        self.advance()
        report = self.engine.sync_record(
            self.integration, self.systems, flow, side, record_id, dry_run=dry_run
        )
        self.reports.append(report)
        return report

    def fetch(self, flows: Sequence[str] = ()) -> RunReport:
        self.advance()
        return fetch(self.engine, self.integration, self.systems, flows)

    # -- observing -----------------------------------------------------------------------------

    def writes(self) -> dict[str, int]:
        """Write calls so far per system and method, e.g. ``{"books.create_many": 2}``."""
        out: Counter[str] = Counter()
        for side in Side:
            calls = self.on(side).calls
            for method in WRITE_METHODS:
                out[f"{side.value}.{method}"] = calls[method]
        return dict(out)

    def write_total(self) -> int:
        return sum(self.writes().values())

    def flow(self, name: str) -> FlowConfig:
        return self.integration.flow(name)

    def bindings(self, flow: str) -> list[Binding]:
        return list(self.store.bindings.iter_all(self.integration.id, flow))

    def lookups(self) -> LookupTable:
        """Every bound pair of every flow, as the engine loads them for lookups."""
        table = LookupTable()
        for f in self.integration.flows:
            for b in self.bindings(f.name):
                table.add(f.name, b.crm_id, b.books_id, b.extra)
        return table

    def pairs(self, flow: str) -> list[Pair]:
        f = self.flow(flow)
        return [
            Pair(
                b,
                self.crm.record(f.crm_module, b.crm_id),
                self.books.record(f.books_module, b.books_id),
            )
            for b in self.bindings(flow)
        ]

    def partner(self, flow: str, side: Side, record_id: str) -> Record | None:
        """The record bound to ``record_id`` of ``side`` on the other side."""
        found = self.store.bindings.get_many(self.integration.id, flow, side, [record_id])
        binding = found.get(record_id)
        if binding is None:
            return None
        f = self.flow(flow)
        other = side.other
        module = f.crm_module if other is Side.CRM else f.books_module
        return self.on(other).record(module, binding.id_on(other))

    def mapped(
        self, flow: str, side: Side, record: Record, lookups: LookupTable | None = None
    ) -> dict[str, Any]:
        """The values of ``record`` that both sides carry, in CRM terms, strings trimmed.

        Servers trim text, so " Acme " written to one side reads back as "Acme" there; the
        comparison is modulo that trimming.
        """
        fmap = FlowMap(self.flow(flow))
        table = lookups if lookups is not None else self.lookups()
        out: dict[str, Any] = {}
        for rule in fmap.rules:
            if not (rule.sends(Side.CRM) and rule.sends(Side.BOOKS)):
                continue
            try:
                value = rule.read(side, record.fields, table)
            except MissingLookup as exc:
                value = f"<unbound {exc}>"
            out[rule.key] = _comparable(rule, trimmed(value))
        return out

    def mismatches(self, flow: str) -> list[str]:
        """Each bound pair whose shared fields differ, or whose records are gone."""
        table = self.lookups()
        problems: list[str] = []
        for pair in self.pairs(flow):
            b = pair.binding
            if pair.crm is None or pair.books is None:
                problems.append(
                    f"{flow}: binding {b.crm_id}<->{b.books_id} points at a "
                    "record that does not exist"
                )
                continue
            crm_values = self.mapped(flow, Side.CRM, pair.crm, table)
            books_values = self.mapped(flow, Side.BOOKS, pair.books, table)
            for key in crm_values:
                if crm_values[key] != books_values.get(key):
                    problems.append(
                        f"{flow}: {key} differs for crm {b.crm_id} ({crm_values[key]!r}) and "
                        f"books {b.books_id} ({books_values.get(key)!r})"
                    )
        return problems

    def binding_problems(self, flow: str) -> list[str]:
        """Records not bound exactly once, on either side."""
        f = self.flow(flow)
        bindings = self.bindings(flow)
        problems: list[str] = []
        for side, module in ((Side.CRM, f.crm_module), (Side.BOOKS, f.books_module)):
            bound = Counter(b.id_on(side) for b in bindings)
            live = {r.id for r in self.on(side).all(module)}
            for rid in sorted(live):
                if bound[rid] != 1:
                    problems.append(
                        f"{flow}: {side.value} {module} {rid} is bound {bound[rid]} times"
                    )
            for rid in sorted(set(bound) - live):
                problems.append(f"{flow}: {side.value} {module} {rid} is bound but gone")
        return problems

    def sizes(self, flow: str) -> tuple[int, int]:
        """Live records of the flow's modules on (crm, books): a quick duplicate check."""
        f = self.flow(flow)
        return self.crm.count(f.crm_module), self.books.count(f.books_module)


def trimmed(value: Any) -> Any:
    """``value`` canonical, with every string stripped as a server would store it."""
    if isinstance(value, str):
        return canon(value.strip())
    if isinstance(value, Mapping):
        return canon({k: trimmed(v) for k, v in value.items()})
    if isinstance(value, list):
        return canon([trimmed(v) for v in value])
    return canon(value)


def _comparable(rule: CompiledRule, value: Any) -> Any:
    """Line items keep only the child fields both sides carry."""
    if not rule.children or not isinstance(value, list):
        return value
    both = {c.key for c in rule.children if c.sends(Side.CRM) and c.sends(Side.BOOKS)}
    return [
        {k: v for k, v in item.items() if k in both} if isinstance(item, dict) else item
        for item in value
    ]
