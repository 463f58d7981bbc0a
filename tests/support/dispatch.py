"""A dispatcher for tests that records what it was asked to run."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.jobs.dispatch import RecordChange


@dataclass
class RecordingDispatcher:
    """Remembers what it was asked to run and runs nothing (thread-safe: timers call it)."""

    syncs: list[tuple[int, SyncRequest]] = field(default_factory=list)
    records: list[tuple[int, list[RecordChange]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit_sync(self, integration_id: int, request: SyncRequest) -> None:
        with self._lock:
            self.syncs.append((integration_id, request))

    def submit_records(self, integration_id: int, changes: Sequence[RecordChange]) -> None:
        with self._lock:
            self.records.append((integration_id, list(changes)))

    def changes(self) -> list[RecordChange]:
        with self._lock:
            return [c for _, batch in self.records for c in batch]
