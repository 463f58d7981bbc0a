"""Load a seed world into the emulators through their states' own "user" methods.

Each loader returns the map from seed keys to the ids the emulator handed out. Large modules go
through the states' bulk paths where the state has one; documents (whose totals and numbers the
emulator computes) always go one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ledgerbridge.sandbox.seed.generate import KEY_PREFIX
from ledgerbridge.sandbox.seed.world import SeedRecord, SeedWorld
from ledgerbridge.sandbox.xero.state import XeroState, XeroValidationError
from ledgerbridge.sandbox.zoho_books.state import ZohoBooksState
from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState

# below this many records a module is created one record at a time, with every check
BULK_THRESHOLD = 200


class SeedLoadError(RuntimeError):
    """An emulator refused a seed record (a bug in the generator or the emulator)."""


def resolve(value: Any, ids: Mapping[str, str]) -> Any:
    """Swap seed keys for emulator ids anywhere inside a record."""
    if isinstance(value, str) and value.startswith(KEY_PREFIX):
        try:
            return ids[value]
        except KeyError as exc:
            raise SeedLoadError(f"{value} is referenced before it was loaded") from exc
    if isinstance(value, Mapping):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, ids) for v in value]
    return value


def load_zoho_crm(world: SeedWorld, state: ZohoCrmState) -> dict[str, str]:
    ids: dict[str, str] = {}
    plain = (
        ("Accounts", world.crm.accounts),
        ("Vendors", world.crm.vendors),
        ("Products", world.crm.products),
        ("Contacts", world.crm.contacts),
    )
    for module, records in plain:
        if len(records) > BULK_THRESHOLD:
            new_ids = state.bulk_insert(module, [resolve(r.data, ids) for r in records])
            ids.update(zip((r.key for r in records), new_ids, strict=True))
            continue
        for record in records:
            ids[record.key] = _crm_create(state, module, record, ids)
    for module, records in (
        ("Invoices", world.crm.invoices),
        ("Purchase_Orders", world.crm.purchase_orders),
    ):
        for start in range(0, len(records), 500):
            # one commit per batch instead of one per record
            with state.storage.transaction():
                for record in records[start : start + 500]:
                    ids[record.key] = _crm_create(state, module, record, ids)
    return ids


def _crm_create(
    state: ZohoCrmState, module: str, record: SeedRecord, ids: Mapping[str, str]
) -> str:
    try:
        return str(state.create(module, resolve(record.data, ids))["id"])
    except ValueError as exc:
        raise SeedLoadError(f"Zoho CRM refused {record.key}: {exc}") from exc


def load_xero(world: SeedWorld, state: XeroState) -> dict[str, str]:
    ids: dict[str, str] = {}
    _xero_batches(state, state.save_contacts, world.xero.contacts, ids)
    _xero_batches(state, state.save_items, world.xero.items, ids)
    _xero_batches(state, state.save_invoices, world.xero.invoices, ids)
    _xero_batches(state, state.save_purchase_orders, world.xero.purchase_orders, ids)
    return ids


def _xero_batches(
    state: XeroState, save: Any, records: Sequence[SeedRecord], ids: dict[str, str]
) -> None:
    for start in range(0, len(records), 500):
        batch = records[start : start + 500]
        try:
            # one commit per batch instead of one per record
            with state.store.transaction():
                results = save([resolve(r.data, ids) for r in batch], create_only=True)
        except XeroValidationError as exc:
            raise SeedLoadError(f"Xero refused a batch: {exc}") from exc
        for record, result in zip(batch, results, strict=True):
            if not result.ok or result.record_id is None:
                raise SeedLoadError(f"Xero refused {record.key}: {result.errors}")
            ids[record.key] = result.record_id


def load_zoho_books(
    world: SeedWorld, state: ZohoBooksState, organization_id: str | None = None
) -> dict[str, str]:
    org_id = organization_id or _books_org(state)
    ids: dict[str, str] = {}
    for record in world.books.taxes:
        tax = state.add_tax(org_id, record.data["tax_name"], record.data["tax_percentage"])
        ids[record.key] = str(tax["tax_id"])
    first = state.bulk_load(
        org_id,
        contacts=[resolve(r.data, ids) for r in world.books.contacts],
        items=[resolve(r.data, ids) for r in world.books.items],
    )
    _remember(ids, world.books.contacts, first.contacts)
    _remember(ids, world.books.items, first.items)
    second = state.bulk_load(
        org_id,
        invoices=[resolve(r.data, ids) for r in world.books.invoices],
        purchase_orders=[resolve(r.data, ids) for r in world.books.purchase_orders],
    )
    _remember(ids, world.books.invoices, second.invoices)
    _remember(ids, world.books.purchase_orders, second.purchase_orders)
    return ids


def _books_org(state: ZohoBooksState) -> str:
    if not state.organizations():
        state.add_organization("Sandbox Books Ltd")
    return state.default_organization_id


def _remember(ids: dict[str, str], records: Iterable[SeedRecord], new_ids: list[str]) -> None:
    ids.update(zip((r.key for r in records), new_ids, strict=True))
