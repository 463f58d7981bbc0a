"""Fault injection: 5xx, 429, slow answers, dropped connections and short-lived tokens."""

from __future__ import annotations

import dataclasses
import random
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any


@dataclass
class FaultConfig:
    """Switches for one emulator; rates are fractions of calls between 0 and 1."""

    error_5xx_rate: float = 0.0
    rate_429: float = 0.0
    latency_ms: int = 0
    # fraction of calls delayed by latency_ms
    slow_rate: float = 0.0
    # fraction of calls whose connection is closed without an answer
    drop_rate: float = 0.0
    # overrides the access-token lifetime of the emulator's OAuth server
    token_ttl_seconds: int | None = None
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Fault(Enum):
    NONE = "none"
    DROP = "drop"
    ERROR_5XX = "5xx"
    RATE_429 = "429"


@dataclass(frozen=True)
class FaultDecision:
    fault: Fault
    delay_seconds: float


class FaultInjector:
    """Decides per call, with a seeded generator so a run is repeatable."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config or FaultConfig()
        self._random = random.Random(self._config.seed)

    @property
    def config(self) -> FaultConfig:
        with self._lock:
            return dataclasses.replace(self._config)

    def update(self, **changes: Any) -> FaultConfig:
        with self._lock:
            fields = {f.name for f in dataclasses.fields(FaultConfig)}
            unknown = set(changes) - fields
            if unknown:
                raise ValueError(f"unknown fault settings: {sorted(unknown)}")
            self._config = dataclasses.replace(self._config, **changes)
            if "seed" in changes:
                self._random = random.Random(self._config.seed)
            return dataclasses.replace(self._config)

    def replace(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = dataclasses.replace(config)
            self._random = random.Random(config.seed)

    def decide(self) -> FaultDecision:
        with self._lock:
            cfg = self._config
            rnd = self._random
            delay = 0.0
            if cfg.latency_ms > 0 and cfg.slow_rate > 0 and rnd.random() < cfg.slow_rate:
                delay = cfg.latency_ms / 1000.0
            fault = Fault.NONE
            if cfg.drop_rate > 0 and rnd.random() < cfg.drop_rate:
                fault = Fault.DROP
            elif cfg.error_5xx_rate > 0 and rnd.random() < cfg.error_5xx_rate:
                fault = Fault.ERROR_5XX
            elif cfg.rate_429 > 0 and rnd.random() < cfg.rate_429:
                fault = Fault.RATE_429
            return FaultDecision(fault, delay)
