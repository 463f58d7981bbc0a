"""Pausing, disabling, enabling and deleting integrations.

A paused or disabled integration runs nothing and loses nothing: its cursors stay where they
are, so every change made meanwhile is read once it runs again. Paused is the short break
(schedules and webhooks skip it); disabled is the step before deletion, which is refused for
any other state.

Deleting is irreversible and offers two choices:

- ``Keep.ALL``: every synced record stays as it is on both sides; the integration's bindings,
  cursors, checkpoints and runs are dropped.
- ``Keep.WITH_TRANSACTIONS``: as above, but records the integration itself created on the
  accounting side are archived there unless they have transactions. A record *has
  transactions* when it belongs to a transaction flow (a flow no other flow looks up, such as
  invoices or purchase orders), or when a synced record of another flow refers to it through a
  lookup (a contact named on a bound invoice, an item on one of its lines). Records the
  integration found and linked are never touched, and only transactions synced by this
  integration are known to it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.connectors.base import Archiver
from ledgerbridge.domain.config import FlowConfig, LookupTransform
from ledgerbridge.domain.errors import StateError
from ledgerbridge.domain.mapping import CompiledRule, FlowMap
from ledgerbridge.domain.records import Side
from ledgerbridge.engine.model import Systems
from ledgerbridge.store import IntegrationRow, IntegrationState, Store


class Keep(enum.StrEnum):
    ALL = "all"
    WITH_TRANSACTIONS = "with-transactions"


@dataclass(frozen=True, slots=True)
class ArchiveFailure:
    flow: str
    record_id: str
    reason: str


@dataclass(slots=True)
class DeletionReport:
    """What deleting an integration did on the accounting side."""

    integration: str
    keep: Keep
    bindings_removed: int = 0
    archived: dict[str, list[str]] = field(default_factory=dict)  # flow -> accounting ids
    kept_with_transactions: dict[str, int] = field(default_factory=dict)
    failures: list[ArchiveFailure] = field(default_factory=list)

    @property
    def archived_total(self) -> int:
        return sum(len(ids) for ids in self.archived.values())


def runnable(integration: IntegrationRow) -> bool:
    """Whether schedules, webhooks and manual runs may run this integration now."""
    return integration.state is IntegrationState.ACTIVE


def pause(store: Store, name: str) -> IntegrationRow:
    """Stop running the integration for a while; ``resume`` picks up every change made since."""
    row = store.integrations.get(name)
    if row.state is IntegrationState.DISABLED:
        raise StateError(
            f"integration {name} is disabled; `ledgerbridge integration enable {name}` "
            "makes it run again"
        )
    return store.integrations.set_state(name, IntegrationState.PAUSED)


def resume(store: Store, name: str) -> IntegrationRow:
    row = store.integrations.get(name)
    if row.state is IntegrationState.DISABLED:
        raise StateError(
            f"integration {name} is disabled, not paused; `ledgerbridge integration enable "
            f"{name}` makes it run again"
        )
    return store.integrations.set_state(name, IntegrationState.ACTIVE)


def disable(store: Store, name: str) -> IntegrationRow:
    """Switch the integration off; the step before it may be deleted."""
    store.integrations.get(name)
    return store.integrations.set_state(name, IntegrationState.DISABLED)


def enable(store: Store, name: str) -> IntegrationRow:
    store.integrations.get(name)
    return store.integrations.set_state(name, IntegrationState.ACTIVE)


def delete(store: Store, name: str, keep: Keep, systems: Systems | None = None) -> DeletionReport:
    """Delete a disabled integration with its bindings, cursors and runs.

    With ``Keep.WITH_TRANSACTIONS`` the records the integration created on the accounting side
    and that have no transactions are archived there first (``systems`` is then required). A
    record that cannot be archived stops the deletion, so it can be retried once fixed.
    """
    row = store.integrations.get(name)
    if row.state is not IntegrationState.DISABLED:
        raise StateError(
            f"integration {name} is {row.state.value}; only a disabled integration can be "
            f"deleted: `ledgerbridge integration disable {name}` first"
        )
    report = DeletionReport(integration=name, keep=keep)
    report.bindings_removed = store.bindings.count(row.id)
    if keep is Keep.WITH_TRANSACTIONS:
        if systems is None:
            raise StateError("deleting with --keep with-transactions needs the connections")
        _archive_untransacted(store, row, systems, report)
        if report.failures:
            first = report.failures[0]
            raise StateError(
                f"integration {name} was not deleted: {len(report.failures)} record(s) could "
                f"not be archived (e.g. {first.flow} {first.record_id}: {first.reason}); "
                "fix that and delete again, or delete with --keep all"
            )
    store.integrations.delete(name)
    return report


def _archive_untransacted(
    store: Store, row: IntegrationRow, systems: Systems, report: DeletionReport
) -> None:
    books = systems.books
    transaction_flows = _transaction_flows(row.flows)
    plans: list[tuple[FlowConfig, list[str]]] = []
    for flow in row.flows:
        if flow.name in transaction_flows:
            continue
        created = store.created.list(row.id, flow.name, Side.BOOKS)
        if not created:
            continue
        bound = {b.books_id: b.crm_id for b in store.bindings.iter_all(row.id, flow.name)}
        referenced = _referenced_crm_ids(store, row, flow.name)
        candidates = [i for i in created if i in bound]
        doomed = [i for i in candidates if bound[i] not in referenced]
        report.kept_with_transactions[flow.name] = len(candidates) - len(doomed)
        if doomed:
            plans.append((flow, doomed))
    if not plans:
        return
    if not isinstance(books, Archiver):
        raise StateError(
            f"the {books.system} connector cannot archive records yet, so --keep "
            "with-transactions is not possible for this integration; delete with --keep all"
        )
    for flow, ids in plans:
        archived: list[str] = []
        for res in books.archive_many(flow.books_module, ids):
            if res.ok or (res.error is not None and res.error.code == "not_found"):
                archived.append(res.ref)
            else:
                reason = res.error.message if res.error else "refused without a reason"
                report.failures.append(ArchiveFailure(flow.name, res.ref, reason))
        report.archived[flow.name] = archived
        store.created.forget(row.id, flow.name, Side.BOOKS, archived)


def _transaction_flows(flows: Iterable[FlowConfig]) -> set[str]:
    """Flows that look others up but that no flow looks up: invoices, purchase orders."""
    flows = list(flows)
    looked_up = {t.flow for f in flows for t in _lookups(FlowMap(f).rules)}
    return {f.name for f in flows if f.name not in looked_up and any(_lookups(FlowMap(f).rules))}


def _lookups(rules: Iterable[CompiledRule]) -> Iterator[LookupTransform]:
    for rule in rules:
        t = rule.rule.transform
        if isinstance(t, LookupTransform):
            yield t
        yield from _lookups(rule.children)


def _referenced_crm_ids(store: Store, row: IntegrationRow, target: str) -> set[str]:
    """CRM ids of ``target`` records that a bound record of another flow refers to.

    A binding's base snapshot holds lookups in CRM terms (the referenced record's CRM id), so
    the references are read from the bindings alone, without an API call.
    """
    out: set[str] = set()
    for flow in row.flows:
        if flow.name == target:
            continue
        paths = list(_lookup_paths(FlowMap(flow).rules, target))
        if not paths:
            continue
        for binding in store.bindings.iter_all(row.id, flow.name):
            for path in paths:
                out.update(_values_at(binding.base, path))
    return out


def _lookup_paths(
    rules: Iterable[CompiledRule], target: str, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    for rule in rules:
        t = rule.rule.transform
        if isinstance(t, LookupTransform) and t.flow == target:
            yield (*prefix, rule.key)
        if rule.children:
            yield from _lookup_paths(rule.children, target, (*prefix, rule.key))


def _values_at(value: Any, path: tuple[str, ...]) -> Iterator[str]:
    # Lists fan out: a lookup inside line items is read on every line.
    if isinstance(value, list):
        for item in value:
            yield from _values_at(item, path)
        return
    if not path:
        if value is not None and not isinstance(value, Mapping):
            yield str(value)
        return
    if isinstance(value, Mapping):
        yield from _values_at(value.get(path[0]), path[1:])
