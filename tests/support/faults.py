"""Failure plans for engine tests that need a failure at one exact call."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ledgerbridge.connectors.faults import FaultPlan
from ledgerbridge.domain.errors import RetriableError


@dataclass
class FailOnCall(FaultPlan):
    """Answers the ``nth`` call of ``method`` (1-based) with a 503; every other call goes on."""

    method: str = "create_many"
    nth: int = 1
    seen: Counter[str] = field(default_factory=Counter, init=False, compare=False)

    def before_call(self, system: str, method: str) -> None:
        super().before_call(system, method)
        self.seen[method] += 1
        if method == self.method and self.seen[method] == self.nth:
            raise RetriableError(
                f"{system}: {method} answered HTTP 503 (injected at call {self.nth})"
            )
