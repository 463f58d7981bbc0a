"""How work reaches the job runner: the seam between the web layer and the workers.

The embedded default runs jobs in-process (threads inside ``ledgerbridge serve``); the
scaled-out layout queues them in PostgreSQL for ``ledgerbridge worker`` processes. Both honour
the same rules: one run per integration at a time, and a request that arrives while an equal
one is waiting is coalesced into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ledgerbridge.domain.records import Side
from ledgerbridge.engine.model import SyncRequest


@dataclass(frozen=True, slots=True)
class RecordChange:
    """A record a webhook or a CRM button says changed."""

    flow: str
    side: Side
    record_id: str


class Dispatcher(Protocol):
    def submit_sync(self, integration_id: int, request: SyncRequest) -> None:
        """Queue a run; coalesced with an equal run still waiting for this integration."""
        ...

    def submit_records(self, integration_id: int, changes: Sequence[RecordChange]) -> None:
        """Queue single-record syncs; ids already waiting for this integration are merged."""
        ...
