"""The emulator's own admin routes: records as a user edits them, settings, workflow counters."""

from __future__ import annotations

from tests.contract.sandbox.zoho_crm.conftest import Crm, account


def test_records_created_edited_and_deleted_as_a_user(crm: Crm) -> None:
    created = crm.client.post("/_sandbox/records/Accounts", json=account("Seeded"))
    assert created.status_code == 201
    ident = created.json()["data"][0]["id"]
    crm.clock.advance(5)
    edited = crm.client.patch(f"/_sandbox/records/Accounts/{ident}", json={"Phone": "42"})
    assert edited.json()["data"][0]["Modified_Time"] == "2026-03-10T12:00:05+00:00"
    refused = crm.client.post("/_sandbox/records/Accounts", json={"Phone": "1"})
    assert refused.status_code == 400
    assert refused.json()["refused"]["code"] == "MANDATORY_NOT_FOUND"
    listed = crm.client.get("/_sandbox/records/Accounts").json()["data"]
    assert [record["Phone"] for record in listed] == ["42"]
    assert crm.client.delete(f"/_sandbox/records/Accounts/{ident}").status_code == 200
    assert crm.client.delete(f"/_sandbox/records/Accounts/{ident}").status_code == 404
    workflow = crm.client.get("/_sandbox/workflow").json()
    assert workflow == {"workflow_runs": 0, "trigger_requests": []}


def test_settings_switches(crm: Crm) -> None:
    answer = crm.client.put(
        "/_sandbox/settings",
        json={"multi_currency": True, "base_currency": "EUR", "search_lag_seconds": 5},
    ).json()
    assert (answer["multi_currency"], answer["base_currency"]) == (True, "EUR")
    assert crm.state.search_lag_seconds == 5
    edition = crm.client.put("/_sandbox/settings", json={"edition": "free"}).json()
    assert edition["credits"] == 5000
    assert crm.client.put("/_sandbox/settings", json={"concurrency": 3}).json()["concurrency"] == 3


def test_channels_and_flush_are_visible(crm: Crm) -> None:
    assert crm.client.get("/_sandbox/channels").json() == {"channels": []}
    assert crm.client.post("/_sandbox/notifications/flush").json() == {"flushed": True}
