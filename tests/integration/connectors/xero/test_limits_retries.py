"""Rate limits kept by waiting, and retries on 5xx, 429 and dropped connections."""

from __future__ import annotations

import threading

import httpx
import pytest

from ledgerbridge.domain.errors import DailyLimitError, RetriableError
from ledgerbridge.domain.records import Draft
from tests.integration.connectors.xero.emulator import Xero


def _statuses(world: Xero) -> list[int]:
    return [e.status for e in world.ledger.entries() if e.path_template.startswith("/api.xro")]


def test_a_burst_waits_for_the_minute_instead_of_tripping_a_429(world: Xero) -> None:
    conn = world.connector()
    started = world.clock.timestamp()
    for _ in range(150):
        conn.organisation()
    statuses = _statuses(world)
    assert statuses == [200] * 150
    assert world.clock.timestamp() - started >= 120  # two full minutes were waited out
    assert conn.limiter.waited >= 120
    assert conn.limiter.remaining_day == 5000 - 150  # from X-DayLimit-Remaining


def test_threads_stay_within_five_concurrent_calls(world: Xero) -> None:
    conn = world.connector()
    contact = world.state.add_contact(Name="Busy")
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                assert conn.get_many("Contacts", [contact["ContactID"]])
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    assert 429 not in _statuses(world)
    assert len(_statuses(world)) == 80


def test_a_429_from_a_shared_budget_is_waited_out(world: Xero) -> None:
    conn = world.connector()
    conn.organisation()
    # Another app of the same organisation spends the rest of this minute.
    other = world.client()
    other.headers.update(
        {
            "Authorization": f"Bearer {world.tokens().access_token}",
            "xero-tenant-id": world.state.tenant_id,
            "Accept": "application/json",
        }
    )
    while other.get("https://api.xero.com/api.xro/2.0/Organisation").status_code == 200:
        pass
    before = world.clock.timestamp()
    assert conn.organisation().base_currency == "NZD"
    assert 429 in _statuses(world)
    assert world.clock.timestamp() - before >= 1
    assert conn.api.retries >= 1


def test_a_spent_day_stops_before_calling(world: Xero) -> None:
    world.app.state.limiter.per_day = 3  # what X-DayLimit-Remaining counts down from
    conn = world.connector()
    for _ in range(3):
        conn.organisation()
    assert conn.limiter.remaining_day == 0
    calls = world.ledger.total("xero")
    with pytest.raises(DailyLimitError) as caught:
        conn.organisation()
    assert caught.value.reset_at is not None and caught.value.reset_at > world.clock.now()
    assert world.ledger.total("xero") == calls


@pytest.mark.parametrize(
    "fault",
    [{"error_5xx_rate": 0.5}, {"rate_429": 0.5}, {"drop_rate": 0.5}],
    ids=["5xx", "429", "drop"],
)
def test_reads_and_writes_are_retried_through_faults(world: Xero, fault: dict[str, float]) -> None:
    conn = world.connector()
    world.faults.update(seed=1, **fault)
    drafts = [Draft(f"r{i}", {"Name": f"Retry {i}"}, f"retry-{i}") for i in range(120)]
    results = conn.create_many("Contacts", drafts)
    assert all(r.ok for r in results)
    found = conn.find_many("Contacts", "Name", [f"Retry {i}" for i in range(120)])
    world.faults.update(error_5xx_rate=0.0, rate_429=0.0, drop_rate=0.0)
    assert {r.id for r in found} == {r.id for r in results}
    assert world.state.count("contacts") == 120
    assert conn.api.retries > 0
    assert any(s in (0, 429) or s >= 500 for s in _statuses(world))


def test_a_lost_answer_to_a_write_is_replayed_not_applied_twice(world: Xero) -> None:
    recorder = world.recorder(seed=2)
    recorder.lose_rate = 0.5
    conn = world.connector(http=world.client(recorder))
    drafts = [Draft(f"r{i}", {"Name": f"Lost {i}"}, f"lost-{i}") for i in range(200)]
    results = conn.create_many("Contacts", drafts)
    assert recorder.lost > 0
    assert all(r.ok for r in results) and len({r.id for r in results}) == 200
    assert world.state.count("contacts") == 200


def test_a_server_that_keeps_failing_gives_up_with_a_retriable_error(world: Xero) -> None:
    conn = world.connector()
    world.faults.update(error_5xx_rate=1.0)
    with pytest.raises(RetriableError, match="gave up"):
        conn.get_many("Contacts", ["00000000-0000-0000-0000-000000000001"])
    with pytest.raises(RetriableError):
        conn.create_many("Contacts", [Draft("x", {"Name": "Never"}, "never")])
    assert world.state.count("contacts") == 0
    assert isinstance(conn.http, httpx.Client)
