"""The seed world: plain records per system plus the known facts a correct sync must honour.

Records carry each vendor's own field names. Where a record points at another one (a contact's
account, an invoice's customer or product), the reference holds the other record's seed key; the
loaders swap keys for the ids the emulators hand out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SeedRecord:
    key: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class CrmSeed:
    accounts: tuple[SeedRecord, ...] = ()
    contacts: tuple[SeedRecord, ...] = ()
    vendors: tuple[SeedRecord, ...] = ()
    products: tuple[SeedRecord, ...] = ()
    invoices: tuple[SeedRecord, ...] = ()
    purchase_orders: tuple[SeedRecord, ...] = ()

    def count(self) -> int:
        return sum(
            len(x)
            for x in (
                self.accounts,
                self.contacts,
                self.vendors,
                self.products,
                self.invoices,
                self.purchase_orders,
            )
        )


@dataclass(frozen=True)
class XeroSeed:
    contacts: tuple[SeedRecord, ...] = ()
    items: tuple[SeedRecord, ...] = ()
    invoices: tuple[SeedRecord, ...] = ()
    purchase_orders: tuple[SeedRecord, ...] = ()

    def count(self) -> int:
        return len(self.contacts) + len(self.items) + len(self.invoices) + len(self.purchase_orders)


@dataclass(frozen=True)
class BooksSeed:
    taxes: tuple[SeedRecord, ...] = ()
    contacts: tuple[SeedRecord, ...] = ()
    items: tuple[SeedRecord, ...] = ()
    invoices: tuple[SeedRecord, ...] = ()
    purchase_orders: tuple[SeedRecord, ...] = ()

    def count(self) -> int:
        return len(self.contacts) + len(self.items) + len(self.invoices) + len(self.purchase_orders)


@dataclass(frozen=True)
class Case:
    """One messy record and what a correct sync must do with it."""

    name: str
    key: str
    outcome: str
    # the CRM field the mess is in ("Email", "Product_Code"); empty when no one field is
    field: str = ""


@dataclass(frozen=True)
class Match:
    """A record present on the CRM side and on an accounting side before the first sync."""

    module: str
    crm_key: str
    xero_key: str | None
    books_key: str | None
    # the values the match rests on (name, e-mail or code), as the CRM holds them
    on: str


@dataclass(frozen=True)
class Expected:
    cases: tuple[Case, ...] = ()
    matches: tuple[Match, ...] = ()

    def keys(self, case: str) -> list[str]:
        """Seed keys of every record of one messy case."""
        return [c.key for c in self.cases if c.name == case]

    def outcome(self, case: str) -> str:
        return next(c.outcome for c in self.cases if c.name == case)

    def case_names(self) -> set[str]:
        return {c.name for c in self.cases}


@dataclass(frozen=True)
class SeedWorld:
    seed: int
    size: str
    crm: CrmSeed
    xero: XeroSeed
    books: BooksSeed
    expected: Expected = field(default_factory=Expected)

    def count(self) -> int:
        return self.crm.count() + self.xero.count() + self.books.count()
