"""The replay guard: a delivery seen lately changes nothing; old ones are forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledgerbridge.web.replay import ReplayGuard


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_key_is_new_once_per_integration_within_the_window() -> None:
    clock = Clock()
    guard = ReplayGuard(timedelta(minutes=10), clock=clock)
    assert guard.first_time(1, ["sequence:1-3", "body:aa"])
    assert not guard.first_time(1, ["body:aa"])
    assert not guard.first_time(1, ["sequence:1-3", "body:bb"])  # same range, other entropy
    assert guard.first_time(2, ["body:aa"])  # another integration
    clock.now += timedelta(minutes=11)
    assert guard.first_time(1, ["body:aa"])


def test_at_most_limit_keys_are_kept() -> None:
    guard = ReplayGuard(timedelta(hours=1), clock=Clock(), limit=2)
    for key in ("a", "b", "c"):
        assert guard.first_time(1, [key])
    assert guard.first_time(1, ["a"])  # the oldest was dropped
    assert not guard.first_time(1, ["c"])
