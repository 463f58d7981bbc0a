"""How many API calls common work costs, against what the API allows at best."""

from __future__ import annotations

from ledgerbridge.domain.records import Draft
from tests.integration.connectors.xero.emulator import Xero


def test_a_thousand_creates_reads_and_lookups_cost_forty_six_calls(world: Xero) -> None:
    conn = world.connector()
    names = [f"Bench Co {i:04d}" for i in range(1000)]

    before = world.ledger.total("xero")
    made = conn.create_many("Contacts", [Draft(n, {"Name": n}, f"bench-{n}") for n in names])
    creates = world.ledger.total("xero") - before
    assert all(r.ok for r in made)

    before = world.ledger.total("xero")
    read = [r for p in conn.read_changes("Contacts", None) for r in p.records]
    reads = world.ledger.total("xero") - before
    assert len(read) == 1000

    before = world.ledger.total("xero")
    found = conn.find_many("Contacts", "Name", names)
    lookups = world.ledger.total("xero") - before
    assert len(found) == 1000

    # 50 records per write as Xero recommends, 1,000 per page, 40 keys per lookup.
    assert (creates, reads, lookups) == (20, 1, 25)
