"""Tokens of users: each sees and acts on its user's integrations only; admins see all."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.runs import RunKind, RunStatus
from tests.integration.api.conftest import Api, refused
from tests.integration.web.live import accounts_config

# Every route that names an integration, with a body it would accept from its owner.
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/v1/integrations/{}", None),
    ("GET", "/api/v1/integrations/{}/config", None),
    ("PUT", "/api/v1/integrations/{}/config", "document"),
    ("PATCH", "/api/v1/integrations/{}/config", {"notify_email": "x@example.com"}),
    ("POST", "/api/v1/integrations/{}/pause", None),
    ("POST", "/api/v1/integrations/{}/resume", None),
    ("POST", "/api/v1/integrations/{}/disable", None),
    ("POST", "/api/v1/integrations/{}/enable", None),
    ("DELETE", "/api/v1/integrations/{}", None),
    ("GET", "/api/v1/integrations/{}/flows", None),
    ("GET", "/api/v1/integrations/{}/flows/accounts", None),
    (
        "PUT",
        "/api/v1/integrations/{}/flows/accounts/fields",
        {"fields": [{"crm": "A", "books": "B"}]},
    ),
    ("POST", "/api/v1/integrations/{}/flows/accounts/disable", None),
    ("POST", "/api/v1/integrations/{}/flows/accounts/enable", None),
    ("GET", "/api/v1/integrations/{}/schedule", None),
    ("PUT", "/api/v1/integrations/{}/schedule", {"enabled": False}),
    ("POST", "/api/v1/integrations/{}/sync", None),
    ("POST", "/api/v1/integrations/{}/records/accounts/crm/1/sync", None),
    ("GET", "/api/v1/integrations/{}/runs", None),
]


def _body(body: Any, name: str) -> Any:
    if body == "document":
        return accounts_config(name).model_dump(mode="json")
    return body


def test_another_users_integration_is_answered_like_a_missing_one(api: Api) -> None:
    store = api.app.store
    ann = api.add_user("ann@example.com")
    api.add_user("bob@example.com")
    store.integrations.create(accounts_config("anns"), owner_id=ann)
    run = store.runs.start(api.integration("anns").id, RunKind.MANUAL, {}, dry_run=False)
    store.runs.finish(run, RunStatus.SUCCEEDED, {})
    bob = api.as_user("bob@example.com")
    before = api.snapshot()
    for method, path, body in ROUTES:
        for name in ("anns", "nobodys"):
            answer = api.http.request(
                method, path.format(name), headers=bob, json=_body(body, name)
            )
            problem = refused(answer, 404, f"'{name}'")
            # the same words whether it exists or not
            assert problem["detail"].replace(name, "X") == (
                "no integration named 'X'; `GET /api/v1/integrations` lists the ones you can see"
            ), (method, path, problem["detail"])
    for path in (f"/api/v1/runs/{run}", f"/api/v1/runs/{run}/items"):
        refused(api.http.get(path, headers=bob), 404, f"no run with id {run}")
    assert api.http.get("/api/v1/integrations", headers=bob).json() == []
    assert api.snapshot() == before
    assert api.queued_nothing()


def test_a_user_works_on_their_own_integrations(api: Api) -> None:
    store = api.app.store
    ann = api.add_user("ann@example.com")
    store.integrations.create(accounts_config("anns"), owner_id=ann)
    mine = api.as_user("ann@example.com")
    assert [i["name"] for i in api.http.get("/api/v1/integrations", headers=mine).json()] == [
        "anns"
    ]
    for method, path, body in ROUTES:
        if method == "DELETE":
            continue
        answer = api.http.request(
            method, path.format("anns"), headers=mine, json=_body(body, "anns")
        )
        assert answer.status_code in (200, 202), (method, path, answer.text)
    assert len(api.dispatcher.syncs) == 1
    assert len(api.dispatcher.records) == 1
    assert api.http.post("/api/v1/integrations/anns/disable", headers=mine).status_code == 200
    assert api.http.delete("/api/v1/integrations/anns", headers=mine).status_code == 200
    assert [r.name for r in store.integrations.list()] == ["live"]


def test_what_a_user_creates_is_theirs(api: Api) -> None:
    store = api.app.store
    ann = api.add_user("ann@example.com")
    api.add_user("bob@example.com")
    api.add_user("root@example.com", admin=True)
    # a user builds on the connections of integrations they can see
    store.integrations.create(accounts_config("anns"), owner_id=ann)
    made = api.http.post(
        "/api/v1/integrations",
        headers=api.as_user("ann@example.com"),
        json={"config": accounts_config("anns2").model_dump(mode="json")},
    )
    assert made.status_code == 201, made.text
    assert api.integration("anns2").owner_id == ann
    bob = api.as_user("bob@example.com")
    before = api.snapshot()
    # bob sees no connection, so he cannot point an integration at ann's
    taken = api.http.post(
        "/api/v1/integrations", headers=bob, json={"config": accounts_config("bobs").model_dump()}
    )
    problem = refused(taken, 422, "'crm'")
    assert {e["field"] for e in problem["errors"]} == {
        "config.crm_connection",
        "config.books_connection",
    }
    assert api.snapshot() == before
    root = api.as_user("root@example.com")
    everything = api.http.get("/api/v1/integrations", headers=root).json()
    assert [i["name"] for i in everything] == ["anns", "anns2", "live"]
    assert api.http.get("/api/v1/integrations/anns2/config", headers=root).status_code == 200
    operator = api.http.get("/api/v1/integrations", headers=api.auth).json()
    assert [i["name"] for i in operator] == ["anns", "anns2", "live"]
