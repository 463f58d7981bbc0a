"""100 calls a minute without a 429, retries, and a workload through faults."""

from __future__ import annotations

import httpx
import pytest

from ledgerbridge.connectors.http.limiter import Limits
from ledgerbridge.connectors.zoho_books import plan_limits
from ledgerbridge.domain.errors import DailyLimitError
from ledgerbridge.domain.records import Draft, Patch
from ledgerbridge.sandbox.core.faults import FaultConfig
from tests.contract.connectors.subjects.zoho_books import BooksWorld, books_world
from tests.integration.connectors.zoho_books.conftest import customer
from tests.integration.connectors.zoho_crm.transports import AnswerLoser, ExpireTokensAt, at_rate

COUNT = 2000


def _burst(world: BooksWorld, limits: Limits, ids: list[str]) -> list[str]:
    conn = world.new_connector(limits=limits)
    return [r.id for rid in ids for r in conn.get_many("contacts", [rid])]


def test_a_burst_waits_for_the_minute_instead_of_tripping_429(world: BooksWorld) -> None:
    ids = [customer(world, f"Burst {i}") for i in range(250)]
    assert _burst(world, Limits(per_minute=100, concurrency=10), ids) == ids
    assert 429 not in world.statuses()
    assert world.slept and sum(world.slept) >= 120  # two full minutes waited, virtually


def test_without_the_minute_limit_the_same_burst_trips_429(world: BooksWorld) -> None:
    ids = [customer(world, f"Burst {i}") for i in range(150)]
    assert _burst(world, Limits(concurrency=10), ids) == ids  # Retry-After waited out
    assert 429 in world.statuses()


def test_plan_limits_follow_the_published_table() -> None:
    assert plan_limits("free") == Limits(100, 5, 1000)
    assert plan_limits("premium") == Limits(100, 10, 10000)


def test_reads_ride_out_5xx_429_and_drops(world: BooksWorld) -> None:
    ids = [customer(world, f"Flaky {i:03d}") for i in range(300)]
    world.app.state.faults.update(error_5xx_rate=0.25, rate_429=0.2, drop_rate=0.2, seed=4)
    records = [r for p in world.books.read_changes("contacts", None) for r in p.records]
    assert sorted(r.id for r in records) == sorted(ids)
    assert [r.id for r in world.books.get_many("contacts", ids[:3])] == ids[:3]
    assert {500, 429, 0} <= set(world.statuses())


def test_creates_updates_and_a_full_read_through_faults_end_exact() -> None:
    layers: dict[str, httpx.BaseTransport] = {}

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        expiring = ExpireTokensAt(inner, at=1500, expire=lambda: None)
        loser = AnswerLoser(expiring, at_rate("POST", 0.03, seed=9))
        layers.update(expiring=expiring, loser=loser)
        return loser

    faults = FaultConfig(error_5xx_rate=0.04, rate_429=0.03, drop_rate=0.03, seed=17)
    with books_world(wrap=wrap, faults=faults) as world:
        expiring, loser = layers["expiring"], layers["loser"]
        assert isinstance(expiring, ExpireTokensAt) and isinstance(loser, AnswerLoser)
        expiring.expire = world.state.oauth.expire_all_access_tokens
        conn = world.books

        drafts = [
            Draft(f"r{i}", {"contact_name": f"Workload {i:04d}", "email": f"w{i}@x.test"})
            for i in range(COUNT)
        ]
        created = conn.create_many("contacts", drafts)
        assert all(r.ok for r in created), [r.error for r in created if not r.ok][:3]
        ids = [str(r.id) for r in created]
        assert len(set(ids)) == COUNT

        patches = [Patch(rid, {"company_name": f"Company {i:04d}"}) for i, rid in enumerate(ids)]
        assert all(r.ok for r in conn.update_many("contacts", patches))

        records = [r for page in conn.read_changes("contacts", None) for r in page.records]
        by_id = {r.id: r.fields for r in records}
        assert len(by_id) == COUNT == world.state.count(world.org_id, "contacts")
        for i, rid in enumerate(ids):
            assert by_id[rid]["contact_name"] == f"Workload {i:04d}"
            assert by_id[rid]["company_name"] == f"Company {i:04d}"
            assert by_id[rid]["email"] == f"w{i}@x.test"

        assert {500, 429, 0} <= set(world.statuses())
        assert loser.lost >= 10 and expiring.fired and conn.auth.refreshes >= 1


def test_the_days_limit_stops_at_the_first_429_instead_of_waiting(world: BooksWorld) -> None:
    rid = customer(world, "Daily")
    world.app.state.limiter.per_day = 2
    assert [r.id for r in world.books.get_many("contacts", [rid, rid])] == [rid]
    world.books.get_many("contacts", [rid])
    with pytest.raises(DailyLimitError) as raised:
        world.books.get_many("contacts", [rid])
    assert world.statuses()[-1] == 429 and world.slept == []
    assert raised.value.reset_at is not None and raised.value.reset_at > world.clock.now()
