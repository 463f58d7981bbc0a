"""Rate limits on the virtual clock and seeded fault decisions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import Fault, FaultConfig, FaultInjector
from ledgerbridge.sandbox.core.limits import RateLimiter


def _clock() -> VirtualClock:
    clock = VirtualClock(datetime(2030, 3, 1, 10, 0, tzinfo=UTC))
    clock.freeze()
    return clock


def test_minute_window_slides_and_tells_when_to_retry() -> None:
    clock = _clock()
    limiter = RateLimiter(clock, per_minute=3, per_day=None, concurrency=None)
    for expected in (2, 1, 0):
        decision = limiter.acquire("t")
        assert decision.allowed
        assert decision.remaining_minute == expected
        limiter.release("t")
        clock.advance(10)
    refused = limiter.acquire("t")
    assert not refused.allowed
    assert refused.problem == "minute"
    # the first call was at t=0 and now is t=30: it leaves the window in 30 s
    assert refused.retry_after == 30
    assert limiter.acquire("other").allowed
    clock.advance(30)
    assert limiter.acquire("t").allowed


def test_day_limit_resets_at_utc_midnight() -> None:
    clock = _clock()
    limiter = RateLimiter(clock, per_minute=None, per_day=2, concurrency=None)
    assert limiter.acquire("t").allowed
    assert limiter.acquire("t").remaining_day == 0
    refused = limiter.acquire("t")
    assert (refused.allowed, refused.problem) == (False, "day")
    assert refused.retry_after == 14 * 3600
    clock.advance(14 * 3600)
    decision = limiter.acquire("t")
    assert decision.allowed
    assert decision.remaining_day == 1


def test_concurrency_is_released() -> None:
    limiter = RateLimiter(_clock(), per_minute=None, per_day=None, concurrency=2)
    assert limiter.acquire("t").allowed
    assert limiter.acquire("t").allowed
    refused = limiter.acquire("t")
    assert (refused.allowed, refused.problem, refused.retry_after) == (False, "concurrent", 1)
    limiter.release("t")
    assert limiter.acquire("t").allowed


def test_app_minute_limit_spans_keys() -> None:
    limiter = RateLimiter(_clock(), per_minute=10, per_day=None, concurrency=None, app_per_minute=3)
    for key in ("a", "b", "c"):
        assert limiter.acquire(key).allowed
    refused = limiter.acquire("d")
    assert (refused.allowed, refused.problem) == (False, "appminute")
    assert refused.remaining_app_minute == 0


def test_disabled_limiter_allows_everything() -> None:
    limiter = RateLimiter(_clock(), per_minute=1, per_day=1, concurrency=1)
    limiter.enabled = False
    assert all(limiter.acquire("t").allowed for _ in range(10))


def test_faults_are_seeded_and_updatable() -> None:
    def run(seed: int) -> list[Fault]:
        injector = FaultInjector(FaultConfig(error_5xx_rate=0.3, drop_rate=0.1, seed=seed))
        return [injector.decide().fault for _ in range(200)]

    first = run(7)
    assert first == run(7)
    assert Fault.ERROR_5XX in first
    assert Fault.DROP in first
    assert Fault.NONE in first
    injector = FaultInjector()
    assert all(injector.decide().fault is Fault.NONE for _ in range(50))
    injector.update(rate_429=1.0, latency_ms=50, slow_rate=1.0)
    decision = injector.decide()
    assert decision.fault is Fault.RATE_429
    assert decision.delay_seconds == pytest.approx(0.05)
    with pytest.raises(ValueError, match="unknown"):
        injector.update(nonsense=1)
