"""One page of changes through steps 2 to 5: gather context, plan, write, bind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ledgerbridge.connectors.base import Archiver, Capabilities
from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.config import FlowConfig, KeyKind, LookupTransform
from ledgerbridge.domain.keys import normalise_key
from ledgerbridge.domain.lookups import LookupNeed, LookupTable
from ledgerbridge.domain.mapping import FlowMap
from ledgerbridge.domain.paths import get_path
from ledgerbridge.domain.planner import (
    WRITE_BACK_OWED,
    Action,
    Archive,
    Create,
    Fail,
    PageInput,
    Skip,
    Update,
    WriteBackDue,
    apply_patch,
    created_patch,
    match_values,
    plan_page,
    record_hash,
    returns_values,
    write_back_patch,
)
from ledgerbridge.domain.records import Draft, Patch, Record, Side, WriteResult
from ledgerbridge.domain.runs import Outcome, RunCounts, RunItem
from ledgerbridge.domain.values import canon, value_hash
from ledgerbridge.engine.model import FieldChange, PlannedChange, Systems
from ledgerbridge.store import Store
from ledgerbridge.store.in_flight import SentKey


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), max(size, 1)):
        yield items[i : i + size]


def _source(u: Update) -> Record:
    return u.crm if u.side is Side.CRM else u.books


def _complete(
    patch: Mapping[str, Any], current: Mapping[str, Any], caps: Capabilities, module: str
) -> dict[str, Any]:
    """``patch`` as the target must get it: each nested object it replaces whole completed
    from ``current``, and the fields each update must carry added as read."""
    out = dict(patch)
    for key in caps.whole_objects & out.keys():
        if isinstance(out[key], dict) and isinstance(current.get(key), dict):
            out[key] = apply_patch(current, {key: out[key]})[key]
    for key in caps.required_on_update.get(module, frozenset()):
        if key not in out and current.get(key) is not None:
            out[key] = current[key]
    return out


@dataclass(slots=True)
class FlowState:
    """What one flow's run has seen so far (shared by its two passes)."""

    done: dict[Side, set[str]] = field(default_factory=lambda: {Side.CRM: set(), Side.BOOKS: set()})
    claimed: dict[Side, set[str]] = field(
        default_factory=lambda: {Side.CRM: set(), Side.BOOKS: set()}
    )
    # Creates an earlier run sent and never bound, by flow and target side (read once).
    in_flight: dict[tuple[str, Side], dict[str, list[SentKey]]] = field(default_factory=dict)


@dataclass(slots=True)
class PageOutcome:
    items: list[RunItem] = field(default_factory=list)
    planned: list[PlannedChange] = field(default_factory=list)
    failed_ids: list[str] = field(default_factory=list)
    ok_ids: list[str] = field(default_factory=list)


class PageProcessor:
    """Runs pages of one flow of one integration through plan and write."""

    def __init__(
        self,
        *,
        store: Store,
        systems: Systems,
        integration_id: int,
        flow: FlowConfig,
        fmap: FlowMap,
        flows: dict[str, FlowConfig],
        counts: RunCounts,
        dry_run: bool,
        key_fields: dict[str, set[str]],
        sync_dependency: Callable[[str, Side, str], bool | None] | None = None,
        run_key: str = "",
        on_processed: Callable[[str, Side, Sequence[Record]], None] | None = None,
    ) -> None:
        self.store = store
        self.systems = systems
        self.iid = integration_id
        self.flow = flow
        self.fmap = fmap
        self.flows = flows
        self.counts = counts
        self.dry_run = dry_run
        self.key_fields = key_fields
        self.sync_dependency = sync_dependency
        self.run_key = run_key
        # Told of every page processed (the figures step notes what may have moved).
        self.on_processed = on_processed
        self.state = FlowState()

    def module(self, side: Side) -> str:
        return self.flow.crm_module if side is Side.CRM else self.flow.books_module

    # -- step 2: context -------------------------------------------------------------------

    def _context(self, side: Side, records: Sequence[Record]) -> PageInput:
        other = side.other
        done = self.state.done[side]
        ids = [r.id for r in records if r.id not in done]
        bindings = self.store.bindings.get_many(self.iid, self.flow.name, side, ids)
        hashes: dict[str, str] = {}
        for r in records:
            if r.id in bindings and not r.deleted:
                hashes[r.id] = record_hash(self.fmap, side, r)
        # Partners of bound records that changed (echoes need no partner).
        partner_ids = [
            bindings[rid].id_on(other)
            for rid, h in hashes.items()
            if h != bindings[rid].hash_on(side) or bindings[rid].extra.get(WRITE_BACK_OWED)
        ]
        partners: dict[str, Record] = {}
        if partner_ids:
            conn = self.systems.on(other)
            for rec in conn.get_many(self.module(other), partner_ids):
                partners[rec.id] = rec
        candidates, claimed = self._candidates(
            side,
            [r for r in records if r.id not in bindings and r.id not in done and not r.deleted],
        )
        lookups = self._lookups(side, [r for r in records if r.id not in done], partners.values())
        sent = self._in_flight(self.flow.name, other)
        return PageInput(
            side=side,
            records=records,
            bindings=bindings,
            partners=partners,
            candidates=candidates,
            lookups=lookups,
            claimed=claimed | self.state.claimed[other],
            done=done,
            hashes=hashes,
            in_flight={r.id for r in records if r.id in sent and r.id not in bindings},
        )

    def _in_flight(self, flow: str, side: Side) -> dict[str, list[SentKey]]:
        """Creates of ``flow`` on ``side`` an earlier run sent and never bound.

        Read once per run: this run's own creates are bound (or refused) before it goes on.
        """
        key = (flow, side)
        if key not in self.state.in_flight:
            self.state.in_flight[key] = self.store.in_flight.sent(self.iid, flow, side)
        return self.state.in_flight[key]

    def _sent_keys(self, side: Side, fields: Mapping[str, Any]) -> list[SentKey]:
        """The match keys a record created on ``side`` with ``fields`` carries."""
        out: list[SentKey] = []
        for mk in self.flow.match_keys:
            path = mk.crm if side is Side.CRM else mk.books
            if path == "id":
                continue
            key = normalise_key(mk.kind, get_path(fields, path))
            if key is not None:
                out.append((path, mk.kind.value, key))
        return out

    def _sent_elsewhere(self, side: Side, records: Sequence[Record]) -> set[str]:
        """Ids of ``records`` (on ``side``) that carry the keys of a create a sibling flow
        sent and never bound: that flow's record, made before a run died, not this one's."""
        out: set[str] = set()
        if not records:
            return out
        for name in self._siblings(side):
            sent = self._in_flight(name, side)
            if not sent:
                continue
            bound = self.store.bindings.get_many(self.iid, name, side.other, list(sent))
            keys = {k for sid, ks in sent.items() if sid not in bound for k in ks}
            for r in records:
                for path, kind, value in keys:
                    if normalise_key(KeyKind(kind), get_path(r.fields, path)) == value:
                        out.add(r.id)
                        break
        return out

    def _siblings(self, side: Side) -> list[str]:
        """Other flows over the same module on ``side`` (customers and suppliers in Xero)."""
        module = self.module(side)
        return [
            name
            for name, f in self.flows.items()
            if name != self.flow.name
            and (f.crm_module if side is Side.CRM else f.books_module) == module
        ]

    def _bound_elsewhere(self, side: Side, ids: Sequence[str]) -> set[str]:
        """Ids on ``side`` a sibling flow has bound: that flow's records, never this one's.

        The binding is the origin marker: a Xero contact made for a CRM vendor is a supplier,
        so the accounts flow neither creates an account from it nor links an account to it.
        """
        out: set[str] = set()
        if ids:
            for name in self._siblings(side):
                out |= set(self.store.bindings.get_many(self.iid, name, side, list(ids)))
        return out

    def _candidates(
        self, side: Side, unbound: Sequence[Record]
    ) -> tuple[dict[tuple[int, str], list[Record]], set[str]]:
        if not unbound or not self.flow.match_keys:
            return {}, set()
        other = side.other
        wanted: dict[tuple[int, str], set[str]] = defaultdict(set)
        for r in unbound:
            for index, their_field, _key in match_values(self.flow, side, r):
                mk = self.flow.match_keys[index]
                raw = get_path(r.data, mk.crm if side is Side.CRM else mk.books)
                wanted[(index, their_field)].add(str(raw).strip())
        conn = self.systems.on(other)
        found: dict[str, Record] = {}
        out: dict[tuple[int, str], list[Record]] = defaultdict(list)
        for (index, their_field), values in wanted.items():
            mk = self.flow.match_keys[index]
            for rec in conn.find_many(self.module(other), their_field, sorted(values)):
                found[rec.id] = rec
                key = normalise_key(mk.kind, get_path(rec.fields, their_field))
                if key is not None:
                    out[(index, key)].append(rec)
        bound = self.store.bindings.get_many(self.iid, self.flow.name, other, list(found))
        elsewhere = self._bound_elsewhere(other, list(found))
        loose = [r for r in found.values() if r.id not in bound and r.id not in elsewhere]
        return dict(out), set(bound) | elsewhere | self._sent_elsewhere(other, loose)

    def _lookups(
        self, side: Side, records: Iterable[Record], partners: Iterable[Record]
    ) -> LookupTable:
        needs: set[LookupNeed] = set()
        for r in records:
            if not r.deleted:
                needs.update(self.fmap.needs(side, r.data))
        for p in partners:
            needs.update(self.fmap.needs(side.other, p.data))
        table = LookupTable()
        grouped: dict[tuple[str, Side], list[str]] = defaultdict(list)
        for need in needs:
            grouped[(need.flow, need.side)].append(need.record_id)
        for (flow, need_side), ids in grouped.items():
            for b in self.store.bindings.get_many(self.iid, flow, need_side, ids).values():
                table.add(flow, b.crm_id, b.books_id, b.extra)
        return table

    # -- steps 3-5 ---------------------------------------------------------------------------

    def process(
        self, side: Side, records: Sequence[Record], *, retry_missing: bool = True
    ) -> PageOutcome:
        outcome = PageOutcome()
        if not records:
            return outcome
        unbound = [r.id for r in records if r.id not in self.state.done[side]]
        if unbound and self._siblings(side):
            mine = self.store.bindings.get_many(self.iid, self.flow.name, side, unbound)
            theirs = self._bound_elsewhere(side, [i for i in unbound if i not in mine])
            theirs |= self._sent_elsewhere(
                side,
                [r for r in records if r.id in unbound and r.id not in mine and r.id not in theirs],
            )
            records = [r for r in records if r.id not in theirs]
            if not records:
                return outcome
        page = self._context(side, records)
        actions = plan_page(self.fmap, page)
        if retry_missing and self.sync_dependency is not None and not self.dry_run:
            actions = self._resolve_dependencies(side, records, actions)
        creates = [a for a in actions if isinstance(a, Create)]
        updates = [a for a in actions if isinstance(a, Update)]
        archives = [a for a in actions if isinstance(a, Archive)]
        for a in actions:
            if isinstance(a, Skip):
                self._skip(a, outcome)
            elif isinstance(a, Fail):
                self._fail(a.side, a.record.id, a.reason, a.label, a.partner_id, outcome)
        if self.dry_run:
            self._plan_only(creates, updates, outcome)
        else:
            self._create(side, creates, outcome)
            self._update(side, updates, outcome)
            self._archive(side, archives, outcome)
            self._write_back_due(side, [a for a in actions if isinstance(a, WriteBackDue)], outcome)
        self.state.done[side].update(r.id for r in records)
        if self.on_processed is not None:
            self.on_processed(self.flow.name, side, records)
        return outcome

    def _resolve_dependencies(
        self, side: Side, records: Sequence[Record], actions: list[Action]
    ) -> list[Action]:
        """Sync unbound dependencies first (an invoice's account), then plan those again.

        The planner names one missing reference per record (the account, then a line's
        product), so this repeats while each round binds a dependency not tried before.
        """
        tried: set[tuple[str, Side, str]] = set()
        absent: set[tuple[str, Side, str]] = set()
        while True:
            missing = [a for a in actions if isinstance(a, Fail) and a.missing is not None]
            if not missing or self.sync_dependency is None:
                return self._name_absent(actions, absent)
            synced = False
            for a in missing:
                m = a.missing
                assert m is not None
                key = (m.flow, m.side, m.record_id)
                if key in tried or m.flow not in self.flows or m.flow == self.flow.name:
                    continue
                tried.add(key)
                result = self.sync_dependency(m.flow, m.side, m.record_id)
                if result is None:
                    absent.add(key)
                synced = bool(result) or synced
            if not synced:
                return self._name_absent(actions, absent)
            again = {a.record.id for a in missing}
            replanned = self.process_plan(side, [r for r in records if r.id in again])
            by_id = {self._action_id(a): a for a in replanned}
            actions = [
                by_id.get(self._action_id(a), a) if self._action_id(a) in again else a
                for a in actions
            ]

    @staticmethod
    def _name_absent(actions: list[Action], absent: set[tuple[str, Side, str]]) -> list[Action]:
        """A reference to a record that does not exist says so, instead of "not synced yet"."""
        if not absent:
            return actions
        out: list[Action] = []
        for action in actions:
            m = action.missing if isinstance(action, Fail) else None
            if (
                isinstance(action, Fail)
                and m is not None
                and (m.flow, m.side, m.record_id) in absent
            ):
                where = "CRM" if m.side is Side.CRM else "accounting"
                action = replace(  # noqa: PLW2901 - the same action, with a truer reason
                    action,
                    reason=f"it refers to {where} record {m.record_id} of flow {m.flow}, which "
                    "does not exist (deleted, or a wrong id); correct the reference",
                )
            out.append(action)
        return out

    def process_plan(self, side: Side, records: Sequence[Record]) -> list[Action]:
        return plan_page(self.fmap, self._context(side, records))

    @staticmethod
    def _action_id(a: Action) -> str:
        if isinstance(a, Create):
            return a.source.id
        if isinstance(a, Update):
            return (a.crm if a.side is Side.CRM else a.books).id
        return a.record.id

    # -- outcomes ----------------------------------------------------------------------------

    def _skip(self, a: Skip, outcome: PageOutcome) -> None:
        if a.echo:
            self.counts.add(self.flow.name, a.side, Outcome.UNCHANGED)
            if a.partner_id is not None:
                # Bound and in step (an echo, not "handled earlier in this run"): nothing is
                # left to retry, even if it failed before and was linked from the other side.
                outcome.ok_ids.append(a.record.id)
            return
        if not a.report:
            # Out of the flow's scope (view, deleted before syncing): nothing to tell anyone.
            return
        self.counts.add(self.flow.name, a.side, Outcome.SKIPPED)
        outcome.items.append(
            RunItem(
                self.flow.name,
                a.side,
                a.record.id,
                Outcome.SKIPPED,
                a.reason,
                a.partner_id,
                a.label,
            )
        )

    def _fail(
        self,
        side: Side,
        record_id: str,
        reason: str,
        label: str,
        partner_id: str | None,
        outcome: PageOutcome,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.counts.add(self.flow.name, side, Outcome.FAILED)
        outcome.items.append(
            RunItem(
                self.flow.name,
                side,
                record_id,
                Outcome.FAILED,
                reason,
                partner_id,
                label,
                detail or {},
            )
        )
        outcome.failed_ids.append(record_id)

    # -- dry run -----------------------------------------------------------------------------

    def _plan_only(
        self, creates: list[Create], updates: list[Update], outcome: PageOutcome
    ) -> None:
        for c in creates:
            target = c.side.other
            outcome.planned.append(
                PlannedChange(
                    self.flow.name,
                    "create",
                    target,
                    None,
                    c.side,
                    c.source.id,
                    c.label,
                    # An empty field of a new record is no change worth listing.
                    tuple(FieldChange(k, None, v) for k, v in _flat(c.fields) if v is not None),
                )
            )
            self.counts.add(self.flow.name, c.side, Outcome.CREATED)
            self.state.claimed[target].add(c.source.id)
        for u in updates:
            for target, patch, rec in (
                (Side.CRM, u.crm_patch, u.crm),
                (Side.BOOKS, u.books_patch, u.books),
            ):
                if patch:
                    outcome.planned.append(
                        PlannedChange(
                            self.flow.name,
                            "link" if u.binding is None else "update",
                            target,
                            rec.id,
                            u.side,
                            (u.crm if u.side is Side.CRM else u.books).id,
                            u.label,
                            tuple(
                                FieldChange(k, get_path(rec.fields, k), v) for k, v in _flat(patch)
                            ),
                        )
                    )
            self.state.done[u.side.other].add((u.books if u.side is Side.CRM else u.crm).id)
            kind = (
                Outcome.LINKED
                if u.binding is None
                else (Outcome.UPDATED if u.writes else Outcome.UNCHANGED)
            )
            self.counts.add(self.flow.name, u.side, kind)
            if u.conflicts:
                outcome.items.append(self._conflict_item(u))

    # -- step 5: writes ----------------------------------------------------------------------

    def _idempotency_key(self, side: Side, source: Record, fingerprint: str) -> str:
        return f"lb-{self.iid}-{self.flow.name}-{side.value}-{source.id}-{fingerprint}"[:128]

    def _create(self, side: Side, creates: list[Create], outcome: PageOutcome) -> None:
        if not creates:
            return
        target = side.other
        conn = self.systems.on(target)
        # A create that owes write-backs says so in its binding until they are written.
        owes = {WRITE_BACK_OWED: True} if self._owes_back(side) else {}
        for batch in _chunks(creates, conn.capabilities.batch_size):
            drafts = [
                Draft(
                    ref=c.source.id,
                    fields=c.fields,
                    idempotency_key=self._idempotency_key(side, c.source, c.source_hash),
                )
                for c in batch
            ]
            # Noted before sending: a run that dies before the bindings below are stored
            # leaves the next one the knowledge that these may exist already.
            self.store.in_flight.put(
                self.iid,
                self.flow.name,
                target,
                {c.source.id: self._sent_keys(target, c.fields) for c in batch},
            )
            results = conn.create_many(self.module(target), drafts)
            bindings: list[Binding] = []
            made: list[tuple[Create, WriteResult]] = []
            for c, res in zip(batch, results, strict=True):
                if not res.ok or res.id is None:
                    err = res.error
                    reason = err.message if err else "refused without a reason"
                    self._fail(
                        side,
                        c.source.id,
                        self._server_reason(target, reason),
                        c.label,
                        err.duplicate_id if err else None,
                        outcome,
                        {"code": err.code if err else "other", "field": err.field if err else None},
                    )
                    continue
                stored = res.record.fields if res.record is not None else c.fields
                target_hash = value_hash(self.fmap.project(target, stored))
                crm_id, books_id = (
                    (c.source.id, res.id) if side is Side.CRM else (res.id, c.source.id)
                )
                bindings.append(
                    Binding(
                        crm_id=crm_id,
                        books_id=books_id,
                        base=c.base,
                        crm_hash=c.source_hash if side is Side.CRM else target_hash,
                        books_hash=target_hash if side is Side.CRM else c.source_hash,
                        crm_modified_at=c.source.modified_at if side is Side.CRM else _mod(res),
                        books_modified_at=_mod(res) if side is Side.CRM else c.source.modified_at,
                        extra=self._extra(stored if side is Side.CRM else c.source.fields) | owes,
                    )
                )
                made.append((c, res))
            # Committed right after the remote create: a crash from here on never leaves a
            # created record unbound, so a re-run cannot create it twice.
            inserted: list[Binding] = []
            if bindings:
                inserted = self.store.bindings.insert_many(self.iid, self.flow.name, bindings)
                self.store.created.add(
                    self.iid, self.flow.name, target, (b.id_on(target) for b in bindings)
                )
            self.store.in_flight.forget(
                self.iid, self.flow.name, target, [c.source.id for c in batch]
            )
            for c, res in made:
                assert res.id is not None
                self.state.done[target].add(res.id)
                self.state.claimed[target].add(res.id)
                self.counts.add(self.flow.name, side, Outcome.CREATED)
                outcome.ok_ids.append(c.source.id)
                if c.warnings:
                    outcome.items.append(
                        RunItem(
                            self.flow.name,
                            side,
                            c.source.id,
                            Outcome.CREATED,
                            "; ".join(c.warnings),
                            res.id,
                            c.label,
                        )
                    )
            self._write_back(side, made, inserted, outcome)

    def _archive(self, side: Side, archives: list[Archive], outcome: PageOutcome) -> None:
        """Carry deletions across (the flow opted in): archive each partner, drop the binding."""
        if not archives:
            return
        target = side.other
        conn = self.systems.on(target)
        batch_size = conn.capabilities.batch_size
        system = "the CRM" if target is Side.CRM else "the accounting system"
        where = "CRM" if side is Side.CRM else "accounting system"
        if not isinstance(conn, Archiver):
            for a in archives:
                self._fail(
                    side,
                    a.record.id,
                    f"deleted in the {where}, but {system} connector cannot archive records, "
                    f"so its partner {a.binding.id_on(target)} is kept",
                    a.label,
                    a.binding.id_on(target),
                    outcome,
                )
            return
        done: list[int] = []
        for batch in _chunks(archives, batch_size):
            ids = [a.binding.id_on(target) for a in batch]
            for a, res in zip(batch, conn.archive_many(self.module(target), ids), strict=True):
                partner = a.binding.id_on(target)
                gone = res.ok or (res.error is not None and res.error.code == "not_found")
                if not gone:
                    reason = res.error.message if res.error else "refused without a reason"
                    self._fail(
                        side,
                        a.record.id,
                        f"deleted in the {where}; archiving its partner failed: "
                        + self._server_reason(target, reason),
                        a.label,
                        partner,
                        outcome,
                    )
                    continue
                if a.binding.id is not None:
                    done.append(a.binding.id)
                self.state.done[target].add(partner)
                self.counts.add(self.flow.name, side, Outcome.UPDATED)
                outcome.ok_ids.append(a.record.id)
                outcome.items.append(
                    RunItem(
                        self.flow.name,
                        side,
                        a.record.id,
                        Outcome.UPDATED,
                        f"deleted in the {where}; its partner {partner} was archived in "
                        f"{system} (flow {self.flow.name} carries deletions across)",
                        partner,
                        a.label,
                    )
                )
        if done:
            self.store.bindings.delete_many(self.iid, self.flow.name, done)

    def _write_back(
        self,
        side: Side,
        made: list[tuple[Create, WriteResult]],
        inserted: list[Binding],
        outcome: PageOutcome,
    ) -> None:
        """Write the new partners' ids and numbers back to the source records just created,
        with the values only the partner's system sets (a Xero invoice's status and amounts)."""
        if not inserted or not self._owes_back(side):
            return
        target = side.other
        reads_partner = returns_values(self.fmap, side) or any(
            wb.source_field != "@id" for wb in self.flow.write_back if wb.to is side
        )
        need_read = (
            [res.id for _c, res in made if res.record is None and res.id is not None]
            if reads_partner
            else []
        )
        fetched: dict[str, Record] = {}
        if need_read:
            conn = self.systems.on(target)
            fetched = {r.id: r for r in conn.get_many(self.module(target), need_read)}
        by_source = {b.id_on(side): b for b in inserted}
        due: list[tuple[Record, Binding, dict[str, Any]]] = []
        for c, res in made:
            assert res.id is not None
            partner = (
                res.record
                or fetched.get(res.id)
                or Record(res.id, self.module(target), c.fields, c.source.modified_at)
            )
            binding = by_source[c.source.id]
            patch, values = created_patch(self.fmap, side, c.source, partner)
            due.append((c.source, replace(binding, base={**binding.base, **values}), patch))
        self._send_write_backs(side, due, outcome, created=True)

    def _owes_back(self, side: Side) -> bool:
        """Whether a record read on ``side`` is written to after a partner is made from it."""
        return any(wb.to is side for wb in self.flow.write_back) or returns_values(self.fmap, side)

    def _write_back_links(
        self,
        links: list[tuple[Update, Mapping[str, Any], Mapping[str, Any]]],
        inserted: list[Binding],
        outcome: PageOutcome,
    ) -> None:
        """A record linked to an existing partner gets the partner's id written back too."""
        for side in dict.fromkeys(wb.to for wb in self.flow.write_back):
            by_source = {b.id_on(side): b for b in inserted}
            due: list[tuple[Record, Binding, dict[str, Any]]] = []
            for u, crm_fields, books_fields in links:
                source, partner = (u.crm, u.books) if side is Side.CRM else (u.books, u.crm)
                binding = by_source.get(source.id)
                if binding is None:
                    continue
                after = replace(partner, fields=books_fields if side is Side.CRM else crm_fields)
                due.append((source, binding, write_back_patch(self.flow, side, source, after)))
            self._send_write_backs(side, due, outcome, created=True)

    def _write_back_due(self, side: Side, owed: list[WriteBackDue], outcome: PageOutcome) -> None:
        """Write-backs a crashed run owed, found when their source records came by again."""
        if owed:
            due = [(a.record, a.binding, a.patch) for a in owed]
            self._send_write_backs(side, due, outcome, created=False)

    def _send_write_backs(
        self,
        side: Side,
        due: list[tuple[Record, Binding, dict[str, Any]]],
        outcome: PageOutcome,
        *,
        created: bool,
    ) -> None:
        conn = self.systems.on(side)
        settled: list[Binding] = [b for _r, b, patch in due if not patch]
        todo = [(r, b, patch) for r, b, patch in due if patch]
        # Mapped fields written here (returned values) move the source's echo hash with them.
        todo = [(r, self._rehashed(side, r, b, patch), patch) for r, b, patch in todo]
        for batch in _chunks(todo, conn.capabilities.batch_size):
            patches = [Patch(id=r.id, fields=patch) for r, _b, patch in batch]
            results = conn.update_many(self.module(side), patches)
            for (record, binding, patch), res in zip(batch, results, strict=True):
                if not res.ok:
                    reason = res.error.message if res.error else "refused"
                    what = "created, but writing back" if created else "writing back"
                    self._fail(
                        side,
                        record.id,
                        f"{what} {', '.join(patch)} failed: {reason}",
                        "",
                        binding.id_on(side.other),
                        outcome,
                    )
                    continue
                settled.append(binding)
                if not created:
                    self.counts.add(self.flow.name, side, Outcome.UPDATED)
                    outcome.ok_ids.append(record.id)
        cleared = [
            replace(b, extra={k: v for k, v in b.extra.items() if k != WRITE_BACK_OWED})
            for b in settled
            if b.id is not None
        ]
        if cleared:
            self.store.bindings.update_many(self.iid, self.flow.name, cleared)

    def _rehashed(
        self, side: Side, record: Record, binding: Binding, patch: Mapping[str, Any]
    ) -> Binding:
        """``binding`` with ``side``'s hash as ``record`` will be once ``patch`` is written."""
        if record_hash(self.fmap, side, record) != binding.hash_on(side):
            return binding  # changed since it was bound: the next run must still see that
        after = record_hash(
            self.fmap, side, replace(record, fields=apply_patch(record.fields, patch))
        )
        if side is Side.CRM:
            return replace(binding, crm_hash=after)
        return replace(binding, books_hash=after)

    def _update(self, side: Side, updates: list[Update], outcome: PageOutcome) -> None:
        if not updates:
            return
        # Writes per target side, in the largest batches; results tie back by action index.
        failed: dict[int, str] = {}
        stored: dict[tuple[int, Side], Record] = {}
        for target in (Side.CRM, Side.BOOKS):
            todo = [
                (i, u)
                for i, u in enumerate(updates)
                if (u.crm_patch if target is Side.CRM else u.books_patch)
            ]
            if not todo:
                continue
            conn = self.systems.on(target)
            for batch in _chunks(todo, conn.capabilities.batch_size):
                patches = []
                for _i, u in batch:
                    rec = u.crm if target is Side.CRM else u.books
                    patch = _complete(
                        u.crm_patch if target is Side.CRM else u.books_patch,
                        rec.fields,
                        conn.capabilities,
                        self.module(target),
                    )
                    fp = value_hash({"p": canon(patch), "m": rec.modified_at.isoformat()})
                    patches.append(
                        Patch(
                            id=rec.id,
                            fields=patch,
                            idempotency_key=self._idempotency_key(target, rec, fp),
                        )
                    )
                results = conn.update_many(self.module(target), patches)
                for (i, _u), res in zip(batch, results, strict=True):
                    if not res.ok:
                        reason = res.error.message if res.error else "refused without a reason"
                        failed[i] = self._server_reason(target, reason)
                    elif res.record is not None:
                        stored[(i, target)] = res.record
        new_bindings: list[Binding] = []
        links: list[tuple[Update, Mapping[str, Any], Mapping[str, Any]]] = []
        changed: list[Binding] = []
        for i, u in enumerate(updates):
            source = u.crm if u.side is Side.CRM else u.books
            partner = u.books if u.side is Side.CRM else u.crm
            if i in failed:
                # The binding stays as it was, so the next run sees the same change again.
                self._fail(u.side, source.id, failed[i], u.label, partner.id, outcome)
                continue
            crm_after = stored.get((i, Side.CRM))
            books_after = stored.get((i, Side.BOOKS))
            crm_fields = crm_after.fields if crm_after else apply_patch(u.crm.fields, u.crm_patch)
            books_fields = (
                books_after.fields if books_after else apply_patch(u.books.fields, u.books_patch)
            )
            binding = Binding(
                crm_id=u.crm.id,
                books_id=u.books.id,
                base=u.base,
                crm_hash=self._next_hash(Side.CRM, u.binding, crm_fields),
                books_hash=self._next_hash(Side.BOOKS, u.binding, books_fields),
                crm_modified_at=crm_after.modified_at if crm_after else u.crm.modified_at,
                books_modified_at=books_after.modified_at if books_after else u.books.modified_at,
                extra=self._extra(books_fields),
                id=u.binding.id if u.binding else None,
            )
            if u.binding is None:
                new_bindings.append(binding)
                links.append((u, crm_fields, books_fields))
                self.counts.add(self.flow.name, u.side, Outcome.LINKED)
            else:
                if binding != u.binding:
                    changed.append(binding)
                self.counts.add(
                    self.flow.name, u.side, Outcome.UPDATED if u.writes else Outcome.UNCHANGED
                )
            self.state.done[u.side.other].add(partner.id)
            self.state.claimed[u.side.other].add(partner.id)
            outcome.ok_ids.append(source.id)
            if u.conflicts:
                outcome.items.append(self._conflict_item(u))
            elif u.warnings:
                outcome.items.append(
                    RunItem(
                        self.flow.name,
                        u.side,
                        source.id,
                        Outcome.UPDATED,
                        "; ".join(u.warnings),
                        partner.id,
                        u.label,
                    )
                )
        if new_bindings:
            inserted = self.store.bindings.insert_many(self.iid, self.flow.name, new_bindings)
            self._write_back_links(links, inserted, outcome)
            for source_side in (Side.CRM, Side.BOOKS):
                # A create an earlier run left in flight is settled once its partner is linked.
                sent = self._in_flight(self.flow.name, source_side.other)
                settled = [_source(u).id for u, _c, _b in links if u.side is source_side]
                settled = [sid for sid in settled if sid in sent]
                if settled:
                    self.store.in_flight.forget(
                        self.iid, self.flow.name, source_side.other, settled
                    )
                    for sid in settled:
                        sent.pop(sid, None)
        if changed:
            self.store.bindings.update_many(self.iid, self.flow.name, changed)

    def _next_hash(self, side: Side, old: Binding | None, fields: Mapping[str, Any]) -> str:
        """The hash a binding keeps for ``side`` after an update.

        When this run does not read ``side`` (a one-way run), its changes were not carried
        across, so the old hash stays: the next run that reads that side still sees them as
        changes instead of mistaking them for our own echo.
        """
        if old is not None and not self.fmap.reads(side):
            return old.hash_on(side)
        return value_hash(self.fmap.project(side, fields))

    def _conflict_item(self, u: Update) -> RunItem:
        source = u.crm if u.side is Side.CRM else u.books
        partner = u.books if u.side is Side.CRM else u.crm
        parts = [
            f"{c.key}: CRM {c.crm_value!r} vs accounting {c.books_value!r}, kept the "
            f"{'CRM' if c.chosen is Side.CRM else 'accounting'} value"
            for c in u.conflicts
        ]
        return RunItem(
            self.flow.name,
            u.side,
            source.id,
            Outcome.CONFLICT,
            f"both sides changed ({self.flow.conflict_policy.value}): " + "; ".join(parts),
            partner.id,
            u.label,
            {
                "conflicts": [
                    {
                        "field": c.key,
                        "crm": c.crm_value,
                        "books": c.books_value,
                        "base": c.base_value,
                        "chosen": c.chosen.value,
                    }
                    for c in u.conflicts
                ]
            },
        )

    def _extra(self, books_fields: Any) -> dict[str, Any]:
        names = self.key_fields.get(self.flow.name)
        if not names:
            return {}
        return {
            n: get_path(books_fields, n)
            for n in sorted(names)
            if get_path(books_fields, n) is not None
        }

    def _server_reason(self, target: Side, message: str) -> str:
        system = "the CRM" if target is Side.CRM else "the accounting system"
        return f"{system} refused it: {message}"


def _mod(res: WriteResult) -> datetime | None:
    return res.record.modified_at if res.record is not None else None


def _flat(fields: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(fields, dict):
        for k, v in fields.items():
            if isinstance(v, dict) and v:
                out.extend(_flat(v, f"{prefix}{k}."))
            else:
                out.append((f"{prefix}{k}", v))
    return out


def key_fields_needed(flows: Iterable[FlowConfig]) -> dict[str, set[str]]:
    """For each flow, the accounting fields other flows refer to by key (e.g. item Code)."""
    out: dict[str, set[str]] = defaultdict(set)

    def walk(rules: Iterable[Any]) -> None:
        for r in rules:
            t = r.transform
            if isinstance(t, LookupTransform) and t.books_key:
                out[t.flow].add(t.books_key)
            walk(r.children)

    for f in flows:
        walk(f.fields)
    return dict(out)
