"""A virtual clock: real time plus an offset, so tests can skip through limits and expiries."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class VirtualClock:
    """Aware-UTC time for an emulator; can be advanced, set, frozen and unfrozen."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None
        if start is not None:
            self._offset = self._to_epoch(start) - time.time()

    @staticmethod
    def _to_epoch(dt: datetime) -> float:
        if dt.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware datetime")
        return dt.timestamp()

    def _epoch(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    def timestamp(self) -> float:
        """Seconds since the epoch on the virtual clock."""
        with self._lock:
            return self._epoch()

    def now(self) -> datetime:
        with self._lock:
            return datetime.fromtimestamp(self._epoch(), tz=UTC)

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
            return datetime.fromtimestamp(self._epoch(), tz=UTC)

    def set(self, dt: datetime) -> None:
        target = self._to_epoch(dt)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset = target - time.time()

    def freeze(self) -> None:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.time() + self._offset

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def __repr__(self) -> str:
        return f"VirtualClock(now={self.now().isoformat()}, frozen={self.frozen})"


__all__ = ["VirtualClock"]
