"""Integrations in the portal: list, create from a recipe, show; owned by their creator."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.config import DuplicatePolicy
from ledgerbridge.recipes import registry
from ledgerbridge.store import Store
from ledgerbridge.store.tables import users
from ledgerbridge.web.access import (
    ConnectionHiddenError,
    IntegrationHiddenError,
    Principal,
    require_connection,
    require_integration,
    visible_connections,
    visible_integrations,
)
from tests.integration.portal.conftest import (
    ADMIN_EMAIL,
    OTHER_EMAIL,
    USER_EMAIL,
    Portal,
    csrf_of,
    memory_connections,
    starter_integration,
)


def _create(portal: Portal, **fields: str) -> object:
    page = portal.client.get("/integrations/new")
    assert page.status_code == 200
    data = {"crm_connection": "crm", "books_connection": "books", "recipe": "starter", **fields}
    return portal.client.post("/integrations", data={**data, "csrf_token": csrf_of(page.text)})


def test_create_an_integration_owned_by_its_creator(portal: Portal) -> None:
    memory_connections(portal.app, portal.user)
    portal.login(USER_EMAIL)
    form = portal.client.get("/integrations/new")
    assert '<label for="crm_connection">CRM connection</label>' in form.text
    assert "crm (memory)" in form.text
    answer = _create(portal, name="acme")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == "/integrations/acme/settings"  # type: ignore[attr-defined]
    row = portal.app.store.integrations.get("acme")
    assert row.owner_id == portal.user.id
    assert row.recipe == "starter"
    assert [f.name for f in row.flows] == ["accounts", "products", "invoices"]
    listing = portal.client.get("/integrations")
    assert 'id="integration-acme"' in listing.text
    shown = portal.client.get("/integrations/acme")
    assert shown.status_code == 200
    assert '<th scope="row">accounts</th>' in shown.text
    assert "Zoho" not in shown.text.split("Recipe</dt>")[1].split("</dd>")[0]


def test_recipe_options_are_passed_to_the_recipe(portal: Portal) -> None:
    portal.app.store.connections.add(
        "zcrm", "zoho_crm", {"client_id": "x"}, {}, owner_id=portal.user.id
    )
    portal.app.store.connections.add(
        "zbooks",
        "zoho_books",
        {"client_id": "x", "organization_id": "1"},
        {},
        owner_id=portal.user.id,
    )
    portal.login(USER_EMAIL)
    form = portal.client.get("/integrations/new")
    assert 'name="option.zoho_books.customers"' in form.text
    answer = portal.client.post(
        "/integrations",
        data={
            "name": "zb",
            "crm_connection": "zcrm",
            "books_connection": "zbooks",
            "recipe": "zoho_books",
            "option.zoho_books.customers": "contacts",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert answer.status_code == 303
    from ledgerbridge.recipes import registry

    expected = registry.build(
        "zoho_books",
        name="zb",
        crm_connection="zcrm",
        books_connection="zbooks",
        options={"customers": "contacts"},
    )
    default = registry.build(
        "zoho_books", name="zb", crm_connection="zcrm", books_connection="zbooks"
    )
    stored = portal.app.store.integrations.config("zb")
    assert stored.flows == expected.flows
    assert stored.flows != default.flows


def test_bad_input_is_shown_with_the_form(portal: Portal) -> None:
    memory_connections(portal.app, portal.user)
    portal.login(USER_EMAIL)
    bad_name = _create(portal, name="has space")
    assert bad_name.status_code == 422  # type: ignore[attr-defined]
    assert 'id="form-error"' in bad_name.text  # type: ignore[attr-defined]
    assert 'value="has space"' in bad_name.text  # type: ignore[attr-defined]
    starter_integration(portal.app, portal.user, "acme")
    taken = _create(portal, name="acme")
    assert taken.status_code == 422  # type: ignore[attr-defined]
    assert "already exists" in taken.text  # type: ignore[attr-defined]
    assert len(portal.app.store.integrations.list()) == 1


def test_someone_elses_connections_cannot_be_used(portal: Portal) -> None:
    memory_connections(portal.app, portal.other)
    portal.login(USER_EMAIL)
    form = portal.client.get("/integrations/new")
    assert "crm (memory)" not in form.text
    assert 'id="connect-first"' in form.text
    answer = _create(portal, name="sneaky")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert "choose one of your CRM connections" in answer.text  # type: ignore[attr-defined]
    assert portal.app.store.integrations.list() == []


def test_others_cannot_see_an_integration_but_admins_can(portal: Portal) -> None:
    memory_connections(portal.app, portal.user)
    starter_integration(portal.app, portal.user, "acme")
    starter_integration(portal.app, None, "cli-made")
    portal.login(OTHER_EMAIL)
    assert "acme" not in portal.client.get("/integrations").text
    assert "acme" not in portal.client.get("/").text
    for path in ("/integrations/acme", "/integrations/acme/settings", "/integrations/nope"):
        refused = portal.client.get(path)
        assert refused.status_code == 404, path
        assert "not yours to see" in refused.text
    token = csrf_of(portal.client.get("/").text)
    for action in ("pause", "disable", "fetch", "settings/notify"):
        answer = portal.client.post(f"/integrations/acme/{action}", data={"csrf_token": token})
        assert answer.status_code == 404, action
    assert portal.app.store.integrations.get("acme").state.value == "active"

    admin = portal.login(ADMIN_EMAIL, portal.new_client())
    listing = admin.get("/integrations").text
    assert 'id="integration-acme"' in listing
    assert 'id="integration-cli-made"' in listing
    assert admin.get("/integrations/acme").status_code == 200


def test_a_user_sees_only_their_own(portal: Portal) -> None:
    memory_connections(portal.app, portal.user)
    starter_integration(portal.app, portal.user, "mine")
    starter_integration(portal.app, None, "cli-made")
    portal.login(USER_EMAIL)
    listing = portal.client.get("/integrations").text
    assert 'id="integration-mine"' in listing
    assert "cli-made" not in listing
    assert portal.client.get("/integrations/cli-made").status_code == 404
    assert portal.app.store.integrations.get("mine").flow("accounts").duplicate_policy is (
        DuplicatePolicy.OVERWRITE
    )


def test_ownership_in_the_store_on_both_databases(store: Store) -> None:
    owner = store.users.create("owner@example.com", "long enough pass")
    other = store.users.create("other@example.com", "long enough pass")
    admin = store.users.create("root@example.com", "long enough pass", admin=True)
    crm = store.connections.add("crm", "memory", {"path": ""}, {}, owner_id=owner.id)
    store.connections.add("books", "memory", {"path": ""}, {}, owner_id=owner.id)
    store.connections.add("shared", "memory", {"path": ""}, {})
    assert crm.owner_id == owner.id
    config = registry.build("starter", name="acme", crm_connection="crm", books_connection="books")
    row = store.integrations.create(config, owner_id=owner.id)
    assert row.owner_id == owner.id
    store.integrations.replace(config)  # replacing the config keeps the owner
    assert store.integrations.get("acme").owner_id == owner.id

    mine, theirs, root = Principal.of(owner), Principal.of(other), Principal.of(admin)
    assert [r.name for r in visible_integrations(store, mine)] == ["acme"]
    assert visible_integrations(store, theirs) == []
    assert [r.name for r in visible_integrations(store, root)] == ["acme"]
    assert require_integration(store, mine, "acme").id == row.id
    for principal, name in ((theirs, "acme"), (mine, "missing")):
        with pytest.raises(IntegrationHiddenError, match="no integration named"):
            require_integration(store, principal, name)
    assert [c.name for c in visible_connections(store, mine)] == ["books", "crm"]
    assert visible_connections(store, theirs) == []
    assert [c.name for c in visible_connections(store, root)] == ["books", "crm", "shared"]
    with pytest.raises(ConnectionHiddenError):
        require_connection(store, theirs, "crm")
    with pytest.raises(ConnectionHiddenError):
        require_connection(store, mine, "shared")  # made from the CLI: admins only

    # A deleted user's integrations and connections stay, for admins to see.
    with store.engine.begin() as conn:
        conn.execute(users.delete().where(users.c.id == owner.id))
    assert store.integrations.get("acme").owner_id is None
    assert store.connections.get("crm").owner_id is None
    assert visible_integrations(store, mine) == []
