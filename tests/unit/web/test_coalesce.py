"""The coalescer: one batch per integration and window, repeats merged, timers injected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from ledgerbridge.domain.records import Side
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.web.coalesce import Coalescer


@dataclass
class HandTimer:
    delay: float
    function: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class HandTimers:
    """Timers that fire only when a test says so."""

    made: list[HandTimer] = field(default_factory=list)

    def __call__(self, delay: float, function: Callable[[], None]) -> HandTimer:
        timer = HandTimer(delay, function)
        self.made.append(timer)
        return timer

    def fire_all(self) -> None:
        for timer in [t for t in self.made if not t.cancelled]:
            timer.cancelled = True
            timer.function()


def change(record_id: str, side: Side = Side.CRM, flow: str = "accounts") -> RecordChange:
    return RecordChange(flow, side, record_id)


@pytest.fixture
def submitted() -> list[tuple[int, list[RecordChange]]]:
    return []


def recorder(
    submitted: list[tuple[int, list[RecordChange]]],
) -> Callable[[int, Sequence[RecordChange]], None]:
    return lambda integration_id, changes: submitted.append((integration_id, list(changes)))


def test_a_burst_becomes_one_batch_with_repeats_merged(
    submitted: list[tuple[int, list[RecordChange]]],
) -> None:
    timers = HandTimers()
    coalescer = Coalescer(recorder(submitted), 1.0, schedule=timers)
    coalescer.add(1, [change("a"), change("b")])
    coalescer.add(1, [change("a"), change("c"), change("a", Side.BOOKS)])
    assert len(timers.made) == 1 and timers.made[0].delay == 1.0
    assert submitted == []
    assert coalescer.pending(1) == (change("a"), change("b"), change("c"), change("a", Side.BOOKS))

    timers.fire_all()
    assert submitted == [(1, [change("a"), change("b"), change("c"), change("a", Side.BOOKS)])]
    assert coalescer.pending(1) == ()

    coalescer.add(1, [change("a")])  # a later event opens a new window
    assert len(timers.made) == 2
    timers.fire_all()
    assert submitted[-1] == (1, [change("a")])


def test_integrations_are_batched_apart(submitted: list[tuple[int, list[RecordChange]]]) -> None:
    timers = HandTimers()
    coalescer = Coalescer(recorder(submitted), 0.5, schedule=timers)
    coalescer.add(1, [change("a")])
    coalescer.add(2, [change("a")])
    timers.fire_all()
    assert sorted(submitted) == [(1, [change("a")]), (2, [change("a")])]


def test_a_zero_window_submits_at_once(submitted: list[tuple[int, list[RecordChange]]]) -> None:
    timers = HandTimers()
    coalescer = Coalescer(recorder(submitted), 0.0, schedule=timers)
    coalescer.add(3, [change("x"), change("x")])
    assert submitted == [(3, [change("x")])]
    assert timers.made == []


def test_close_submits_what_waits_and_refuses_more(
    submitted: list[tuple[int, list[RecordChange]]],
) -> None:
    timers = HandTimers()
    coalescer = Coalescer(recorder(submitted), 5.0, schedule=timers)
    coalescer.add(1, [change("a")])
    coalescer.close()
    assert submitted == [(1, [change("a")])]
    assert timers.made[0].cancelled
    with pytest.raises(RuntimeError, match="closed"):
        coalescer.add(1, [change("b")])


def test_a_failing_dispatcher_is_logged_and_the_next_batch_still_goes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def submit(integration_id: int, changes: Sequence[RecordChange]) -> None:
        calls.append(integration_id)
        if len(calls) == 1:
            raise ConnectionError("queue down")

    timers = HandTimers()
    coalescer = Coalescer(submit, 1.0, schedule=timers)
    coalescer.add(1, [change("a")])
    timers.fire_all()
    assert "could not queue 1 webhook changes of integration 1" in caplog.text
    coalescer.add(1, [change("b")])
    timers.fire_all()
    assert calls == [1, 1]
