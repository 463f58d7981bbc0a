"""The in-memory connector holds 100,000 records and reads recent changes without a scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledgerbridge.connectors.memory import MemoryConnector, ModuleRules, TickingClock

START = datetime(2025, 1, 1, tzinfo=UTC)
SIZE = 100_000


def test_a_recent_read_touches_only_what_changed_among_100k() -> None:
    clock = TickingClock(START, step=timedelta(microseconds=10))
    conn = MemoryConnector("xero", clock=clock, modules={"Contacts": ModuleRules(unique=("Name",))})
    for i in range(SIZE):
        conn.put("Contacts", {"Name": f"Person {i}", "EmailAddress": f"p{i}@example.com"})
    assert conn.count("Contacts") == SIZE

    clock.advance(timedelta(hours=1))
    since = clock.peek()
    edited = [f"{i}" for i in range(1, SIZE, SIZE // 50)]
    for id in edited:
        conn.edit("Contacts", id, {"Phone": "555"})
    conn.delete("Contacts", "7")

    conn.reset_calls()
    changes = [r for page in conn.read_changes("Contacts", since) for r in page.records]
    assert [r.id for r in changes] == [*edited, "7"]
    assert changes[-1].deleted
    assert conn.calls["read_changes"] == 1
    # One log entry per change, nothing of the 100,000 untouched records.
    assert conn.entries_scanned == len(edited) + 1

    conn.reset_calls()
    everything = sum(len(page.records) for page in conn.read_changes("Contacts", None))
    assert everything == SIZE - 1
    assert conn.calls["read_changes"] == (SIZE - 1 + 199) // 200
