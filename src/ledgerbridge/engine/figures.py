"""The figures step: after a run, accounting figures of touched records go to CRM fields.

A flow with ``figures`` (accounts: outstanding receivables, total sales) gets them refreshed
for every bound record the run read on either side, and for every record a referring flow
(invoices, through their account lookup) read: a payment changes an invoice, not always its
contact. Figures come from the books connector's optional :class:`FiguresReader`; only values
that differ from the CRM record are written, so a second run writes nothing.

The records are marked owed in the store as soon as a page's changes are stored, before any
cursor or checkpoint moves past them, and the mark goes only once their figures are written (or
refused, which the pending retries take up). A run that dies in between leaves the marks; every
later run, whatever its flows, first writes the figures still owed, then goes on with its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.connectors.base import FiguresReader
from ledgerbridge.domain.config import FlowConfig
from ledgerbridge.domain.figures import Touched, figure_sources, figures_patch
from ledgerbridge.domain.records import Patch, Record, Side
from ledgerbridge.domain.runs import Outcome, RunCounts, RunItem
from ledgerbridge.engine.model import Systems
from ledgerbridge.store import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class FiguresOutcome:
    """What the step did for one flow: run items, and the books ids settled or failed."""

    flow: str
    items: list[RunItem] = field(default_factory=list)
    ok_ids: list[str] = field(default_factory=list)


class FiguresStep:
    """Collects the records a run touched, then reads and writes their figures once."""

    def __init__(
        self,
        *,
        store: Store,
        systems: Systems,
        integration_id: int,
        flows: Iterable[FlowConfig],
        counts: RunCounts,
    ) -> None:
        self.store = store
        self.systems = systems
        self.iid = integration_id
        self.flows = {f.name: f for f in flows}
        self.counts = counts
        self.sources = figure_sources(self.flows.values())
        self.touched = Touched()

    @staticmethod
    def wanted(flows: Iterable[FlowConfig]) -> bool:
        return any(f.figures for f in flows)

    def note(self, flow: str, side: Side, records: Sequence[Record]) -> None:
        """Remember the records a page of ``flow`` read (called for every processed page).

        The page's changes are stored by now; the new ids are marked owed before the run reads
        on, so no cursor passes them unmarked.
        """
        page = Touched()
        config = self.flows.get(flow)
        if config is not None and config.figures:
            for r in records:
                if not r.deleted:
                    page.add(flow, side, r.id)
        for source in self.sources:
            if source.flow != flow:
                continue
            for r in records:
                ref = None if r.deleted else source.reference(side, r.data)
                if ref is not None:
                    page.add(source.target, side, ref)
        for target, sides in page.ids.items():
            for s, ids in sides.items():
                new = ids - self.touched.on(target, s)
                if new:
                    self.store.figures_owed.mark(self.iid, target, s, new)
                for rid in new:
                    self.touched.add(target, s, rid)

    def owed(self) -> list[FiguresOutcome]:
        """Write the figures earlier runs left owed (they died before writing them)."""
        earlier = Touched()
        for target, sides in self.store.figures_owed.owed(self.iid).items():
            config = self.flows.get(target)
            if config is None or not config.figures:
                # The flow lost its figures (or went) since: nothing is owed any more.
                for s, ids in sides.items():
                    self.store.figures_owed.clear(self.iid, target, s, sorted(ids))
                continue
            for s, ids in sides.items():
                for rid in ids:
                    earlier.add(target, s, rid)
        return self._write(earlier)

    def run(self) -> list[FiguresOutcome]:
        """Write the figures of the records this run touched."""
        touched, self.touched = self.touched, Touched()
        return self._write(touched)

    def _write(self, touched: Touched) -> list[FiguresOutcome]:
        out: list[FiguresOutcome] = []
        for name, flow in self.flows.items():
            if flow.figures and name in touched.ids:
                done = self._flow(flow, touched)
                self._settled(flow, touched, done)
                out.append(done)
        return out

    def _settled(self, flow: FlowConfig, touched: Touched, done: FiguresOutcome) -> None:
        """Clear the owed marks of the flow, but for figures the CRM refused this time."""
        failed = {(i.record_id, i.partner_id) for i in done.items if i.outcome is Outcome.FAILED}
        keep = {
            Side.BOOKS: {books_id for books_id, _crm in failed},
            Side.CRM: {crm_id for _books, crm_id in failed if crm_id},
        }
        for side in (Side.CRM, Side.BOOKS):
            ids = sorted(touched.on(flow.name, side) - keep[side])
            self.store.figures_owed.clear(self.iid, flow.name, side, ids)

    # -- one flow ----------------------------------------------------------------------------

    def _pairs(self, flow: FlowConfig, touched: Touched) -> dict[str, str]:
        """Bound pairs (books id -> CRM id) among the touched records."""
        pairs: dict[str, str] = {}
        for side in (Side.CRM, Side.BOOKS):
            ids = sorted(touched.on(flow.name, side))
            if ids:
                for b in self.store.bindings.get_many(self.iid, flow.name, side, ids).values():
                    pairs[b.books_id] = b.crm_id
        return pairs

    def _flow(self, flow: FlowConfig, touched: Touched) -> FiguresOutcome:
        result = FiguresOutcome(flow.name)
        pairs = self._pairs(flow, touched)
        if not pairs:
            return result
        books = self.systems.books
        if not isinstance(books, FiguresReader):
            log.warning("flow %s: %s cannot read figures", flow.name, books.system)
            self.counts.add(flow.name, Side.BOOKS, Outcome.SKIPPED)
            result.items.append(
                RunItem(
                    flow.name,
                    Side.BOOKS,
                    flow.books_module,
                    Outcome.SKIPPED,
                    f"the {books.system} connector cannot read accounting figures, so "
                    + ", ".join(r.crm for r in flow.figures)
                    + " are not kept current",
                )
            )
            return result
        figures = books.figures(flow.books_module, sorted(pairs))
        crm = self.systems.crm
        current = {r.id: r for r in crm.get_many(flow.crm_module, sorted(set(pairs.values())))}
        todo: list[tuple[str, Record, dict[str, Any]]] = []
        for books_id, crm_id in sorted(pairs.items()):
            record = current.get(crm_id)
            found = figures.get(books_id)
            if record is None or found is None:
                continue  # deleted on one side since it was read: the flow reports that
            patch = figures_patch(flow.figures, record.data, found)
            if patch:
                todo.append((books_id, record, patch))
            else:
                result.ok_ids.append(books_id)
        size = max(crm.capabilities.batch_size, 1)
        for start in range(0, len(todo), size):
            batch = todo[start : start + size]
            answers = crm.update_many(
                flow.crm_module, [Patch(id=r.id, fields=dict(p)) for _b, r, p in batch]
            )
            for (books_id, record, patch), res in zip(batch, answers, strict=True):
                self._settle(flow, result, books_id, record, patch, res.ok, res.error)
        return result

    def _settle(
        self,
        flow: FlowConfig,
        result: FiguresOutcome,
        books_id: str,
        record: Record,
        patch: Mapping[str, Any],
        ok: bool,
        error: object,
    ) -> None:
        shown = ", ".join(f"{k} {v}" for k, v in patch.items())
        if ok:
            self.counts.add(flow.name, Side.BOOKS, Outcome.UPDATED)
            result.ok_ids.append(books_id)
            result.items.append(
                RunItem(
                    flow.name,
                    Side.BOOKS,
                    books_id,
                    Outcome.UPDATED,
                    f"accounting figures written to the CRM: {shown}",
                    record.id,
                )
            )
            return
        message = getattr(error, "message", None) or "refused without a reason"
        self.counts.add(flow.name, Side.BOOKS, Outcome.FAILED)
        result.items.append(
            RunItem(
                flow.name,
                Side.BOOKS,
                books_id,
                Outcome.FAILED,
                f"writing the accounting figures ({shown}) to the CRM failed: the CRM refused "
                f"it: {message}; they are tried again on the next run",
                record.id,
            )
        )
