"""Remembers recent webhook deliveries so that a replayed one changes nothing."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ReplayGuard:
    """``first_time`` is true once per key within ``window``; at most ``limit`` keys are kept."""

    def __init__(
        self,
        window: timedelta = timedelta(minutes=30),
        *,
        clock: Clock = utc_now,
        limit: int = 10_000,
    ) -> None:
        self.window = window
        self._clock = clock
        self._limit = limit
        self._lock = threading.Lock()
        self._seen: OrderedDict[tuple[int, str], datetime] = OrderedDict()

    def first_time(self, integration_id: int, keys: Iterable[str]) -> bool:
        """Whether none of ``keys`` was seen lately for this integration; notes them all."""
        now = self._clock()
        wanted = [(integration_id, key) for key in keys]
        with self._lock:
            self._forget(now)
            fresh = not any(k in self._seen for k in wanted)
            for k in wanted:
                self._seen[k] = now
                self._seen.move_to_end(k)
            while len(self._seen) > self._limit:
                self._seen.popitem(last=False)
        return fresh

    def _forget(self, now: datetime) -> None:
        cutoff = now - self.window
        while self._seen:
            oldest = next(iter(self._seen))
            if self._seen[oldest] > cutoff:
                return
            del self._seen[oldest]
