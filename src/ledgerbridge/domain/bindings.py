"""Bindings: the durable link between one record on each side of a flow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledgerbridge.domain.records import Side


@dataclass(frozen=True, slots=True)
class Binding:
    """One bound pair and what we last agreed on.

    ``base`` holds the last agreed value of every mapped field, in CRM terms, keyed by rule key;
    ``crm_hash``/``books_hash`` hash the mapped values last written to (or read from) each side,
    so a change we wrote ourselves is recognised when it comes back (an echo).
    """

    crm_id: str
    books_id: str
    base: Mapping[str, Any]
    crm_hash: str
    books_hash: str
    crm_modified_at: datetime | None = None
    books_modified_at: datetime | None = None
    id: int | None = None
    # Extra values kept with the binding, e.g. the remote number written back.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def id_on(self, side: Side) -> str:
        return self.crm_id if side is Side.CRM else self.books_id

    def hash_on(self, side: Side) -> str:
        return self.crm_hash if side is Side.CRM else self.books_hash

    def modified_on(self, side: Side) -> datetime | None:
        return self.crm_modified_at if side is Side.CRM else self.books_modified_at
