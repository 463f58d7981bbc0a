"""The /api/v1 routes: what they queue, what they read, and every refusal."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.config import Direction
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunKind, RunStatus
from ledgerbridge.engine.model import SyncRequest, Window, WindowKind
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.store.tables import flows
from tests.integration.api.conftest import PROBLEM, Api
from tests.integration.web.live import accounts_config

SYNC = "/api/v1/integrations/live/sync"


def _refused(api: Api, answer: Any, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["status"] == status
    for word in words:
        assert word in body["detail"], body["detail"]
    assert api.queued_nothing()


def test_sync_now_queues_a_run(api: Api) -> None:
    plain = api.http.post(SYNC, headers=api.auth)
    assert plain.status_code == 202
    assert plain.json() == {
        "queued": True,
        "integration": "live",
        "flows": [],
        "direction": "both",
        "window": {"kind": "since_last", "days": None},
        "email_summary": False,
    }
    body = {
        "flows": ["accounts"],
        "direction": "crm_to_books",
        "window": {"kind": "days", "days": 7},
        "email_summary": True,
    }
    chosen = api.http.post(SYNC, headers=api.auth, json=body)
    assert chosen.status_code == 202
    assert chosen.json() == {"queued": True, "integration": "live", **body}
    full = api.http.post(SYNC, headers=api.auth, json={"window": {"kind": "full"}})
    assert full.status_code == 202
    live = api.integration().id
    assert api.dispatcher.syncs == [
        (live, SyncRequest()),
        (
            live,
            SyncRequest(
                flows=("accounts",),
                direction=Direction.CRM_TO_BOOKS,
                window=Window(WindowKind.DAYS, 7),
                email_summary=True,
            ),
        ),
        (live, SyncRequest(window=Window(WindowKind.FULL))),
    ]


def test_bad_sync_input_names_the_field_and_queues_nothing(api: Api) -> None:
    cases: list[tuple[dict[str, Any], tuple[str, ...]]] = [
        ({"flows": ["accounts", "invoices"]}, ("flows", "'invoices'", "accounts")),
        ({"window": {"kind": "days", "days": 0}}, ("window.days", "greater than or equal to 1")),
        ({"window": {"kind": "days"}}, ("window", '"days"', "1 or more")),
        ({"window": {"kind": "full", "days": 3}}, ("window", "kind")),
        ({"window": {"kind": "weeks"}}, ("window.kind", "since_last")),
        ({"direction": "sideways"}, ("direction", "crm_to_books", "books_to_crm")),
        ({"flow": ["accounts"]}, ("flow", "xtra")),
    ]
    for body, words in cases:
        _refused(api, api.http.post(SYNC, headers=api.auth, json=body), 422, *words)
    not_json = api.http.post(
        SYNC, headers=api.auth | {"content-type": "application/json"}, content=b"{"
    )
    _refused(api, not_json, 422, "JSON")


def test_unknown_paused_and_disabled_integrations_are_refused(api: Api) -> None:
    record = "/api/v1/integrations/{}/records/accounts/crm/1/sync"
    for path in ("/api/v1/integrations/nope/sync", record.format("nope")):
        _refused(api, api.http.post(path, headers=api.auth), 404, "'nope'", "GET /api/v1/")
    _refused(api, api.http.get("/api/v1/integrations/nope/runs", headers=api.auth), 404, "nope")
    api.app.store.integrations.set_state("live", "paused")
    for path in (SYNC, record.format("live")):
        _refused(api, api.http.post(path, headers=api.auth), 409, "paused", "live/resume")
    api.app.store.integrations.set_state("live", "disabled")
    for path in (SYNC, record.format("live")):
        _refused(api, api.http.post(path, headers=api.auth), 409, "disabled", "live/enable")


def test_one_record_is_queued_from_either_side(api: Api) -> None:
    base = "/api/v1/integrations/live/records/accounts"
    crm = api.http.post(f"{base}/crm/4242/sync", headers=api.auth)
    assert crm.status_code == 202
    assert crm.json() == {
        "queued": True,
        "integration": "live",
        "flow": "accounts",
        "side": "crm",
        "record_id": "4242",
    }
    books = api.http.post(f"{base}/books/9f1c-77/sync", headers=api.auth)
    assert books.status_code == 202
    assert api.dispatcher.records == [
        (api.integration().id, [RecordChange("accounts", Side.CRM, "4242")]),
        (api.integration().id, [RecordChange("accounts", Side.BOOKS, "9f1c-77")]),
    ]


def test_bad_record_requests_are_refused(api: Api) -> None:
    base = "/api/v1/integrations/live/records"
    _refused(api, api.http.post(f"{base}/accounts/erp/1/sync", headers=api.auth), 422, "side")
    _refused(
        api, api.http.post(f"{base}/deals/crm/1/sync", headers=api.auth), 404, "deals", "accounts"
    )
    flow = accounts_config().flows[0].model_copy(update={"direction": Direction.CRM_TO_BOOKS})
    api.app.store.integrations.replace(accounts_config().model_copy(update={"flows": (flow,)}))
    one_way = api.http.post(f"{base}/accounts/books/1/sync", headers=api.auth)
    _refused(api, one_way, 409, "crm_to_books", "books records")
    assert api.http.post(f"{base}/accounts/crm/1/sync", headers=api.auth).status_code == 202


def test_runs_are_listed_newest_first_and_read_with_their_items(api: Api) -> None:
    runs = api.app.store.runs
    live = api.integration().id
    first = runs.start(live, RunKind.SCHEDULED, {"flows": []}, dry_run=False)
    runs.finish(first, RunStatus.SUCCEEDED, {"accounts": {"crm": {"created": 1}}})
    second = runs.start(live, RunKind.MANUAL, {"flows": ["accounts"]}, dry_run=False)
    runs.add_items(
        second,
        [
            RunItem("accounts", Side.CRM, "1", Outcome.CREATED, partner_id="x1", label="Acme"),
            RunItem("accounts", Side.BOOKS, "x2", Outcome.FAILED, reason="name clash"),
        ],
    )
    runs.finish(second, RunStatus.PARTIAL, {}, error=None)
    runs.set_notice(second, "the summary e-mail could not be sent")

    listed = api.http.get("/api/v1/integrations/live/runs", headers=api.auth)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [second, first]
    assert listed.json()[1]["counts"] == {"accounts": {"crm": {"created": 1}}}
    assert listed.json()[1]["kind"] == "scheduled"
    page = api.http.get(
        "/api/v1/integrations/live/runs", params={"limit": 1}, headers=api.auth
    ).json()
    assert [r["id"] for r in page] == [second]
    older = api.http.get(
        "/api/v1/integrations/live/runs", params={"before": second}, headers=api.auth
    ).json()
    assert [r["id"] for r in older] == [first]
    bad_limit = api.http.get(
        "/api/v1/integrations/live/runs", params={"limit": 0}, headers=api.auth
    )
    _refused(api, bad_limit, 422, "limit")

    one = api.http.get(f"/api/v1/runs/{second}", headers=api.auth)
    assert one.status_code == 200
    detail = one.json()
    assert detail["status"] == "partial"
    assert detail["integration"] == "live"
    assert detail["request"] == {"flows": ["accounts"]}
    assert detail["notice"] == "the summary e-mail could not be sent"
    assert [(i["record_id"], i["outcome"], i["reason"]) for i in detail["items"]] == [
        ("1", "created", ""),
        ("x2", "failed", "name clash"),
    ]
    assert detail["items"][0]["label"] == "Acme"
    _refused(api, api.http.get("/api/v1/runs/999999", headers=api.auth), 404, "999999")


def test_unknown_routes_and_methods_are_problem_documents_too(api: Api) -> None:
    missing = api.http.get("/api/v1/nowhere", headers=api.auth)
    _refused(api, missing, 404, "/api/v1/nowhere", "/api/v1/docs")
    wrong = api.http.delete("/api/v1/integrations/live/sync", headers=api.auth)
    _refused(api, wrong, 405, "DELETE")
    assert "POST" in wrong.headers["allow"]
    # outside the API, FastAPI's own answers stay
    elsewhere = api.http.get("/nowhere")
    assert elsewhere.status_code == 404
    assert elsewhere.headers["content-type"] != PROBLEM


def test_a_stored_config_that_went_bad_is_a_conflict_not_a_crash(api: Api) -> None:
    with api.app.store.engine.begin() as conn:
        conn.execute(flows.update().values(config={"name": "accounts"}))
    broken = api.http.get("/api/v1/integrations/live", headers=api.auth)
    _refused(api, broken, 409, "no longer valid", "crm_module")
