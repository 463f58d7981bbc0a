"""The dashboard: health of each visible integration, from the runs and pending stores."""

from __future__ import annotations

import re

from ledgerbridge.connectors.memory import MemoryConnector
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunKind, RunStatus
from ledgerbridge.store import Store
from tests.integration.portal.conftest import (
    ADMIN_EMAIL,
    OTHER_EMAIL,
    USER_EMAIL,
    Portal,
    memory_connections,
    starter_integration,
)


def _card(html: str, name: str) -> str:
    match = re.search(
        rf'<section class="card"[^>]*id="integration-{name}">(.*?)</section>', html, re.S
    )
    assert match is not None, f"no card for {name}"
    return match.group(1)


def test_empty_dashboard_points_to_the_next_step(portal: Portal) -> None:
    portal.login(USER_EMAIL)
    page = portal.client.get("/")
    assert 'id="no-integrations"' in page.text
    assert (
        'aria-current="page"'
        in page.text.split('id="nav-dashboard"')[0] + page.text.split('id="nav-dashboard"')[1][:40]
    )


def test_health_runs_failures_and_budget(portal: Portal) -> None:
    app = portal.app
    memory_connections(app, portal.user)
    starter_integration(app, portal.user, "acme")
    row = app.store.integrations.get("acme")
    runs = app.store.runs
    first = runs.start(row.id, RunKind.MANUAL, {}, False)
    runs.finish(first, RunStatus.SUCCEEDED, {})
    second = runs.start(row.id, RunKind.SCHEDULED, {}, False)
    runs.finish(second, RunStatus.PARTIAL, {})
    app.store.pending.put(
        row.id,
        "accounts",
        Side.CRM,
        {
            "a1": "Account has no Account_Name",
            "a2": "Account has no Account_Name",
            "a3": "Xero refused it: the name is taken",
        },
    )
    app.store.pending.put(row.id, "products", Side.BOOKS, {"p1": "Product has no Product_Code"})
    crm = app.connector("crm")
    assert isinstance(crm, MemoryConnector)
    crm.daily_budget = 1500
    crm.spent_today = 300
    app.store.integrations.set_state("acme", "paused")

    portal.login(USER_EMAIL)
    card = _card(portal.client.get("/").text, "acme")
    assert '<span class="state state-paused" data-testid="state">paused</span>' in card
    last_run = re.search(r'data-testid="last-run">(.*?)</dd>', card, re.S)
    assert last_run is not None
    assert "partial" in last_run.group(1) and "scheduled" in last_run.group(1)
    assert '<dd data-testid="failing-total">4</dd>' in card
    rows = re.findall(
        r"<tr><td>(\w+)</td><td>([^<]+)</td><td class=\"number\">(\d+)</td></tr>", card
    )
    assert rows == [
        ("accounts", "Account has no Account_Name", "2"),
        ("accounts", "Xero refused it: the name is taken", "1"),
        ("products", "Product has no Product_Code", "1"),
    ]
    assert card.count('href="/integrations/acme/runs/') == 2
    # What each connection's limiter knows of the day's calls.
    assert re.search(r"<strong>crm</strong>: 1,200 calls left today \(resets \d\d:\d\d UTC\)", card)
    assert "<strong>books</strong>: not known yet" in card


def test_only_visible_integrations_are_shown(portal: Portal) -> None:
    memory_connections(portal.app, portal.user)
    starter_integration(portal.app, portal.user, "mine")
    starter_integration(portal.app, portal.other, "theirs")
    portal.login(USER_EMAIL)
    page = portal.client.get("/").text
    assert 'id="integration-mine"' in page
    assert "theirs" not in page
    other = portal.login(OTHER_EMAIL, portal.new_client())
    assert "mine" not in other.get("/").text.replace(OTHER_EMAIL, "")
    admin = portal.login(ADMIN_EMAIL, portal.new_client())
    page = admin.get("/").text
    assert 'id="integration-mine"' in page and 'id="integration-theirs"' in page


def test_pages_are_usable_on_a_phone(portal: Portal) -> None:
    portal.login(USER_EMAIL)
    page = portal.client.get("/").text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    css = portal.client.get("/static/style.css")
    assert css.status_code == 200
    assert "@media (max-width: 600px)" in css.text
    assert ":focus-visible" in css.text


def test_failing_records_by_reason_on_both_databases(store: Store) -> None:
    store.connections.add("crm", "memory", {"path": ""}, {})
    store.connections.add("books", "memory", {"path": ""}, {})
    from ledgerbridge.recipes import registry

    config = registry.build("starter", name="acme", crm_connection="crm", books_connection="books")
    row = store.integrations.create(config)
    assert store.pending.by_reason(row.id) == []
    store.pending.put(row.id, "accounts", Side.CRM, {"1": "no name", "2": "no name", "3": "bad"})
    store.pending.put(row.id, "accounts", Side.BOOKS, {"x": "bad"})
    store.pending.put(row.id, "products", Side.CRM, {"9": "no code"})
    assert store.pending.by_reason(row.id) == [
        ("accounts", "bad", 2),
        ("accounts", "no name", 2),
        ("products", "no code", 1),
    ]
    store.pending.clear(row.id, "accounts", Side.CRM, ["1", "2"])
    assert store.pending.by_reason(row.id) == [("accounts", "bad", 2), ("products", "no code", 1)]
