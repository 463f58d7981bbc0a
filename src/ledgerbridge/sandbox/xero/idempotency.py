"""Idempotency-Key handling: a repeat within about 6 minutes gets the first answer back."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from ledgerbridge.sandbox.core.clock import VirtualClock

MAX_KEY_LENGTH = 128
WINDOW_SECONDS = 360.0


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    stored_at: float
    status: int
    body: bytes


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper(), path.lower(), query):
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(body)
    return digest.hexdigest()


class IdempotencyCache:
    """Answers by (tenant, key); one lock per key so a retry waits for the first call."""

    def __init__(self, clock: VirtualClock, window_seconds: float = WINDOW_SECONDS) -> None:
        self.clock = clock
        self.window_seconds = window_seconds
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, str], StoredAnswer] = {}
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}

    def key_lock(self, tenant: str, key: str) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault((tenant, key), threading.Lock())

    def lookup(self, tenant: str, key: str) -> StoredAnswer | None:
        now = self.clock.timestamp()
        with self._lock:
            stored = self._answers.get((tenant, key))
            if stored is None:
                return None
            if now - stored.stored_at > self.window_seconds:
                del self._answers[(tenant, key)]
                return None
            return stored

    def store(self, tenant: str, key: str, print_: str, status: int, body: bytes) -> None:
        with self._lock:
            self._answers[(tenant, key)] = StoredAnswer(
                print_, self.clock.timestamp(), status, body
            )
