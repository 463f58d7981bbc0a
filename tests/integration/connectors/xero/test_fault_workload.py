"""2,000 creates, 2,000 updates and a full read through one in ten calls failing.

Faults mix 5xx, 429 with Retry-After and dropped connections (10% of calls, the token endpoint
included); besides, some write answers are lost after Xero applied the write, and access
tokens expire every two minutes and once all at once mid-run. Waits move the emulator's
virtual clock, so they cost no real time. The end state must be exactly what was asked for.
"""

from __future__ import annotations

import time
from collections import Counter

from ledgerbridge.domain.records import Draft, Patch
from tests.integration.connectors.xero.emulator import Xero

N = 2000


def test_the_fault_workload_ends_with_exactly_the_expected_data(world: Xero) -> None:
    started = time.monotonic()
    world.faults.update(error_5xx_rate=0.04, rate_429=0.035, drop_rate=0.03, seed=11)
    world.faults.update(token_ttl_seconds=120)
    recorder = world.recorder(seed=12)
    recorder.lose_rate = 0.03
    store = world.token_store()
    conn = world.connector(store, http=world.client(recorder))

    drafts = [
        Draft(
            f"src-{i}",
            {"Name": f"Load Co {i:04d}", "EmailAddress": f"load{i}@example.com"},
            f"c-{i}",
        )
        for i in range(N)
    ]
    created = conn.create_many("Contacts", drafts)
    assert [r.ref for r in created] == [d.ref for d in drafts]
    assert all(r.ok for r in created), [r.error for r in created if not r.ok][:3]
    ids = [str(r.id) for r in created]
    assert len(set(ids)) == N

    world.oauth.expire_all_access_tokens()
    patches = [
        Patch(rid, {"EmailAddress": f"moved{i}@example.com", "FirstName": f"F{i}"}, f"u-{i}")
        for i, rid in enumerate(ids)
    ]
    updated = conn.update_many("Contacts", patches)
    assert all(r.ok for r in updated), [r.error for r in updated if not r.ok][:3]

    records = [r for page in conn.read_changes("Contacts", None) for r in page.records]
    world.faults.update(error_5xx_rate=0.0, rate_429=0.0, drop_rate=0.0)

    assert sorted(r.id for r in records) == sorted(ids)
    by_id = {r.id: r for r in records}
    for i, rid in enumerate(ids):
        fields = by_id[rid].fields
        assert fields["Name"] == f"Load Co {i:04d}"
        assert fields["EmailAddress"] == f"moved{i}@example.com"
        assert fields["FirstName"] == f"F{i}"
    # No duplicate anywhere: the organisation holds exactly the created contacts.
    assert world.state.count("contacts") == N
    names = Counter(c["Name"] for c in world.state.query("contacts").records)
    assert max(names.values()) == 1

    statuses = Counter(e.status for e in world.ledger.entries())
    assert statuses[0] and statuses[429] and statuses[500] and statuses[401]
    assert recorder.lost > 0
    assert conn.auth.refreshes >= 2
    assert store.load()[0].refresh_token is not None
    assert time.monotonic() - started < 60
