"""The figures step: after a run, accounting figures of touched records go to CRM fields.

A flow with ``figures`` (accounts: outstanding receivables, total sales) gets them refreshed
for every bound record the run read on either side, and for every record a referring flow
(invoices, through their account lookup) read: a payment changes an invoice, not always its
contact. Figures come from the books connector's optional :class:`FiguresReader`; only values
that differ from the CRM record are written, so a second run writes nothing.
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
        """Remember the records a page of ``flow`` read (called for every processed page)."""
        config = self.flows.get(flow)
        if config is not None and config.figures:
            for r in records:
                if not r.deleted:
                    self.touched.add(flow, side, r.id)
        for source in self.sources:
            if source.flow != flow:
                continue
            for r in records:
                ref = None if r.deleted else source.reference(side, r.data)
                if ref is not None:
                    self.touched.add(source.target, side, ref)

    def run(self) -> list[FiguresOutcome]:
        out: list[FiguresOutcome] = []
        for name, flow in self.flows.items():
            if flow.figures and name in self.touched.ids:
                out.append(self._flow(flow))
        return out

    # -- one flow ----------------------------------------------------------------------------

    def _pairs(self, flow: FlowConfig) -> dict[str, str]:
        """Bound pairs (books id -> CRM id) among the touched records."""
        pairs: dict[str, str] = {}
        for side in (Side.CRM, Side.BOOKS):
            ids = sorted(self.touched.on(flow.name, side))
            if ids:
                for b in self.store.bindings.get_many(self.iid, flow.name, side, ids).values():
                    pairs[b.books_id] = b.crm_id
        return pairs

    def _flow(self, flow: FlowConfig) -> FiguresOutcome:
        result = FiguresOutcome(flow.name)
        pairs = self._pairs(flow)
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
