"""Notification channels: subscribe, list, renew, expire, unsubscribe, and the callbacks.

The v8 spec types ``channel_id`` as an object and pins ``notify_url`` to a pattern no real
callback address matches, while the real service takes a number and any URL; so channel
writes and non-empty listings go around the validator; deletes and empty listings go through.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.contract.sandbox.zoho_crm.conftest import Crm, Receiver, account, contact

HOOK = "http://hooks.test/zoho/notify"


def watch(crm: Crm, method: str, items: list[dict[str, Any]]) -> httpx.Response:
    return crm.raw.request(
        method,
        "/crm/v8/actions/watch",
        json={"watch": items},
        headers={"Authorization": f"Zoho-oauthtoken {crm.token}"},
    )


def listed(crm: Crm) -> list[dict[str, Any]]:
    answer = crm.raw.get(
        "/crm/v8/actions/watch", headers={"Authorization": f"Zoho-oauthtoken {crm.token}"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["info"]["count"] == len(answer.json()["watch"])
    found: list[dict[str, Any]] = answer.json()["watch"]
    return found


def channel(crm: Crm, channel_id: Any, events: list[str], *, days: float = 1) -> dict[str, Any]:
    expiry = crm.clock.now() + timedelta(days=days)
    return {
        "channel_id": channel_id,
        "events": events,
        "notify_url": HOOK,
        "token": "secret-token",
        "channel_expiry": expiry.isoformat(timespec="seconds"),
    }


def test_subscribe_then_list_then_unsubscribe(crm: Crm) -> None:
    answer = watch(crm, "POST", [channel(crm, 1000000068001, ["Contacts.all", "Accounts.create"])])
    assert answer.status_code == 201
    [item] = answer.json()["watch"]
    assert item["code"] == "SUCCESS"
    assert [event["resource_name"] for event in item["details"]["events"]] == [
        "Contacts",
        "Accounts",
    ]
    assert item["details"]["events"][0]["channel_expiry"] == "2026-03-11T12:00:00+00:00"
    [registered] = listed(crm)
    assert registered["channel_id"] == 1000000068001
    assert registered["events"] == ["Contacts.all", "Accounts.create"]
    gone = crm.delete("/actions/watch", params={"channel_ids": "1000000068001"})
    assert gone.status_code == 200
    assert gone.json()["watch"][0]["message"] == "Successfully un-subscribed from actions-watch"
    assert crm.get("/actions/watch").status_code == 204
    again = crm.delete("/actions/watch", params={"channel_ids": "1000000068001"})
    assert again.status_code == 200


def test_expiry_beyond_a_week_is_refused(crm: Crm) -> None:
    answer = watch(crm, "POST", [channel(crm, 7, ["Contacts.all"], days=7.5)])
    assert answer.status_code == 400
    assert answer.json()["watch"][0]["details"]["api_name"] == "channel_expiry"
    assert watch(crm, "POST", [channel(crm, 7, ["Contacts.all"], days=7)]).status_code == 201


def test_bad_events_and_missing_url(crm: Crm) -> None:
    bad = channel(crm, 8, ["Widgets.all"])
    no_url = channel(crm, 9, ["Contacts.all"])
    del no_url["notify_url"]
    answer = watch(crm, "POST", [bad, no_url])
    assert answer.status_code == 400
    first, second = answer.json()["watch"]
    assert first["details"]["api_name"] == "events"
    assert (second["code"], second["details"]["api_name"]) == ("MANDATORY_NOT_FOUND", "notify_url")


def test_callbacks_are_batched_per_operation(crm: Crm, receiver: Receiver) -> None:
    watch(crm, "POST", [channel(crm, 42, ["Contacts.all"])])
    first, second = crm.insert("Contacts", contact("A", "a@x.test"), contact("B", "b@x.test"))
    crm.put("/Contacts", {"data": [{"id": first, "Email": "a2@x.test"}], "trigger": []})
    crm.state.delete("Contacts", second)
    crm.insert("Accounts", account("Not watched"))
    assert crm.state.flush_notifications()
    by_operation = {body["operation"]: body for body in receiver.bodies}
    assert set(by_operation) == {"insert", "update", "delete"}
    inserted = by_operation["insert"]
    assert inserted["ids"] == [first, second]
    assert inserted["module"] == "Contacts"
    assert inserted["channel_id"] == 42
    assert inserted["token"] == "secret-token"
    assert inserted["resource_uri"] == "http://crm.sandbox.test/crm/v8/Contacts"
    assert inserted["server_time"] == int(crm.clock.timestamp() * 1000)
    assert by_operation["update"]["affected_fields"] == [{first: ["Email"]}]
    assert by_operation["delete"]["ids"] == [second]


def test_user_edits_notify_too_and_events_filter(crm: Crm, receiver: Receiver) -> None:
    watch(crm, "POST", [channel(crm, 5, ["Accounts.edit"])])
    [acme] = crm.insert("Accounts", account("Acme"))
    crm.state.edit("Accounts", acme, {"Phone": "123"})
    crm.state.flush_notifications()
    assert [(body["operation"], body["ids"]) for body in receiver.bodies] == [("update", [acme])]


def test_expired_channel_gets_nothing_until_renewed(crm: Crm, receiver: Receiver) -> None:
    watch(crm, "POST", [channel(crm, 11, ["Accounts.all"], days=1)])
    crm.clock.advance(86400 + 1)
    fresh = crm.oauth.issue_for_tests().access_token
    crm.token = fresh
    crm.insert("Accounts", account("Unheard"))
    crm.state.flush_notifications()
    assert receiver.bodies == []
    assert crm.get("/actions/watch").status_code == 204
    renewed = watch(crm, "PUT", [{"channel_id": 11, **_expiry(crm, days=3)}])
    assert renewed.status_code == 200
    assert renewed.json()["watch"][0]["message"] == "Successfully updated the subscribe details"
    crm.insert("Accounts", account("Heard"))
    crm.state.flush_notifications()
    assert len(receiver.bodies) == 1
    patched = watch(crm, "PATCH", [{"channel_id": 11, **_expiry(crm, days=6)}])
    assert patched.status_code == 200
    [renewed_channel] = listed(crm)
    assert renewed_channel["channel_expiry"] == (crm.clock.now() + timedelta(days=6)).isoformat(
        timespec="seconds"
    )


def test_patch_with_delete_events_removes_them(crm: Crm) -> None:
    watch(crm, "POST", [channel(crm, 12, ["Accounts.all", "Contacts.all"])])
    answer = watch(
        crm, "PATCH", [{"channel_id": 12, "events": ["Accounts.all"], "_delete_events": True}]
    )
    assert answer.status_code == 200
    [remaining] = listed(crm)
    assert remaining["events"] == ["Contacts.all"]


def test_renewing_an_unknown_channel(crm: Crm) -> None:
    answer = watch(crm, "PUT", [{"channel_id": 99, **_expiry(crm, days=1)}])
    assert answer.status_code == 400
    assert answer.json()["watch"][0]["details"]["api_name"] == "channel_id"


def _expiry(crm: Crm, *, days: float) -> dict[str, str]:
    moment = crm.clock.now() + timedelta(days=days)
    return {"channel_expiry": moment.isoformat(timespec="seconds")}
