"""/api/v1/integrations/{name}/flows and /schedule: read, field maps replaced, flows switched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.domain.config import FieldRule
from tests.integration.api.conftest import Api, fields, refused
from tests.integration.web.live import accounts_config, application, connect, emulators, web
from tests.support.dispatch import RecordingDispatcher

FLOWS = "/api/v1/integrations/live/flows"
SCHEDULE = "/api/v1/integrations/live/schedule"


def test_flows_are_listed_and_shown(api: Api) -> None:
    listed = api.http.get(FLOWS, headers=api.auth)
    assert listed.status_code == 200
    assert [f["name"] for f in listed.json()] == ["accounts"]
    shown = api.http.get(f"{FLOWS}/accounts", headers=api.auth)
    assert shown.status_code == 200
    flow = shown.json()
    assert flow["crm_module"] == "Accounts"
    [key] = flow["match_keys"]
    assert (key["crm"], key["books"], key["kind"]) == ("Account_Name", "Name", "name")
    assert [(r["crm"], r["books"]) for r in flow["fields"]] == [
        ("Account_Name", "Name"),
        ("Account_Number", "AccountNumber"),
    ]
    refused(api.http.get(f"{FLOWS}/deals", headers=api.auth), 404, "'deals'", "accounts")
    refused(api.http.get("/api/v1/integrations/nope/flows", headers=api.auth), 404, "'nope'")
    refused(api.http.get("/api/v1/integrations/nope/flows/accounts", headers=api.auth), 404)


def test_a_flows_field_rules_are_replaced(api: Api) -> None:
    rules = [
        {"crm": "Account_Name", "books": "Name"},
        {"crm": "Phone", "books": "Phones.0.PhoneNumber", "direction": "crm_to_books"},
        {
            "crm": "Rating",
            "books": "ContactStatus",
            "direction": "crm_to_books",
            "transform": {"kind": "value_map", "map": {"Active": "ACTIVE"}},
        },
    ]
    answer = api.http.put(f"{FLOWS}/accounts/fields", headers=api.auth, json={"fields": rules})
    assert answer.status_code == 200, answer.text
    assert [r["crm"] for r in answer.json()["flow"]["fields"]] == [
        "Account_Name",
        "Phone",
        "Rating",
    ]
    saved = api.integration().flow("accounts").fields
    assert saved[1] == FieldRule(
        crm="Phone", books="Phones.0.PhoneNumber", direction="crm_to_books"
    )
    assert saved[2].transform.kind == "value_map"
    # the match keys and the rest of the flow are untouched
    assert api.integration().flow("accounts").match_keys == accounts_config().flows[0].match_keys


def test_bad_field_rules_name_the_field_and_change_nothing(api: Api) -> None:
    before = api.snapshot()
    url = f"{FLOWS}/accounts/fields"
    cases: list[tuple[Any, str, str]] = [
        ({"fields": []}, "fields", "at least one field rule"),
        ({"fields": [{"books": "Name", "crm": None}]}, "fields.0", "needs a 'crm' field"),
        (
            {"fields": [{"crm": "A", "books": "Name"}, {"crm": "A", "books": "B"}]},
            "fields",
            "twice",
        ),
        (
            {"fields": [{"crm": "A", "books": "B", "transform": {"kind": "lookup"}}]},
            "fields.0.transform.lookup.flow",
            "required",
        ),
        (
            {"fields": [{"crm": "A", "books": "B", "transform": {"kind": "lookup", "flow": "x"}}]},
            "fields",
            "unknown flow 'x'",
        ),
        ({"fields": [{"crm": "A", "books": "B", "colour": "red"}]}, "fields.0.colour", "xtra"),
        ({"rules": []}, "rules", "xtra"),
    ]
    for body, field, word in cases:
        problem = refused(api.http.put(url, headers=api.auth, json=body), 422, word)
        assert field in fields(problem), (body, fields(problem))
    ok = {"fields": [{"crm": "A", "books": "B"}]}
    refused(api.http.put(f"{FLOWS}/deals/fields", headers=api.auth, json=ok), 404, "'deals'")
    assert api.snapshot() == before


def test_a_flow_is_disabled_and_enabled(api: Api) -> None:
    off = api.http.post(f"{FLOWS}/accounts/disable", headers=api.auth)
    assert off.status_code == 200
    assert off.json()["enabled"] is False
    assert api.integration().flow("accounts").enabled is False
    refused(
        api.http.post("/api/v1/integrations/live/records/accounts/crm/1/sync", headers=api.auth),
        409,
        "disabled",
        "flows/accounts/enable",
    )
    on = api.http.post(f"{FLOWS}/accounts/enable", headers=api.auth)
    assert on.json()["enabled"] is True
    assert api.integration().flow("accounts").enabled is True
    for action in ("enable", "disable"):
        refused(api.http.post(f"{FLOWS}/deals/{action}", headers=api.auth), 404, "deals")


def test_the_schedule_is_shown_and_set(api: Api) -> None:
    shown = api.http.get(SCHEDULE, headers=api.auth)
    assert shown.status_code == 200
    assert shown.json()["description"] == "off"
    body = {
        "enabled": True,
        "interval_minutes": None,
        "times": ["07:00", "13:30"],
        "timezone": "Europe/London",
        "flows": ["accounts"],
        "direction": "crm_to_books",
        "email_summary": True,
    }
    answer = api.http.put(SCHEDULE, headers=api.auth, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["schedule"] == body
    assert answer.json()["description"] == (
        "at 07:00, 13:30 (Europe/London), crm_to_books, flows accounts, e-mail summary"
    )
    saved = api.integration().schedule
    assert saved.times == ("07:00", "13:30")
    assert saved.timezone == "Europe/London"

    before = api.snapshot()
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"enabled": True, "interval_minutes": 2}, "interval_minutes", "greater than or equal"),
        ({"times": ["7am"]}, "times.0", "pattern"),
        ({"timezone": "Nowhere/City"}, "schedule", "Nowhere/City"),
        ({"flows": ["deals"]}, "flows", "'deals'"),
        ({"direction": "sideways"}, "direction", "both"),
        ({"enabled": True, "interval_minutes": None}, "schedule", "an interval"),
        ({"every": 5}, "every", "xtra"),
    ]
    for case, field, word in cases:
        problem = refused(api.http.put(SCHEDULE, headers=api.auth, json=case), 422, word)
        assert field in fields(problem), (case, fields(problem))
    refused(api.http.get("/api/v1/integrations/nope/schedule", headers=api.auth), 404)
    refused(api.http.put("/api/v1/integrations/nope/schedule", headers=api.auth, json={}), 404)
    assert api.snapshot() == before


def test_flows_and_schedules_need_a_token(api: Api) -> None:
    before = api.snapshot()
    for method, path in (
        ("GET", FLOWS),
        ("GET", f"{FLOWS}/accounts"),
        ("PUT", f"{FLOWS}/accounts/fields"),
        ("POST", f"{FLOWS}/accounts/enable"),
        ("POST", f"{FLOWS}/accounts/disable"),
        ("GET", SCHEDULE),
        ("PUT", SCHEDULE),
    ):
        refused(api.http.request(method, path, json={}), 401, "token")
    assert api.snapshot() == before


@pytest.fixture
def linked(tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, str], Any]]:
    """Integration ``live`` on connections linked to the Zoho CRM and Xero emulators."""
    with emulators() as emu:
        app = application(tmp_path)
        try:
            connect(app, emu)
            app.store.integrations.create(accounts_config())
            auth = {"Authorization": f"Bearer {app.store.tokens.create('t').secret}"}
            with (
                web(app, RecordingDispatcher()) as served,
                httpx.Client(base_url=served.url, timeout=30) as http,
            ):
                yield http, auth, app
        finally:
            app.close()


def test_field_rules_are_checked_against_the_systems_fields(
    linked: tuple[httpx.Client, dict[str, str], Any],
) -> None:
    http, auth, app = linked
    before = app.store.integrations.config("live")
    wrong = {
        "fields": [{"crm": "Account_Name", "books": "Name"}, {"crm": "Shoe_Size", "books": "Name2"}]
    }
    problem = refused(http.put(f"{FLOWS}/accounts/fields", headers=auth, json=wrong), 422)
    assert set(fields(problem)) == {"fields"}
    assert "Shoe_Size is not a field of Accounts" in problem["detail"]
    assert "Name2 is not a field of Contacts" in problem["detail"]
    assert app.store.integrations.config("live") == before
    right = {
        "fields": [
            {"crm": "Account_Name", "books": "Name"},
            {"crm": "Phone", "books": "Phones.0.PhoneNumber"},
        ]
    }
    answer = http.put(f"{FLOWS}/accounts/fields", headers=auth, json=right)
    assert answer.status_code == 200, answer.text
    assert answer.json()["warnings"] == []
