"""Related children in the engine: parents read with their children, children's changes
re-sync their parents.

:class:`RelatedCrm` wraps the CRM connector so every parent record the engine reads (change
feed, partners, dependencies, fetch) carries its gathered children: the echo hash, the merge
and the create all see the same values whichever way the record came in. One search call per
page of parents reads their children.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from ledgerbridge.connectors.base import Capabilities, Connector
from ledgerbridge.domain.config import FlowConfig, RelatedConfig
from ledgerbridge.domain.planner import label_of
from ledgerbridge.domain.records import (
    Draft,
    OrgInfo,
    Page,
    Patch,
    Record,
    Side,
    WriteResult,
)
from ledgerbridge.domain.related import (
    Gathered,
    child_problems,
    enrich,
    gather,
    parent_id,
    related_key,
)
from ledgerbridge.domain.runs import Outcome, RunItem
from ledgerbridge.engine.model import Systems


class RelatedCrm:
    """The CRM connector, with each parent record's children gathered onto it."""

    def __init__(self, inner: Connector, flows: Iterable[FlowConfig]) -> None:
        self.inner = inner
        self.system = inner.system
        self.capabilities: Capabilities = inner.capabilities
        self.by_module: dict[str, FlowConfig] = {}
        for flow in flows:
            if flow.related:
                self.by_module.setdefault(flow.crm_module, flow)

    def __getattr__(self, name: str) -> Any:
        # Optional protocols (budget, archive, metadata helpers) are the inner connector's.
        return getattr(self.inner, name)

    # -- enrichment --------------------------------------------------------------------------

    def children_of(self, rel: RelatedConfig, ids: Sequence[str]) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = defaultdict(list)
        if ids:
            # Search by the lookup's id (Zoho compares a bare lookup field by name).
            found = self.inner.find_many(rel.crm_module, f"{rel.parent_field}.id", list(ids))
            for child in found:
                if child.deleted:
                    continue
                pid = parent_id(rel, child.data)
                if pid is not None:
                    out[pid].append(child)
        return out

    def _enrich(self, module: str, records: list[Record]) -> list[Record]:
        flow = self.by_module.get(module)
        live = [r for r in records if not r.deleted]
        if flow is None or not live:
            return records
        ids = sorted({r.id for r in live})
        gathered: dict[str, dict[str, Gathered]] = defaultdict(dict)
        for rel in flow.related:
            children = self.children_of(rel, ids)
            for r in live:
                label = label_of(flow, Side.CRM, r)
                found = [c.data for c in children.get(r.id, [])]
                gathered[r.id][related_key(rel)] = gather(rel, label, found)
        return [
            r if r.deleted else replace(r, fields=enrich(r.fields, gathered[r.id])) for r in records
        ]

    def _enrich_results(self, module: str, results: list[WriteResult]) -> list[WriteResult]:
        if module not in self.by_module:
            return results
        written = [r.record for r in results if r.record is not None]
        if not written:
            return results
        enriched = {r.id: r for r in self._enrich(module, written)}
        return [
            replace(res, record=enriched.get(res.record.id, res.record))
            if res.record is not None
            else res
            for res in results
        ]

    # -- the Connector protocol --------------------------------------------------------------

    def describe(self) -> OrgInfo:
        return self.inner.describe()

    def read_changes(
        self, module: str, since: datetime | None, *, fields: Sequence[str] | None = None
    ) -> Iterator[Page]:
        for page in self.inner.read_changes(module, since, fields=fields):
            yield Page(self._enrich(module, list(page.records)), page.next_token)

    def get_many(self, module: str, ids: Sequence[str]) -> list[Record]:
        return self._enrich(module, self.inner.get_many(module, ids))

    def find_many(self, module: str, field: str, values: Sequence[str]) -> list[Record]:
        return self._enrich(module, self.inner.find_many(module, field, values))

    def create_many(self, module: str, drafts: Sequence[Draft]) -> list[WriteResult]:
        return self._enrich_results(module, self.inner.create_many(module, drafts))

    def update_many(self, module: str, patches: Sequence[Patch]) -> list[WriteResult]:
        return self._enrich_results(module, self.inner.update_many(module, patches))


def with_related(systems: Systems, flows: Iterable[FlowConfig]) -> Systems:
    """``systems`` with a CRM that gathers children, when any flow has related children."""
    flows = list(flows)
    if not any(f.related for f in flows) or isinstance(systems.crm, RelatedCrm):
        return systems
    return Systems(RelatedCrm(systems.crm, flows), systems.books)


def related_cursor(flow: FlowConfig, rel: RelatedConfig) -> str:
    """The cursor name of a relation's change feed (kept beside its flow's own)."""
    return f"{flow.name}.{rel.name}"


def check_children(
    flow: FlowConfig,
    rel: RelatedConfig,
    children: Sequence[Record],
    *,
    elsewhere: Sequence[RelatedConfig] = (),
    report_orphans: bool = True,
) -> tuple[list[RunItem], set[str]]:
    """Run items for children that cannot sync, and the parents to sync again.

    A child whose parent is another relation's (a vendor's contact, for the accounts flow) is
    that relation's to report; a child with no parent at all is reported once, by the
    relation with ``report_orphans``.
    """
    items: list[RunItem] = []
    parents: set[str] = set()
    for child in children:
        if child.deleted:
            continue
        label = _child_label(child.data)
        pid = parent_id(rel, child.data)
        if pid is None:
            if not report_orphans or any(parent_id(o, child.data) for o in elsewhere):
                continue
            items.append(
                RunItem(
                    rel.name, Side.CRM, child.id, Outcome.SKIPPED, rel.orphan_message, None, label
                )
            )
            continue
        # A child that changed may have left its parent's list too (its e-mail removed).
        parents.add(pid)
        problems = child_problems(rel, child.data)
        if problems:
            items.append(
                RunItem(
                    rel.name,
                    Side.CRM,
                    child.id,
                    Outcome.FAILED,
                    "; ".join(problems),
                    None,
                    label,
                    {"parent": pid, "flow": flow.name},
                )
            )
    return items, parents


def child_parents(rel: RelatedConfig, children: Sequence[Record]) -> dict[str, str | None]:
    """Each child's parent now: None for a deleted child or one with no parent.

    Kept after each read, so a deleted child's (or a moved one's) former parent syncs again and
    loses it: a tombstone names no parent.
    """
    return {c.id: None if c.deleted else parent_id(rel, c.data) for c in children}


def _child_label(data: Mapping[str, Any]) -> str:
    parts = [str(data.get(k) or "").strip() for k in ("First_Name", "Last_Name")]
    return " ".join(p for p in parts if p) or str(data.get("Email") or "")
