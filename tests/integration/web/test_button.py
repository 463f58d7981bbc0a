"""The CRM button URL: the per-integration key opens it; anything else learns nothing."""

from __future__ import annotations

from ledgerbridge.domain.records import Side
from ledgerbridge.jobs.dispatch import RecordChange
from tests.integration.web.conftest import Site

PROBLEM = "application/problem+json"


def test_the_right_key_queues_the_record(site: Site) -> None:
    key = site.app.store.integrations.button_secret("live")
    answer = site.http.get("/sync/live/accounts/4242", params={"key": key})
    assert answer.status_code == 202
    assert answer.json() == {
        "queued": True,
        "integration": "live",
        "flow": "accounts",
        "record_id": "4242",
    }
    page = site.http.post(
        "/sync/live/accounts/4343", params={"key": key}, headers={"accept": "text/html"}
    )
    assert page.status_code == 202
    assert page.headers["content-type"].startswith("text/html")
    assert "Record 4343 is queued" in page.text
    assert site.dispatcher.changes() == [
        RecordChange("accounts", Side.CRM, "4242"),
        RecordChange("accounts", Side.CRM, "4343"),
    ]


def test_a_wrong_or_missing_key_is_forbidden(site: Site) -> None:
    key = site.app.store.integrations.button_secret("live")
    for params in ({"key": key[:-1] + ("x" if key[-1] != "x" else "y")}, {}, {"key": ""}):
        answer = site.http.get("/sync/live/accounts/1", params=params)
        assert answer.status_code == 403
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["status"] == 403
    rotated = site.app.store.integrations.rotate_button_secret("live")
    assert site.http.get("/sync/live/accounts/1", params={"key": key}).status_code == 403
    assert site.http.get("/sync/live/accounts/1", params={"key": rotated}).status_code == 202
    assert len(site.dispatcher.records) == 1


def test_unknown_integrations_and_flows_look_alike(site: Site) -> None:
    key = site.app.store.integrations.button_secret("live")
    no_integration = site.http.get("/sync/nope/accounts/1", params={"key": key})
    no_flow = site.http.get("/sync/live/nope/1", params={"key": key})
    assert no_integration.status_code == no_flow.status_code == 404
    assert no_integration.json()["detail"] == no_flow.json()["detail"]
    assert no_flow.headers["content-type"] == PROBLEM
    # without the key, a flow's existence is not revealed either
    assert site.http.get("/sync/live/nope/1", params={"key": "guess"}).status_code == 403
    assert site.dispatcher.records == []


def test_a_disabled_integration_refuses(site: Site) -> None:
    key = site.app.store.integrations.button_secret("live")
    site.app.store.integrations.set_state("live", "disabled")
    answer = site.http.get("/sync/live/accounts/1", params={"key": key})
    assert answer.status_code == 409
    assert "disabled" in answer.json()["detail"]
    site.app.store.integrations.set_state("live", "paused")  # a person's click still runs
    assert site.http.get("/sync/live/accounts/1", params={"key": key}).status_code == 202


def test_health(site: Site) -> None:
    assert site.http.get("/healthz").json() == {"status": "ok"}
