"""Fetch: read both sides once and bind what matches, so a first sync duplicates nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import FlowConfig
from ledgerbridge.domain.keys import normalise_key
from ledgerbridge.domain.lookups import LookupNeed, LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.paths import get_path
from ledgerbridge.domain.planner import label_of, link_pair, match_values
from ledgerbridge.domain.records import Record, Side
from ledgerbridge.domain.rules import in_view
from ledgerbridge.domain.runs import Outcome, RunCounts, RunItem, RunKind, RunStatus
from ledgerbridge.engine.model import NoProgress, Progress, RunReport, Systems
from ledgerbridge.engine.pages import key_fields_needed
from ledgerbridge.engine.related import with_related
from ledgerbridge.engine.sync import SyncEngine
from ledgerbridge.engine.validate import preflight
from ledgerbridge.store import IntegrationRow

_INSERT_CHUNK = 500


def fetch(
    engine: SyncEngine,
    integration: IntegrationRow,
    systems: Systems,
    flows: Sequence[str] = (),
    progress: Progress | None = None,
) -> RunReport:
    """Bind records that already exist on both sides; create and change nothing remote."""
    progress = progress or NoProgress()
    store = engine.store
    integration = preflight(store, integration, systems)
    # Accounts are matched and hashed with their contacts, as a sync reads them.
    systems = with_related(systems, integration.flows)
    selected = engine.select_flows(integration, flows)
    key_fields = key_fields_needed(integration.flows)
    counts = RunCounts()
    items: list[RunItem] = []
    store.runs.mark_interrupted(integration.id)
    run_id = store.runs.start(integration.id, RunKind.FETCH, {"flows": list(flows)}, False)
    started = engine.clock()
    for flow in selected:
        flow_items = _fetch_flow(engine, integration, systems, flow, key_fields, counts, progress)
        if flow_items:
            store.runs.add_items(run_id, flow_items)
            items.extend(flow_items)
        progress.flow_finished(flow.name)
    store.runs.finish(run_id, RunStatus.SUCCEEDED, counts.as_dict(), None)
    return RunReport(
        run_id=run_id,
        status=RunStatus.SUCCEEDED,
        counts=counts,
        items=items,
        started_at=started,
        finished_at=engine.clock(),
    )


def _read_all(
    systems: Systems, side: Side, module: str, progress: Progress, flow: str
) -> list[Record]:
    out: list[Record] = []
    for page in systems.on(side).read_changes(module, None):
        out.extend(r for r in page.records if not r.deleted)
        progress.records_done(flow, side, len(page.records))
    return out


def _fetch_flow(
    engine: SyncEngine,
    integration: IntegrationRow,
    systems: Systems,
    flow: FlowConfig,
    key_fields: dict[str, set[str]],
    counts: RunCounts,
    progress: Progress,
) -> list[RunItem]:
    store = engine.store
    iid = integration.id
    if not flow.match_keys:
        return []
    fmap = FlowMap(flow)
    progress.flow_started(flow.name, Side.CRM)
    crm = _read_all(systems, Side.CRM, flow.crm_module, progress, flow.name)
    progress.flow_started(flow.name, Side.BOOKS)
    books = _read_all(systems, Side.BOOKS, flow.books_module, progress, flow.name)
    bound_crm = set(store.bindings.get_many(iid, flow.name, Side.CRM, [r.id for r in crm]))
    bound_books = set(store.bindings.get_many(iid, flow.name, Side.BOOKS, [r.id for r in books]))
    index: dict[tuple[int, str], list[Record]] = defaultdict(list)
    for rec in books:
        if rec.id in bound_books or not in_view(flow.views, Side.BOOKS, rec.data):
            continue
        for i, mk in enumerate(flow.match_keys):
            key = normalise_key(mk.kind, get_path(rec.data, mk.books))
            if key is not None:
                index[(i, key)].append(rec)
    pairs: list[tuple[Record, Record]] = []
    items: list[RunItem] = []
    claimed: set[str] = set()
    for rec in crm:
        if rec.id in bound_crm or not in_view(flow.views, Side.CRM, rec.data):
            continue
        for i, their_field, key in match_values(flow, Side.CRM, rec):
            found = [b for b in index.get((i, key), ()) if b.id not in claimed]
            if len(found) == 1:
                claimed.add(found[0].id)
                pairs.append((rec, found[0]))
                break
            if len(found) > 1:
                ids = ", ".join(sorted(b.id for b in found)[:5])
                items.append(
                    RunItem(
                        flow.name,
                        Side.CRM,
                        rec.id,
                        Outcome.SKIPPED,
                        f"{len(found)} accounting records share its {their_field} ({ids}); not "
                        "linked — merge them or make the values distinct, then fetch again",
                        None,
                        label_of(flow, Side.CRM, rec),
                    )
                )
                counts.add(flow.name, Side.CRM, Outcome.SKIPPED)
                break
    for start in range(0, len(pairs), _INSERT_CHUNK):
        chunk = pairs[start : start + _INSERT_CHUNK]
        lookups = _lookups(engine, iid, fmap, chunk)
        bindings = []
        for crm_rec, books_rec in chunk:
            base, crm_hash, books_hash = link_pair(fmap, crm_rec, books_rec, lookups, flow.first)
            names = key_fields.get(flow.name, set())
            bindings.append(
                Binding(
                    crm_id=crm_rec.id,
                    books_id=books_rec.id,
                    base=base,
                    crm_hash=crm_hash,
                    books_hash=books_hash,
                    crm_modified_at=crm_rec.modified_at,
                    books_modified_at=books_rec.modified_at,
                    extra={
                        n: v
                        for n in sorted(names)
                        if (v := get_path(books_rec.fields, n)) is not None
                    },
                )
            )
        store.bindings.insert_many(iid, flow.name, bindings)
        counts.add(flow.name, Side.CRM, Outcome.LINKED, len(bindings))
    return items


def _lookups(
    engine: SyncEngine, iid: int, fmap: FlowMap, pairs: Sequence[tuple[Record, Record]]
) -> LookupTable:
    needs: set[LookupNeed] = set()
    for crm_rec, books_rec in pairs:
        needs.update(fmap.needs(Side.CRM, crm_rec.data))
        needs.update(fmap.needs(Side.BOOKS, books_rec.data))
    grouped: dict[tuple[str, Side], list[str]] = defaultdict(list)
    for n in needs:
        grouped[(n.flow, n.side)].append(n.record_id)
    table = LookupTable()
    for (flow, side), ids in grouped.items():
        for b in engine.store.bindings.get_many(iid, flow, side, ids).values():
            table.add(flow, b.crm_id, b.books_id, b.extra)
    return table
