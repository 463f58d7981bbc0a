"""Bursts of webhook events for one integration become one batch of single-record syncs.

A person saving a record often fires several events within a second (an edit, then a workflow's
field update); syncing each would read and write the same record several times. The first event
for an integration opens a window; every event that arrives before it closes joins the batch,
duplicates merged, and the batch goes to the dispatcher once. Scheduled polling stays the net
that catches whatever a lost webhook missed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from ledgerbridge.jobs.dispatch import RecordChange

log = logging.getLogger(__name__)

Submit = Callable[[int, Sequence[RecordChange]], None]


class Timer(Protocol):
    def cancel(self) -> None: ...


# Calls the function once after the delay (seconds) unless the returned timer is cancelled.
Schedule = Callable[[float, Callable[[], None]], Timer]


def thread_timer(delay: float, function: Callable[[], None]) -> Timer:
    timer = threading.Timer(delay, function)
    timer.daemon = True
    timer.start()
    return timer


class Coalescer:
    """Collects record changes per integration for ``window`` seconds, then submits them."""

    def __init__(self, submit: Submit, window: float, *, schedule: Schedule = thread_timer) -> None:
        self._submit = submit
        self.window = window
        self._schedule = schedule
        self._lock = threading.Lock()
        # dicts keep arrival order and merge repeats
        self._pending: dict[int, dict[RecordChange, None]] = {}
        self._timers: dict[int, Timer] = {}
        self._closed = False

    def add(self, integration_id: int, changes: Iterable[RecordChange]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the webhook coalescer is closed")
            batch = self._pending.setdefault(integration_id, {})
            for change in changes:
                batch[change] = None
            opened = integration_id in self._timers
            if not opened and self.window > 0:
                self._timers[integration_id] = self._schedule(
                    self.window, lambda: self._fire(integration_id)
                )
        if self.window <= 0:
            self._fire(integration_id)

    def pending(self, integration_id: int) -> tuple[RecordChange, ...]:
        with self._lock:
            return tuple(self._pending.get(integration_id, ()))

    def flush(self) -> None:
        """Submit every open batch now (shutting down, or a test that wants it at once)."""
        with self._lock:
            waiting = list(self._pending)
        for integration_id in waiting:
            self._fire(integration_id)

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._closed = True

    def _fire(self, integration_id: int) -> None:
        with self._lock:
            timer = self._timers.pop(integration_id, None)
            batch = self._pending.pop(integration_id, None)
        if timer is not None:
            timer.cancel()
        if not batch:
            return
        try:
            self._submit(integration_id, list(batch))
        except Exception:
            # The next scheduled run reads these changes again; a webhook is never the only path.
            log.exception(
                "could not queue %d webhook changes of integration %d", len(batch), integration_id
            )
