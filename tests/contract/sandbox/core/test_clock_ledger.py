"""The virtual clock and the call ledger."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.ledger import CallLedger


def test_clock_starts_at_given_time_and_runs_with_real_time() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = VirtualClock(start)
    now = clock.now()
    assert now.tzinfo is not None
    assert start <= now < start + timedelta(seconds=5)


def test_clock_advance_set_and_freeze() -> None:
    clock = VirtualClock(datetime(2030, 1, 1, tzinfo=UTC))
    clock.freeze()
    frozen = clock.now()
    assert clock.now() == frozen
    clock.advance(86_400)
    assert clock.now() == frozen + timedelta(days=1)
    target = datetime(2031, 6, 1, 12, tzinfo=UTC)
    clock.set(target)
    assert clock.now() == target
    clock.unfreeze()
    assert clock.now() >= target
    assert not clock.frozen


def test_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        VirtualClock(datetime(2030, 1, 1))  # noqa: DTZ001


def test_ledger_counts_by_template_system_and_method() -> None:
    ledger = CallLedger()

    def hit() -> None:
        for _ in range(100):
            ledger.record("xero", "get", "/api.xro/2.0/Contacts", 200)

    threads = [threading.Thread(target=hit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ledger.record("xero", "POST", "/api.xro/2.0/Contacts", 400)
    ledger.record("zoho_crm", "GET", "/crm/v8/{module}/{id}", 200)
    assert ledger.counts() == {
        "GET /api.xro/2.0/Contacts": 400,
        "POST /api.xro/2.0/Contacts": 1,
        "GET /crm/v8/{module}/{id}": 1,
    }
    assert ledger.counts("zoho_crm") == {"GET /crm/v8/{module}/{id}": 1}
    assert ledger.total() == 402
    assert ledger.total("xero", "POST") == 1
    assert ledger.entries()[-1].status == 200
    ledger.reset()
    assert ledger.total() == 0
