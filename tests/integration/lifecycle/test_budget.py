"""A run plans within the day's remaining calls: finished flows keep their progress."""

from __future__ import annotations

from datetime import UTC, datetime

from ledgerbridge.connectors.base import Budget
from ledgerbridge.connectors.http.limiter import Limits, RateLimiter
from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunStatus
from tests.integration.lifecycle.conftest import BuildWorld


def test_flows_finished_before_the_budget_ran_low_keep_their_cursors(
    build: BuildWorld,
) -> None:
    clock = TickingClock()
    books = MemoryConnector("books", clock=clock, daily_budget=1000)
    w = build(books=books, clock=clock)
    for n in range(3):
        w.crm.put("Accounts", {"Account_Name": f"A{n}"})
        w.crm.put("Products", {"Product_Name": f"P{n}", "Product_Code": f"P-{n}"})
    # Accounts first; what accounts spends leaves products below the reserve.
    w.engine.budget_reserve = 1000 - 3

    report = w.sync()

    assert report.status is RunStatus.WAITING
    assert report.error is not None
    assert "so flow products was not started" in report.error
    cursors = w.store.cursors.all(w.integration.id)
    assert cursors.get(("accounts", Side.CRM)) is not None
    assert ("products", Side.CRM) not in cursors
    assert w.sizes("accounts") == (3, 3)
    assert w.sizes("products") == (3, 0)

    w.books.reset_budget()
    w.engine.budget_reserve = 50
    assert w.sync().status is RunStatus.SUCCEEDED
    assert w.sizes("products") == (3, 3)
    assert w.mismatches("products") == []


def test_the_rate_limiter_reports_the_days_budget_from_its_count_and_the_headers() -> None:
    wall = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    assert RateLimiter(Limits(per_minute=60), wall=lambda: wall).budget() is None
    limiter = RateLimiter(Limits(per_day=100), wall=lambda: wall)
    assert limiter.budget() == Budget(100, datetime(2026, 3, 5, tzinfo=UTC))
    limiter.observe({"x-daylimit-remaining": "7"})
    budget = limiter.budget()
    assert budget is not None
    assert budget.remaining == 7
