"""Rate limits on the virtual clock: sliding minute, UTC-midnight day, concurrency, app minute."""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ledgerbridge.sandbox.core.clock import VirtualClock

_MINUTE = 60.0
_APP_KEY = "\x00app"


@dataclass(frozen=True)
class LimitDecision:
    """The outcome of one acquire; ``problem`` is "minute", "day", "concurrent" or "appminute"."""

    allowed: bool
    retry_after: int | None = None
    problem: str | None = None
    remaining_minute: int | None = None
    remaining_day: int | None = None
    remaining_app_minute: int | None = None


class RateLimiter:
    """Limits per key (tenant, organisation, user) and optionally per app across keys.

    A refused call does not count against any window, like the vendors' limits.
    """

    def __init__(
        self,
        clock: VirtualClock,
        *,
        per_minute: int | None,
        per_day: int | None,
        concurrency: int | None,
        app_per_minute: int | None = None,
    ) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.per_day = per_day
        self.concurrency = concurrency
        self.app_per_minute = app_per_minute
        self.enabled = True
        self._lock = threading.Lock()
        self._minute: dict[str, deque[float]] = defaultdict(deque)
        self._day: dict[str, tuple[str, int]] = {}
        self._active: dict[str, int] = defaultdict(int)

    def reset(self) -> None:
        with self._lock:
            self._minute.clear()
            self._day.clear()
            self._active.clear()

    def _window(self, key: str, now: float) -> deque[float]:
        stamps = self._minute[key]
        while stamps and stamps[0] <= now - _MINUTE:
            stamps.popleft()
        return stamps

    @staticmethod
    def _day_of(now: float) -> str:
        return datetime.fromtimestamp(now, tz=UTC).date().isoformat()

    @staticmethod
    def _seconds_to_midnight(now: float) -> int:
        current = datetime.fromtimestamp(now, tz=UTC)
        midnight = datetime(current.year, current.month, current.day, tzinfo=UTC) + timedelta(
            days=1
        )
        return max(1, math.ceil(midnight.timestamp() - now))

    def _day_used(self, key: str, now: float) -> int:
        day = self._day_of(now)
        stored = self._day.get(key)
        if stored is None or stored[0] != day:
            return 0
        return stored[1]

    def _remaining(self, key: str, now: float) -> tuple[int | None, int | None, int | None]:
        minute = (
            self.per_minute - len(self._window(key, now)) if self.per_minute is not None else None
        )
        day = self.per_day - self._day_used(key, now) if self.per_day is not None else None
        app = (
            self.app_per_minute - len(self._window(_APP_KEY, now))
            if self.app_per_minute is not None
            else None
        )
        return minute, day, app

    def peek(self, key: str) -> LimitDecision:
        """What is left for ``key`` without taking anything."""
        now = self.clock.timestamp()
        with self._lock:
            minute, day, app = self._remaining(key, now)
        return LimitDecision(True, None, None, minute, day, app)

    def acquire(self, key: str) -> LimitDecision:
        now = self.clock.timestamp()
        with self._lock:
            minute, day, app = self._remaining(key, now)
            if not self.enabled:
                # still counted so release() stays symmetric if limits are switched on mid-call
                self._active[key] += 1
                return LimitDecision(True, None, None, minute, day, app)
            if self.concurrency is not None and self._active[key] >= self.concurrency:
                return LimitDecision(False, 1, "concurrent", minute, day, app)
            if day is not None and day <= 0:
                return LimitDecision(False, self._seconds_to_midnight(now), "day", minute, 0, app)
            if minute is not None and minute <= 0:
                oldest = self._window(key, now)[0]
                wait = max(1, math.ceil(oldest + _MINUTE - now))
                return LimitDecision(False, wait, "minute", 0, day, app)
            if app is not None and app <= 0:
                oldest = self._window(_APP_KEY, now)[0]
                wait = max(1, math.ceil(oldest + _MINUTE - now))
                return LimitDecision(False, wait, "appminute", minute, day, 0)
            if self.per_minute is not None:
                self._minute[key].append(now)
                minute = (minute or 0) - 1
            if self.app_per_minute is not None:
                self._minute[_APP_KEY].append(now)
                app = (app or 0) - 1
            if self.per_day is not None:
                self._day[key] = (self._day_of(now), self._day_used(key, now) + 1)
                day = (day or 0) - 1
            self._active[key] += 1
            return LimitDecision(True, None, None, minute, day, app)

    def active(self, key: str) -> int:
        """Calls under way for ``key``."""
        with self._lock:
            return self._active.get(key, 0)

    def release(self, key: str) -> None:
        with self._lock:
            if self._active.get(key, 0) > 0:
                self._active[key] -= 1
