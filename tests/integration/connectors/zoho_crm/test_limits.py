"""Staying inside Zoho CRM's limits, and riding out 5xx, 429 and dropped connections."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from ledgerbridge.connectors.http.limiter import Limits
from ledgerbridge.connectors.zoho_crm import edition_limits
from ledgerbridge.domain.errors import DailyLimitError, RetriableError
from ledgerbridge.domain.records import Draft
from tests.contract.connectors.subjects.zoho_crm import CrmWorld


def _burst(
    world: CrmWorld, concurrency: int, ids: list[str]
) -> tuple[list[list[str]], list[Exception]]:
    conn = world.new_connector(limits=Limits(concurrency=concurrency))
    conn.field_meta("Contacts")
    world.app.state.limiter.concurrency = 2
    listing = world.state.list_records

    def slow(*args: Any, **kw: Any) -> Any:
        time.sleep(0.05)  # the server takes a while, so calls overlap
        return listing(*args, **kw)

    world.state.list_records = slow  # type: ignore[method-assign]
    got: list[list[str]] = []
    failed: list[Exception] = []
    lock = threading.Lock()
    start = threading.Barrier(len(ids))

    def read(rid: str) -> None:
        start.wait()
        try:
            found = [r.id for r in conn.get_many("Contacts", [rid])]
        except RetriableError as exc:
            with lock:
                failed.append(exc)
            return
        with lock:
            got.append(found)

    threads = [threading.Thread(target=read, args=(rid,)) for rid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got, failed


def test_the_limiter_waits_for_a_slot_instead_of_tripping_429(world: CrmWorld) -> None:
    ids = [world.state.create("Contacts", {"Last_Name": f"B{i}"})["id"] for i in range(8)]
    got, failed = _burst(world, 2, ids)
    assert sorted(g[0] for g in got) == sorted(ids) and failed == []
    assert 429 not in world.statuses()


def test_without_the_concurrency_cap_the_same_burst_trips_429(world: CrmWorld) -> None:
    ids = [world.state.create("Contacts", {"Last_Name": f"B{i}"})["id"] for i in range(8)]
    _got, _failed = _burst(world, 8, ids)
    assert 429 in world.statuses()


def test_credits_left_are_read_from_the_answers_and_a_spent_day_stops_calls(
    world: CrmWorld,
) -> None:
    world.state.credits.limit = 25
    world.crm.create_many(
        "Accounts", [Draft(f"r{i}", {"Account_Name": f"A{i}"}) for i in range(100)]
    )
    # a write of 100 records costs 10 credits, as the answer's header says
    assert world.crm.limiter.remaining_day == 15
    world.state.credits.limit = 12  # the field list and the read take the last two
    world.crm.get_many("Accounts", ["6051205000099999999"])
    assert world.crm.limiter.remaining_day == 0
    before = world.calls()
    with pytest.raises(DailyLimitError) as raised:
        world.crm.get_many("Accounts", ["6051205000099999999"])
    assert world.calls() == before
    assert raised.value.reset_at is not None


def test_edition_limits_follow_the_published_table() -> None:
    assert edition_limits("free") == Limits(None, 5, 5000)
    assert edition_limits("professional", users=10) == Limits(None, 15, 55000)
    assert edition_limits("enterprise", users=4).per_day == 54000
    assert edition_limits("ultimate").concurrency == 25


def test_reads_ride_out_5xx_429_and_dropped_connections(world: CrmWorld) -> None:
    ids = world.state.bulk_insert("Accounts", [{"Account_Name": f"R{i}"} for i in range(600)])
    world.app.state.faults.update(error_5xx_rate=0.25, rate_429=0.25, drop_rate=0.2, seed=11)
    got = world.crm.get_many("Accounts", ids)
    records = [r for p in world.crm.read_changes("Accounts", None) for r in p.records]
    assert sorted(r.id for r in got) == sorted(ids)
    assert sorted(r.id for r in records) == sorted(ids)
    statuses = world.statuses()
    assert {500, 429, 0} <= set(statuses)
    assert world.crm.api.retries >= statuses.count(500) + statuses.count(0)
    # the 429s were waited out on the virtual clock, honouring Retry-After
    assert world.slept.count(1.0) == statuses.count(429)


def test_spent_credits_stop_at_the_first_429_instead_of_waiting(world: CrmWorld) -> None:
    world.state.credits.limit = 0
    with pytest.raises(DailyLimitError) as raised:
        world.crm.get_many("Accounts", ["6051205000099999999"])
    assert world.calls() == 1 and world.slept == []
    assert raised.value.reset_at == (world.clock.now() + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
