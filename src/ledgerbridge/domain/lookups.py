"""Lookups to records bound by other flows (an invoice's account, a line's product)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.domain.records import Side


class MissingLookup(Exception):  # noqa: N818 - a signal inside the domain, never leaves the planner
    """A referenced record is not bound yet."""

    def __init__(self, flow: str, side: Side, record_id: str) -> None:
        super().__init__(f"{flow}:{side.value}:{record_id}")
        self.flow = flow
        self.side = side
        self.record_id = record_id


@dataclass(slots=True)
class LookupTable:
    """Bound ids of referenced records, loaded in bulk by the engine for one page."""

    # flow -> crm id -> books id, and the reverse
    crm_to_books: dict[str, dict[str, str]] = field(default_factory=dict)
    books_to_crm: dict[str, dict[str, str]] = field(default_factory=dict)
    # flow -> crm id -> values kept with the binding (e.g. the Xero item Code)
    extras: dict[str, dict[str, Mapping[str, Any]]] = field(default_factory=dict)

    def add(self, flow: str, crm_id: str, books_id: str, extra: Mapping[str, Any]) -> None:
        self.crm_to_books.setdefault(flow, {})[crm_id] = books_id
        self.books_to_crm.setdefault(flow, {})[books_id] = crm_id
        if extra:
            self.extras.setdefault(flow, {})[crm_id] = extra

    def partner(self, flow: str, side: Side, record_id: str) -> str:
        """The id on the other side of the record ``record_id`` read on ``side``."""
        table = self.crm_to_books if side is Side.CRM else self.books_to_crm
        found = table.get(flow, {}).get(record_id)
        if found is None:
            raise MissingLookup(flow, side, record_id)
        return found

    def extra(self, flow: str, crm_id: str, name: str) -> Any:
        value = self.extras.get(flow, {}).get(crm_id, {}).get(name)
        if value is None:
            raise MissingLookup(flow, Side.CRM, crm_id)
        return value


@dataclass(frozen=True, slots=True)
class LookupNeed:
    """A referenced record the planner needs resolved."""

    flow: str
    side: Side
    record_id: str
