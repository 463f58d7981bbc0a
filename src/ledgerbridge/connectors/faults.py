"""Switchable failures for the in-memory connector, reproducible from a seed.

A :class:`FaultPlan` decides, call by call, whether a call fails the way real APIs fail: a 503
before anything happens, a 429 with ``Retry-After``, a write applied on the server whose answer
is lost on the way back, a single record refused, or the whole process dying after a number of
writes. The plan keeps its own random generator and counters, so assigning a fresh plan starts
the sequence over.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledgerbridge.domain.errors import RateLimitedError, RetriableError

RecordFilter = Callable[[str, Mapping[str, Any]], "str | None"]


class SimulatedCrash(BaseException):
    """The process "dies" here.

    A ``BaseException`` so that ``except Exception`` in the code under test cannot swallow it,
    just as nothing catches a killed process.
    """


@dataclass
class FaultPlan:
    """Which failures to inject; the connector consults it on every API call."""

    seed: int = 0
    # Fraction of calls that raise RetriableError (a 503) before doing anything.
    error_rate: float = 0.0
    # Fraction of calls that raise RateLimitedError (a 429) before doing anything.
    rate_limit_rate: float = 0.0
    # Fraction of write calls applied on the server whose answer is then lost.
    drop_after_write_rate: float = 0.0
    # (module, fields) -> a message to refuse that one record with code "invalid", else None.
    fail_records: RecordFilter | None = None
    # Once this many write calls have completed, every further call raises SimulatedCrash.
    crash_after_writes: int | None = None
    # The next N calls raise RetriableError.
    fail_next: int = 0
    # Seconds carried by injected 429s.
    retry_after: float = 1.0
    writes_completed: int = field(default=0, init=False, compare=False)
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "drop_after_write_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {rate}")
        self._rng = random.Random(self.seed)

    def _draw(self, rate: float) -> bool:
        # Switched-off rates draw nothing, so a plan without random faults uses no randomness.
        return rate > 0.0 and self._rng.random() < rate

    def before_call(self, system: str, method: str) -> None:
        """Raise the failure, if any, that this call meets before the server does anything."""
        if self.crash_after_writes is not None and self.writes_completed >= self.crash_after_writes:
            raise SimulatedCrash(
                f"process died before {system}.{method} after {self.writes_completed} writes"
            )
        if self.fail_next > 0:
            self.fail_next -= 1
            raise RetriableError(
                f"{system}: {method} answered HTTP 503 Service Unavailable (injected)"
            )
        if self._draw(self.rate_limit_rate):
            raise RateLimitedError(
                f"{system}: {method} answered HTTP 429 Too Many Requests (injected)",
                retry_after=self.retry_after,
            )
        if self._draw(self.error_rate):
            raise RetriableError(
                f"{system}: {method} answered HTTP 503 Service Unavailable (injected)"
            )

    def refuse(self, module: str, fields: Mapping[str, Any]) -> str | None:
        """The message refusing this one record, or ``None`` to let it through."""
        if self.fail_records is None:
            return None
        return self.fail_records(module, fields)

    def after_write(self, system: str, method: str) -> None:
        """Called once a write call was applied: lose its answer or count it as completed."""
        if self._draw(self.drop_after_write_rate):
            raise RetriableError(
                f"{system}: {method} was applied but the connection dropped before the answer "
                "(injected)"
            )
        self.writes_completed += 1
