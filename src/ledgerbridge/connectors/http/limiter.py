"""A per-connection rate limiter: documented limits up front, answer headers as they come."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ledgerbridge.connectors.base import Budget
from ledgerbridge.domain.errors import DailyLimitError


@dataclass(frozen=True, slots=True)
class Limits:
    per_minute: int | None = None
    concurrency: int | None = None
    per_day: int | None = None


# Header names vendors use for what is left of a budget.
_DAY_HEADERS = ("x-daylimit-remaining",)
_MINUTE_HEADERS = ("x-minlimit-remaining", "x-appminlimit-remaining")


@dataclass(frozen=True, slots=True)
class LimiterState:
    """What a limiter knows now, for metrics."""

    remaining_day: int | None
    remaining_minute: int | None
    waited_seconds: float
    calls: int


class RateLimiter:
    """Keeps one connection inside its limits: a sliding minute, a concurrency cap, a day.

    Waiting is cheaper than a 429: ``acquire`` sleeps until the minute window has room and a
    concurrency slot is free. A spent daily budget raises :class:`DailyLimitError` with the
    reset time, so a run can checkpoint instead of failing.
    """

    def __init__(
        self,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(limits.concurrency) if limits.concurrency else None
        self._recent: deque[float] = deque()
        self.remaining_day: int | None = limits.per_day
        self.remaining_minute: int | None = None
        # When the server says a minute budget shared with others is spent, wait it out
        # rather than spend a call on a 429.
        self._pause_until = 0.0
        self.waited = 0.0
        self.calls = 0

    def acquire(self) -> None:
        if self.remaining_day is not None and self.remaining_day <= 0:
            raise DailyLimitError(
                "the day's API budget of this connection is spent", reset_at=self.next_reset()
            )
        if self._slots is not None:
            self._slots.acquire()
        try:
            self._wait_for_minute()
        except BaseException:
            if self._slots is not None:
                self._slots.release()
            raise

    def _wait_for_minute(self) -> None:
        per_minute = self.limits.per_minute
        while True:
            with self._lock:
                now = self._clock()
                pause = self._pause_until - now
            if pause > 0:
                self.waited += pause
                self._sleep(pause)
                continue
            with self._lock:
                now = self._clock()
                while self._recent and now - self._recent[0] >= 60.0:
                    self._recent.popleft()
                if per_minute is None or len(self._recent) < per_minute:
                    self._recent.append(now)
                    self.calls += 1
                    if self.remaining_day is not None:
                        self.remaining_day -= 1
                    return
                wait = 60.0 - (now - self._recent[0]) + 0.01
            self.waited += wait
            self._sleep(wait)

    def release(self) -> None:
        if self._slots is not None:
            self._slots.release()

    def observe(self, headers: Mapping[str, str]) -> None:
        """Trust what the server says is left over our own count."""
        for name in _DAY_HEADERS:
            if name in headers:
                with contextlib.suppress(ValueError):
                    self.remaining_day = int(headers[name])
        for name in _MINUTE_HEADERS:
            if name in headers:
                with contextlib.suppress(ValueError):
                    left = int(headers[name])
                    self.remaining_minute = left
                    if left <= 0:
                        with self._lock:
                            now = self._clock()
                            oldest = self._recent[0] if self._recent else now
                            self._pause_until = max(self._pause_until, oldest + 60.0)

    def state(self) -> LimiterState:
        return LimiterState(
            remaining_day=self.remaining_day,
            remaining_minute=self.remaining_minute,
            waited_seconds=self.waited,
            calls=self.calls,
        )

    def budget(self) -> Budget | None:
        """What is left of the day's calls, when the API has a daily limit."""
        left = self.remaining_day
        return None if left is None else Budget(remaining=max(left, 0), resets_at=self.next_reset())

    def day_spent(self) -> None:
        self.remaining_day = 0

    def next_reset(self) -> datetime:
        now = self._wall()
        return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
