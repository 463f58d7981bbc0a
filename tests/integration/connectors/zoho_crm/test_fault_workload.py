"""A workload through 10% faults, lost answers and an expired token ends with exact data."""

from __future__ import annotations

import httpx

from ledgerbridge.domain.records import Draft, Patch
from ledgerbridge.sandbox.core.faults import FaultConfig
from tests.contract.connectors.subjects.zoho_crm import crm_world
from tests.integration.connectors.zoho_crm.transports import AnswerLoser, ExpireTokensAt, at_rate

COUNT = 2000


def test_creates_updates_and_a_full_read_through_faults_end_exact() -> None:
    layers: dict[str, httpx.BaseTransport] = {}

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        expiring = ExpireTokensAt(inner, at=25, expire=lambda: None)
        loser = AnswerLoser(expiring, at_rate("POST", 0.08, seed=5))
        layers.update(expiring=expiring, loser=loser)
        return loser

    faults = FaultConfig(error_5xx_rate=0.04, rate_429=0.03, drop_rate=0.03, seed=21)
    with crm_world(wrap=wrap, faults=faults) as world:
        expiring = layers["expiring"]
        assert isinstance(expiring, ExpireTokensAt)
        expiring.expire = world.oauth.expire_all_access_tokens
        conn = world.crm

        drafts = [
            Draft(f"r{i}", {"Account_Name": f"Workload {i:04d}", "Phone": f"+1 555 {i:04d}"})
            for i in range(COUNT)
        ]
        created = conn.create_many("Accounts", drafts)
        assert all(r.ok for r in created), [r.error for r in created if not r.ok][:3]
        ids = [str(r.id) for r in created]
        assert len(set(ids)) == COUNT

        patches = [
            Patch(rid, {"Website": f"https://w{i}.example", "Account_Number": f"N{i}"})
            for i, rid in enumerate(ids)
        ]
        updated = conn.update_many("Accounts", patches)
        assert all(r.ok for r in updated)

        records = [r for page in conn.read_changes("Accounts", None) for r in page.records]
        by_id = {r.id: r.fields for r in records}
        assert len(records) == COUNT == len(by_id) == world.state.count("Accounts")
        for i, rid in enumerate(ids):
            fields = by_id[rid]
            assert fields["Account_Name"] == f"Workload {i:04d}"
            assert (fields["Website"], fields["Account_Number"]) == (
                f"https://w{i}.example",
                f"N{i}",
            )

        statuses = world.statuses()
        assert {500, 429, 0} <= set(statuses)
        assert isinstance(layers["loser"], AnswerLoser) and layers["loser"].lost >= 1
        assert expiring.fired and conn.auth.refreshes >= 1
        # every API exchange was checked against the v8 spec (token calls have no spec)
        assert world.validator is not None
        checked = len(world.validator.validated) + len(world.validator.undescribed)
        assert checked > 50
        assert all("/oauth/" in r.path for r in world.validator.unvalidated)
