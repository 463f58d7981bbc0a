"""The one Protocol every connector honours, real or in-memory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from ledgerbridge.domain.records import Draft, OrgInfo, Page, Patch, Record, WriteResult


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the API allows, so the engine can plan calls."""

    page_size: int  # largest page the change feed serves
    batch_size: int  # most records one create/update call takes
    lookup_batch: int  # most keys one find_many call can send
    idempotency: bool  # writes accept an idempotency key
    webhooks: bool
    # Nested objects an update replaces whole (Xero's item SalesDetails): a patch of one of
    # their fields is sent with the rest of the object as read, or the rest would be lost.
    whole_objects: frozenset[str] = frozenset()
    # Fields every update of a module carries, as read when the patch leaves them out
    # (Xero refuses an item without its Code, even in an update).
    required_on_update: Mapping[str, frozenset[str]] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """One authorised account of one system.

    Every method talks in :mod:`ledgerbridge.domain.records` types; API quirks (date formats,
    lookup shapes, filter escaping, limits) stay inside the connector. Per-record failures are
    returned as ``WriteResult(ok=False)``; whole-call failures raise a ``LedgerbridgeError``.
    """

    system: str
    capabilities: Capabilities

    def describe(self) -> OrgInfo:
        """The organisation: base currency, modules and fields (custom fields included)."""
        ...

    def read_changes(
        self, module: str, since: datetime | None, *, fields: Sequence[str] | None = None
    ) -> Iterator[Page]:
        """Records created or modified at or after ``since`` (all records when ``None``).

        Pages come in ascending modification time. Deleted records may appear as tombstones.
        """
        ...

    def get_many(self, module: str, ids: Sequence[str]) -> list[Record]:
        """The records with these ids that exist (missing ids are left out)."""
        ...

    def find_many(self, module: str, field: str, values: Sequence[str]) -> list[Record]:
        """Records whose ``field`` equals any of ``values`` (exact match as the API compares).

        The caller normalises keys; the connector splits ``values`` into as few calls as the
        API allows (``capabilities.lookup_batch`` per call).
        """
        ...

    def create_many(self, module: str, drafts: Sequence[Draft]) -> list[WriteResult]:
        """Create records, one result per draft in input order, batching as the API allows."""
        ...

    def update_many(self, module: str, patches: Sequence[Patch]) -> list[WriteResult]:
        """Update records, one result per patch in input order, batching as the API allows."""
        ...


@runtime_checkable
class Archiver(Protocol):
    """A connector that can archive (or, where the API has no archive, delete) records.

    Optional: the engine checks for it with ``isinstance`` before carrying a deletion across or
    tidying up after a deleted integration, and reports plainly when a system cannot do it.
    """

    def archive_many(self, module: str, ids: Sequence[str]) -> list[WriteResult]:
        """Archive records, one result per id in input order."""
        ...


@dataclass(frozen=True, slots=True)
class Budget:
    """What is left of a connection's daily API calls, and when the allowance resets."""

    remaining: int
    resets_at: datetime | None = None


@runtime_checkable
class Budgeted(Protocol):
    """A connector that knows how many calls it may still make today (optional)."""

    def budget(self) -> Budget | None:
        """The remaining daily budget, or ``None`` when it is not known."""
        ...


@runtime_checkable
class FiguresReader(Protocol):
    """A connector that computes accounting figures for its records (optional).

    The figures step of a run asks for them to keep CRM fields (an account's outstanding
    receivables, its total sales) current; each connector says which figure names it offers.
    """

    def figures(self, module: str, ids: Sequence[str]) -> dict[str, dict[str, float | str]]:
        """Figures by record id for the records of ``module`` that exist; names as documented.

        Money figures are numbers; a few are text the accounting system derives (an online
        invoice URL, a branding theme's name).
        """
        ...


@runtime_checkable
class Catalogues(Protocol):
    """A connector that lists the codes a field may take (tax rates), for value maps (optional)."""

    def catalogue(self, name: str) -> dict[str, str]:
        """Names and codes of catalogue ``name``'s usable entries, each to its code.

        ``{}`` for a catalogue the system does not have.
        """
        ...
