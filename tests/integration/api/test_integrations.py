"""/api/v1/integrations: listed, created, shown, exported, replaced, patched, paused, deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ledgerbridge.cli import app as cli
from ledgerbridge.domain.runs import RunKind, RunStatus
from ledgerbridge.recipes.starter import starter_config
from tests.integration.api.conftest import Api, fields, refused
from tests.integration.web.live import accounts_config
from tests.support.world import World

BASE = "/api/v1/integrations"


def _document(name: str = "second") -> dict[str, Any]:
    return accounts_config(name).model_dump(mode="json", exclude_defaults=True)


def test_integrations_are_listed_and_shown(api: Api) -> None:
    listed = api.http.get(BASE, headers=api.auth)
    assert listed.status_code == 200
    [live] = listed.json()
    assert live["name"] == "live"
    assert live["state"] == "active"
    assert (live["crm_connection"], live["books_connection"]) == ("crm", "xero")
    assert live["flows"] == [
        {
            "name": "accounts",
            "crm_module": "Accounts",
            "books_module": "Contacts",
            "direction": "both",
            "enabled": True,
            "depends_on": [],
            "bindings": 0,
        }
    ]
    shown = api.http.get(f"{BASE}/live", headers=api.auth)
    assert shown.json() == live
    assert shown.json()["schedule"]["enabled"] is False
    refused(api.http.get(f"{BASE}/nope", headers=api.auth), 404, "'nope'")


def test_an_integration_is_created_from_a_recipe_with_options(api: Api) -> None:
    body = {
        "name": "acme",
        "recipe": "zoho_xero",
        "crm_connection": "crm",
        "books_connection": "xero",
        "notify_email": "books@acme.example",
        "schedule": {"enabled": True, "interval_minutes": 60},
        "flows": ["accounts", "products"],
    }
    made = api.http.post(BASE, headers=api.auth, json=body)
    assert made.status_code == 201, made.text
    assert made.headers["location"] == f"{BASE}/acme"
    out = made.json()
    assert out["recipe"] == "zoho_xero"
    assert {f["name"]: f["enabled"] for f in out["flows"]} == {
        "accounts": True,
        "vendors": False,
        "products": True,
        "invoices": False,
        "purchase_orders": False,
    }
    # the connections hold no credentials yet, so their fields could not be read
    assert any("could not read the fields of connection crm" in w for w in out["warnings"])
    row = api.integration("acme")
    assert row.notify_email == "books@acme.example"
    assert row.schedule.interval_minutes == 60
    assert row.owner_id is None  # an installation token's integration: admins see it

    books = api.app.store.connections.add("books", "zoho_books", {}, {})
    assert books
    optioned = api.http.post(
        BASE,
        headers=api.auth,
        json={
            "name": "acme-books",
            "recipe": "zoho_books",
            "crm_connection": "crm",
            "books_connection": "books",
            "options": {"customers": "accounts_and_contacts"},
        },
    )
    assert optioned.status_code == 201, optioned.text
    assert {f["name"] for f in optioned.json()["flows"]} >= {"customers", "individuals"}


def test_an_integration_is_created_from_a_whole_document(api: Api) -> None:
    document = _document()
    made = api.http.post(BASE, headers=api.auth, json={"config": document})
    assert made.status_code == 201, made.text
    assert api.app.store.integrations.config("second") == accounts_config("second")
    exported = api.http.get(f"{BASE}/second/config", headers=api.auth)
    assert exported.json() == document


def test_bad_creations_name_the_field_and_save_nothing(api: Api) -> None:
    before = api.snapshot()
    recipe = {"name": "acme", "recipe": "zoho_xero", "crm_connection": "crm"}
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        (recipe, 422, "body", "books_connection"),
        (recipe | {"books_connection": "xero", "recipe": "nope"}, 422, "recipe", "zoho_xero"),
        (recipe | {"books_connection": "nope"}, 422, "books_connection", "'nope'"),
        (recipe | {"books_connection": "crm"}, 422, "books_connection", "not an accounting"),
        (
            recipe | {"crm_connection": "xero", "books_connection": "xero"},
            422,
            "crm_connection",
            "",
        ),
        (recipe | {"books_connection": "xero", "flows": ["deals"]}, 422, "flows", "'deals'"),
        (
            recipe | {"books_connection": "xero", "options": {"customers": "all"}},
            422,
            "options",
            "'customers'",
        ),
        (
            recipe | {"books_connection": "xero", "schedule": {"interval_minutes": 1}},
            422,
            "schedule.interval_minutes",
            "5",
        ),
        (
            recipe | {"books_connection": "xero", "schedule": {"timezone": "Mars/Olympus"}},
            422,
            "schedule",
            "Mars/Olympus",
        ),
        (
            recipe | {"books_connection": "xero", "name": "has space"},
            422,
            "name",
            "pattern",
        ),
        ({"config": _document(), "recipe": "zoho_xero"}, 422, "body", "not both"),
        ({"config": _document() | {"flows": "accounts"}}, 422, "config.flows", ""),
        (
            {"config": _document() | {"schedule": {"flows": ["deals"]}}},
            422,
            "config.schedule.flows",
            "'deals'",
        ),
        (
            {"config": _document() | {"flows": [{"name": "Bad Name"}]}},
            422,
            "config.flows.0.name",
            "",
        ),
        ({"config": _document("live")}, 409, "", "already exists"),
    ]
    for body, status, field, word in cases:
        problem = refused(api.http.post(BASE, headers=api.auth, json=body), status, word)
        if field:
            assert field in fields(problem), (body, fields(problem))
    assert api.snapshot() == before


def test_the_export_is_the_document_the_cli_writes(
    api: Api, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_json = api.http.get(f"{BASE}/live/config", headers=api.auth)
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    as_yaml = api.http.get(f"{BASE}/live/config", params={"format": "yaml"}, headers=api.auth)
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == as_json.json()

    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LEDGERBRIDGE_DATABASE_URL", db_url)
    result = CliRunner().invoke(cli, ["integration", "export", "live"])
    assert result.exit_code == 0, result.output
    assert result.stdout == as_yaml.text
    refused(
        api.http.get(f"{BASE}/live/config", params={"format": "xml"}, headers=api.auth),
        422,
        "format",
    )
    refused(api.http.get(f"{BASE}/nope/config", headers=api.auth), 404)


def test_the_config_is_replaced_and_patched(api: Api) -> None:
    document = _document("live")
    document["notify_email"] = "ops@example.com"
    document["flows"][0]["direction"] = "crm_to_books"
    replaced = api.http.put(f"{BASE}/live/config", headers=api.auth, json=document)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["notify_email"] == "ops@example.com"
    config = api.app.store.integrations.config("live")
    assert config.flows[0].direction == "crm_to_books"

    patched = api.http.patch(
        f"{BASE}/live/config",
        headers=api.auth | {"content-type": "application/merge-patch+json"},
        json={"notify_email": None, "schedule": {"enabled": True, "interval_minutes": 30}},
    )
    assert patched.status_code == 200, patched.text
    row = api.integration()
    assert row.notify_email is None
    assert (row.schedule.enabled, row.schedule.interval_minutes) == (True, 30)
    assert row.flows[0].direction == "crm_to_books"  # untouched by the patch


def test_bad_config_changes_name_the_field_and_change_nothing(api: Api) -> None:
    before = api.snapshot()
    good = _document("live")
    put = f"{BASE}/live/config"
    bad_rule = {"crm": "Account_Name", "books": "Name", "transform": {"kind": "computed"}}
    cases: list[tuple[str, dict[str, Any], int, str, str]] = [
        ("PUT", good | {"name": "other"}, 422, "name", "keeps its name"),
        ("PUT", good | {"crm_connection": "nope"}, 422, "crm_connection", "'nope'"),
        ("PUT", good | {"flows": [good["flows"][0] | {"fields": [bad_rule]}]}, 422, "", ""),
        ("PUT", good | {"colour": "red"}, 422, "colour", "xtra"),
        ("PATCH", {"flows": [{"name": "accounts"}]}, 422, "flows.0.crm_module", "required"),
        ("PATCH", {"schedule": {"times": ["25:00"]}}, 422, "schedule.times.0", "pattern"),
        ("PATCH", {"name": "renamed"}, 422, "name", "keeps its name"),
        ("PATCH", {"books_connection": "crm"}, 422, "books_connection", "zoho_crm"),
    ]
    for method, body, status, field, word in cases:
        problem = refused(api.http.request(method, put, headers=api.auth, json=body), status, word)
        if field:
            assert field in fields(problem), (body, fields(problem))
        else:
            assert fields(problem)
    refused(api.http.put(f"{BASE}/nope/config", headers=api.auth, json=good), 404)
    refused(api.http.patch(f"{BASE}/nope/config", headers=api.auth, json={}), 404)
    assert api.snapshot() == before


def test_lifecycle_actions(api: Api) -> None:
    def act(action: str) -> Any:
        return api.http.post(f"{BASE}/live/{action}", headers=api.auth)

    assert act("pause").json()["state"] == "paused"
    assert act("resume").json()["state"] == "active"
    assert act("disable").json()["state"] == "disabled"
    before = api.snapshot()
    refused(act("pause"), 409, "disabled", "/api/v1/integrations/live/enable")
    refused(act("resume"), 409, "disabled", "/api/v1/integrations/live/enable")
    assert api.snapshot() == before
    assert act("enable").json()["state"] == "active"
    assert api.integration().state == "active"
    for action in ("pause", "resume", "disable", "enable"):
        refused(api.http.post(f"{BASE}/nope/{action}", headers=api.auth), 404)


def test_only_a_disabled_integration_is_deleted(api: Api) -> None:
    before = api.snapshot()
    refused(api.http.delete(f"{BASE}/live", headers=api.auth), 409, "active", "live/disable")
    refused(
        api.http.delete(f"{BASE}/live", params={"keep": "nothing"}, headers=api.auth), 422, "keep"
    )
    api.app.store.integrations.set_state("live", "disabled")
    run = api.app.store.runs.start(api.integration().id, RunKind.MANUAL, {}, dry_run=False)
    refused(api.http.delete(f"{BASE}/live", headers=api.auth), 409, f"run {run}")
    api.app.store.runs.finish(run, RunStatus.SUCCEEDED, {})
    assert api.app.store.integrations.get("live").state == "disabled"
    assert [r.name for r in api.app.store.integrations.list()] == ["live"]
    assert before[0] == api.snapshot()[0]

    gone = api.http.delete(f"{BASE}/live", params={"keep": "all"}, headers=api.auth)
    assert gone.status_code == 200
    assert gone.json() == {
        "integration": "live",
        "keep": "all",
        "bindings_removed": 0,
        "archived": {},
        "kept_with_transactions": {},
    }
    assert api.app.store.integrations.list() == []
    refused(api.http.delete(f"{BASE}/live", headers=api.auth), 404)


def test_integrations_need_a_token(api: Api) -> None:
    before = api.snapshot()
    for method, path in (
        ("GET", BASE),
        ("POST", BASE),
        ("GET", f"{BASE}/live"),
        ("GET", f"{BASE}/live/config"),
        ("PUT", f"{BASE}/live/config"),
        ("PATCH", f"{BASE}/live/config"),
        ("POST", f"{BASE}/live/pause"),
        ("POST", f"{BASE}/live/resume"),
        ("POST", f"{BASE}/live/disable"),
        ("POST", f"{BASE}/live/enable"),
        ("DELETE", f"{BASE}/live"),
    ):
        refused(api.http.request(method, path, json={}), 401, "token")
    assert api.snapshot() == before


def test_deleting_with_transactions_archives_created_records_without_any(api: Api) -> None:
    w = World.build(api.app.store, starter_config("demo", "mcrm", "mbooks"))
    api.app.use("mcrm", w.crm)
    api.app.use("mbooks", w.books)
    acme = w.crm.put("Accounts", {"Account_Name": "Acme"})
    w.crm.put("Accounts", {"Account_Name": "Globex"})
    widget = w.crm.put("Products", {"Product_Name": "Widget", "Product_Code": "W-1"})
    w.crm.put(
        "Invoices",
        {
            "Invoice_Number": "INV-1",
            "Account_Name": {"id": acme.id},
            "Invoiced_Items": [{"Product_Name": {"id": widget.id}, "Quantity": 1}],
        },
    )
    assert w.sync().status is RunStatus.SUCCEEDED
    globex = next(c.id for c in w.books.all("Contacts") if c.fields["Name"] == "Globex")
    assert api.http.post(f"{BASE}/demo/disable", headers=api.auth).status_code == 200

    gone = api.http.delete(f"{BASE}/demo", params={"keep": "with-transactions"}, headers=api.auth)
    assert gone.status_code == 200, gone.text
    assert gone.json()["archived"] == {"accounts": [globex]}
    assert gone.json()["kept_with_transactions"] == {"accounts": 1, "products": 1}
    assert gone.json()["bindings_removed"] == 2 + 1 + 1
    assert w.books.record("Contacts", globex) is None
    assert [r.name for r in api.app.store.integrations.list()] == ["live"]


def test_flows_are_not_dropped_while_a_run_is_going_on(api: Api) -> None:
    store = api.app.store
    two = accounts_config().model_copy(
        update={
            "flows": (
                *accounts_config().flows,
                accounts_config().flows[0].model_copy(update={"name": "more"}),
            )
        }
    )
    store.integrations.replace(two)
    run = store.runs.start(api.integration().id, RunKind.MANUAL, {}, dry_run=False)
    before = api.snapshot()
    one = _document("live")
    refused(api.http.put(f"{BASE}/live/config", headers=api.auth, json=one), 409, f"run {run}")
    patch = {"flows": one["flows"]}
    refused(api.http.patch(f"{BASE}/live/config", headers=api.auth, json=patch), 409, "more")
    assert api.snapshot() == before
    # changes that keep every flow go ahead
    kept = api.http.patch(f"{BASE}/live/config", headers=api.auth, json={"notify_email": "a@b.c"})
    assert kept.status_code == 200, kept.text
    store.runs.finish(run, RunStatus.SUCCEEDED, {})
    dropped = api.http.put(f"{BASE}/live/config", headers=api.auth, json=one)
    assert dropped.status_code == 200, dropped.text
    assert [f.name for f in api.integration().flows] == ["accounts"]
