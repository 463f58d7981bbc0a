"""Dispatchers for tests: one that runs syncs at once on the caller's thread, one that records."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ledgerbridge.bootstrap import App
from ledgerbridge.engine.model import RunReport, SyncRequest
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


@dataclass
class SyncDispatcher:
    """Runs every submitted sync at once, one at a time, on the submitting thread."""

    app: App
    reports: list[RunReport] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit_sync(self, integration_id: int, request: SyncRequest) -> None:
        with self._lock:
            integration = self.app.store.integrations.get_by_id(integration_id)
            report = self.app.engine.run(integration, self.app.systems(integration), request)
            self.reports.append(report)

    def submit_records(self, integration_id: int, changes: Sequence[RecordChange]) -> None:
        with self._lock:
            integration = self.app.store.integrations.get_by_id(integration_id)
            systems = self.app.systems(integration)
            for change in dict.fromkeys(changes):
                report = self.app.engine.sync_record(
                    integration, systems, change.flow, change.side, change.record_id
                )
                self.reports.append(report)
