"""A dispatcher for tests that records what it was asked to run."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.jobs.dispatch import RecordChange


@dataclass
class RecordingDispatcher:
    """Remembers what it was asked to run and runs nothing."""

    syncs: list[tuple[int, SyncRequest]] = field(default_factory=list)
    records: list[tuple[int, list[RecordChange]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._arrived = threading.Condition(self._lock)

    def submit_sync(self, integration_id: int, request: SyncRequest) -> None:
        with self._lock:
            self.syncs.append((integration_id, request))
            self._arrived.notify_all()

    def submit_records(self, integration_id: int, changes: Sequence[RecordChange]) -> None:
        with self._lock:
            self.records.append((integration_id, list(changes)))
            self._arrived.notify_all()

    def changes(self) -> list[RecordChange]:
        with self._lock:
            return [c for _, batch in self.records for c in batch]

    def wait_for_records(self, count: int, timeout: float = 10.0) -> list[RecordChange]:
        """Every change once ``count`` batches arrived; fails the test after ``timeout``."""
        with self._lock:
            if not self._arrived.wait_for(lambda: len(self.records) >= count, timeout):
                raise AssertionError(
                    f"expected {count} batches of record changes within {timeout} s, "
                    f"got {len(self.records)}"
                )
            return [c for _, batch in self.records for c in batch]
