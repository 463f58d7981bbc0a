"""/api/v1/connections: listed and shown without secrets, added, changed, disconnected, deleted."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import Api, fields, refused
from tests.integration.web.live import accounts_config

BASE = "/api/v1/connections"


def test_connections_are_listed_and_shown_without_secrets(api: Api) -> None:
    store = api.app.store
    store.connections.replace_secrets(
        "xero",
        {"client_secret": "cs-123", "tokens": {"access_token": "at-456"}},
        expected_version=1,
    )
    listed = api.http.get(BASE, headers=api.auth)
    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()] == ["crm", "xero"]
    assert "cs-123" not in listed.text
    assert "at-456" not in listed.text
    xero = api.http.get(f"{BASE}/xero", headers=api.auth).json()
    assert xero["system"] == "xero"
    assert xero["settings"] == {"client_id": "x", "tenant_id": "t"}
    assert xero["connected"] is True
    assert xero["secrets_set"] == ["client_secret", "tokens"]
    assert xero["used_by"] == ["live"]
    crm = api.http.get(f"{BASE}/crm", headers=api.auth).json()
    assert crm["connected"] is False
    assert crm["secrets_set"] == []
    refused(api.http.get(f"{BASE}/nope", headers=api.auth), 404, "'nope'")


def test_a_connection_is_added_once(api: Api) -> None:
    body = {"name": "books", "system": "zoho_books", "settings": {"organization_id": "77"}}
    made = api.http.post(BASE, headers=api.auth, json=body)
    assert made.status_code == 201
    assert made.headers["location"] == f"{BASE}/books"
    assert made.json()["settings"] == {"organization_id": "77"}
    assert made.json()["used_by"] == []
    assert api.app.store.connections.get("books").system == "zoho_books"
    before = api.snapshot()
    again = api.http.post(BASE, headers=api.auth, json=body | {"system": "xero"})
    refused(again, 409, "already exists")
    assert api.snapshot() == before


def test_bad_connections_are_refused_naming_the_field(api: Api) -> None:
    before = api.snapshot()
    cases: list[tuple[dict[str, Any], list[str], str]] = [
        ({"name": "x", "system": "salesforce"}, ["system"], "zoho_crm"),
        ({"name": "", "system": "xero"}, ["name"], "pattern"),
        ({"name": "a b", "system": "xero"}, ["name"], "pattern"),
        ({"system": "xero"}, ["name"], "required"),
        ({"name": "x", "system": "xero", "settings": {"client_secret": "s"}}, [], "secrets/"),
        ({"name": "x", "system": "xero", "settings": {"a": {"nested": 1}}}, ["settings.a"], ""),
        ({"name": "x", "system": "xero", "secrets": {}}, ["secrets"], "xtra"),
    ]
    for body, paths, word in cases:
        problem = refused(api.http.post(BASE, headers=api.auth, json=body), 422, word)
        assert all(p in fields(problem) for p in paths), (body, fields(problem))
    secret = api.http.post(
        BASE, headers=api.auth, json={"name": "x", "system": "xero", "settings": {"Password": ""}}
    )
    assert fields(refused(secret, 422)) == ["settings.Password"]
    assert api.snapshot() == before


def test_settings_are_replaced_and_a_secret_set_write_only(api: Api) -> None:
    store = api.app.store
    changed = api.http.put(
        f"{BASE}/xero/settings",
        headers=api.auth,
        json={"settings": {"client_id": "y", "tenant_id": "t2"}},
    )
    assert changed.status_code == 200
    assert changed.json()["settings"] == {"client_id": "y", "tenant_id": "t2"}
    assert store.connections.get("xero").settings == {"client_id": "y", "tenant_id": "t2"}

    put = api.http.put(f"{BASE}/xero/secrets/webhook_key", headers=api.auth, json={"value": "wk"})
    assert put.status_code == 204
    assert put.content == b""
    assert store.connections.secrets("xero")[0] == {"webhook_key": "wk"}
    shown = api.http.get(f"{BASE}/xero", headers=api.auth)
    assert shown.json()["secrets_set"] == ["webhook_key"]
    assert "wk" not in shown.text.replace("webhook_key", "")

    before = api.snapshot()
    for key in ("tokens", "channel_tokens"):
        managed = api.http.put(f"{BASE}/xero/secrets/{key}", headers=api.auth, json={"value": "v"})
        assert fields(refused(managed, 422, "kept by ledgerbridge")) == ["key"]
    refused(api.http.put(f"{BASE}/xero/secrets/wk", headers=api.auth, json={"value": ""}), 422)
    refused(api.http.put(f"{BASE}/xero/secrets/9x", headers=api.auth, json={"value": "v"}), 422)
    bad_settings = api.http.put(
        f"{BASE}/xero/settings", headers=api.auth, json={"settings": {"refresh_token": "r"}}
    )
    assert fields(refused(bad_settings, 422)) == ["settings.refresh_token"]
    refused(api.http.put(f"{BASE}/xero/settings", headers=api.auth, json={}), 422, "settings")
    refused(
        api.http.put(f"{BASE}/nope/secrets/k", headers=api.auth, json={"value": "v"}), 404, "nope"
    )
    refused(api.http.put(f"{BASE}/nope/settings", headers=api.auth, json={"settings": {}}), 404)
    assert api.snapshot() == before


def test_disconnect_removes_the_tokens_only(api: Api) -> None:
    store = api.app.store
    store.connections.replace_secrets(
        "crm",
        {"client_secret": "cs", "tokens": {"refresh_token": "rt"}, "channel_tokens": {"live": "c"}},
        expected_version=1,
    )
    answer = api.http.post(f"{BASE}/crm/disconnect", headers=api.auth)
    assert answer.status_code == 200
    assert answer.json()["connected"] is False
    assert store.connections.secrets("crm")[0] == {
        "client_secret": "cs",
        "channel_tokens": {"live": "c"},
    }
    assert api.http.post(f"{BASE}/crm/disconnect", headers=api.auth).status_code == 200
    refused(api.http.post(f"{BASE}/nope/disconnect", headers=api.auth), 404)


def test_a_connection_in_use_is_not_deleted(api: Api) -> None:
    before = api.snapshot()
    refused(api.http.delete(f"{BASE}/xero", headers=api.auth), 409, "live")
    assert api.snapshot() == before
    api.app.store.connections.add("spare", "xero", {}, {})
    gone = api.http.delete(f"{BASE}/spare", headers=api.auth)
    assert gone.status_code == 204
    assert [c.name for c in api.app.store.connections.list()] == ["crm", "xero"]
    refused(api.http.delete(f"{BASE}/spare", headers=api.auth), 404, "spare")


def test_connections_need_a_token(api: Api) -> None:
    before = api.snapshot()
    for method, path in (
        ("GET", BASE),
        ("GET", f"{BASE}/xero"),
        ("POST", BASE),
        ("PUT", f"{BASE}/xero/settings"),
        ("PUT", f"{BASE}/xero/secrets/k"),
        ("POST", f"{BASE}/xero/disconnect"),
        ("DELETE", f"{BASE}/xero"),
    ):
        refused(api.http.request(method, path, json={"value": "v"}), 401, "token")
    assert api.snapshot() == before


def test_a_user_sees_their_connections_and_those_of_their_integrations(api: Api) -> None:
    store = api.app.store
    ann = api.add_user("ann@example.com")
    api.add_user("bob@example.com")
    store.connections.add("crm2", "zoho_crm", {}, {})  # an admin's, used by ann's integration
    store.connections.add("xero2", "xero", {}, {})
    config = accounts_config("anns").model_copy(
        update={"crm_connection": "crm2", "books_connection": "xero2"}
    )
    store.integrations.create(config, owner_id=ann)
    ann_auth, bob = api.as_user("ann@example.com"), api.as_user("bob@example.com")
    made = api.http.post(BASE, headers=ann_auth, json={"name": "anns-books", "system": "xero"})
    assert made.status_code == 201, made.text
    assert store.connections.get("anns-books").owner_id == ann

    listed = api.http.get(BASE, headers=ann_auth).json()
    assert [c["name"] for c in listed] == ["anns-books", "crm2", "xero2"]
    assert api.http.get(f"{BASE}/xero2", headers=ann_auth).json()["used_by"] == ["anns"]
    assert api.http.get(BASE, headers=bob).json() == []
    # the operator's token sees every connection and who uses it
    assert api.http.get(f"{BASE}/xero2", headers=api.auth).json()["used_by"] == ["anns"]

    before = api.snapshot()
    for name in ("xero", "anns-books"):
        refused(api.http.get(f"{BASE}/{name}", headers=bob), 404, f"'{name}'")
        refused(api.http.delete(f"{BASE}/{name}", headers=bob), 404, f"'{name}'")
    refused(api.http.get(f"{BASE}/xero", headers=ann_auth), 404, "'xero'")
    for method, path, body in (
        ("PUT", f"{BASE}/xero2/settings", {"settings": {}}),
        ("PUT", f"{BASE}/xero2/secrets/webhook_key", {"value": "v"}),
        ("POST", f"{BASE}/xero2/disconnect", None),
        ("DELETE", f"{BASE}/xero2", None),
    ):
        answer = api.http.request(method, path, headers=ann_auth, json=body)
        refused(answer, 403, "another user", "administrator")
    assert api.snapshot() == before

    # what ann added, ann manages
    base = f"{BASE}/anns-books"
    put = api.http.put(f"{base}/settings", headers=ann_auth, json={"settings": {"tenant_id": "t"}})
    assert put.status_code == 200
    secret = api.http.put(f"{base}/secrets/client_secret", headers=ann_auth, json={"value": "c"})
    assert secret.status_code == 204
    assert api.http.post(f"{base}/disconnect", headers=ann_auth).status_code == 200
    assert store.connections.secrets("anns-books")[0] == {"client_secret": "c"}
    assert api.http.delete(base, headers=ann_auth).status_code == 204
    assert "anns-books" not in [c.name for c in store.connections.list()]


def test_a_connection_in_use_by_another_user_is_kept_without_naming_their_integration(
    api: Api,
) -> None:
    store = api.app.store
    api.add_user("ann@example.com")
    bob = api.add_user("bob@example.com")
    ann = api.as_user("ann@example.com")
    assert api.http.post(BASE, headers=ann, json={"name": "annx", "system": "xero"}).is_success
    config = accounts_config("bobs-secret-project").model_copy(update={"books_connection": "annx"})
    store.integrations.create(config, owner_id=bob)
    before = api.snapshot()
    problem = refused(api.http.delete(f"{BASE}/annx", headers=ann), 409, "another user")
    assert "bobs-secret-project" not in problem["detail"]
    assert api.snapshot() == before
    # an admin is told which
    refused(api.http.delete(f"{BASE}/annx", headers=api.auth), 409, "bobs-secret-project")
