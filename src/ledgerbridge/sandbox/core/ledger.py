"""The call ledger: every emulator counts its calls by method and route path template."""

from __future__ import annotations

import threading
from collections import Counter
from typing import NamedTuple


class LedgerEntry(NamedTuple):
    system: str
    method: str
    path_template: str
    status: int


class CallLedger:
    """Thread-safe record of calls; keys look like ``"GET /api.xro/2.0/Contacts"``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LedgerEntry] = []

    def record(self, system: str, method: str, path_template: str, status: int) -> None:
        with self._lock:
            self._entries.append(LedgerEntry(system, method.upper(), path_template, status))

    def counts(self, system: str | None = None) -> dict[str, int]:
        with self._lock:
            counter = Counter(
                f"{e.method} {e.path_template}"
                for e in self._entries
                if system is None or e.system == system
            )
        return dict(counter)

    def total(self, system: str | None = None, method: str | None = None) -> int:
        wanted_method = method.upper() if method else None
        with self._lock:
            return sum(
                1
                for e in self._entries
                if (system is None or e.system == system)
                and (wanted_method is None or e.method == wanted_method)
            )

    def entries(self) -> list[LedgerEntry]:
        with self._lock:
            return list(self._entries)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
