"""An integration's settings page: fetch, flows, e-mail, schedule, button URL and lifecycle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ledgerbridge.connectors.memory import MemoryConnector
from ledgerbridge.domain.config import (
    Direction,
    DuplicatePolicy,
    ViewCondition,
    ViewFilter,
    ViewOperator,
)
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunKind, RunStatus
from ledgerbridge.portal.viewtext import build_views, parse_conditions, view_text
from ledgerbridge.store import IntegrationState
from ledgerbridge.web.app import create_app
from tests.integration.portal.conftest import (
    PASSWORD,
    USER_EMAIL,
    Portal,
    add_user,
    csrf_of,
    memory_connections,
    starter_integration,
)
from tests.support.dispatch import RecordingDispatcher

SETTINGS = "/integrations/acme/settings"


@pytest.fixture
def acme(portal: Portal) -> Portal:
    memory_connections(portal.app, portal.user)
    starter_integration(portal.app, portal.user, "acme")
    portal.login(USER_EMAIL)
    return portal


def _post(
    portal: Portal, path: str, data: dict[str, str] | list[tuple[str, str]]
) -> httpx.Response:
    token = csrf_of(portal.client.get(SETTINGS).text)
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    form: dict[str, list[str]] = {"csrf_token": [token]}
    for key, value in fields:
        form.setdefault(key, []).append(value)
    answer: httpx.Response = portal.client.post(path, data=form)
    return answer


def _page(portal: Portal) -> str:
    page = portal.client.get(SETTINGS)
    assert page.status_code == 200
    return str(page.text)


def test_the_page_has_every_section(acme: Portal) -> None:
    text = _page(acme)
    for anchor in (
        'id="fetch"',
        'id="flows"',
        'id="notify"',
        'id="schedule"',
        'id="button"',
        'id="lifecycle"',
    ):
        assert anchor in text
    assert 'id="flow-accounts"' in text
    assert '<label for="duplicate-accounts">' in text
    assert 'id="button-needs-url"' in text  # no public URL in this installation


def test_fetch_links_what_exists_on_both_sides(acme: Portal) -> None:
    app = acme.app
    crm, books = app.connector("crm"), app.connector("books")
    assert isinstance(crm, MemoryConnector) and isinstance(books, MemoryConnector)
    crm.put("Accounts", {"Account_Name": "Acme Ltd", "Email": "a@acme.test"})
    books.put("Contacts", {"Name": "Acme Ltd", "EmailAddress": "a@acme.test"})
    answer = _post(acme, "/integrations/acme/fetch", {})
    assert answer.status_code == 303
    row = app.store.integrations.get("acme")
    deadline = time.monotonic() + 30
    runs = app.store.runs.list(row.id, kind=RunKind.FETCH)
    while (not runs or runs[0].status is RunStatus.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.05)
        runs = app.store.runs.list(row.id, kind=RunKind.FETCH)
    assert runs and runs[0].status is RunStatus.SUCCEEDED, runs
    assert app.store.bindings.count(row.id, "accounts") == 1
    assert "Fetching data" in acme.client.get(SETTINGS).text


def test_fetch_is_refused_while_disabled(acme: Portal) -> None:
    acme.app.store.integrations.set_state("acme", "disabled")
    _post(acme, "/integrations/acme/fetch", {})
    assert "enable it before fetching" in _page(acme)
    row = acme.app.store.integrations.get("acme")
    assert acme.app.store.runs.list(row.id) == []


def test_flow_duplicates_views_and_switch(acme: Portal) -> None:
    answer = _post(
        acme,
        "/integrations/acme/settings/flows/accounts",
        {
            "duplicate_policy": "skip",
            "crm_view": 'Account_Type equals Customer\nEmail is_not_empty\nRating in Hot, "12", 3',
            "books_view": "IsCustomer equals true",
            "custom_view": "4150868000000087501",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{SETTINGS}#flow-accounts"
    flow = acme.app.store.integrations.get("acme").flow("accounts")
    assert flow.duplicate_policy is DuplicatePolicy.SKIP
    assert not flow.enabled  # the box was not ticked
    crm = next(v for v in flow.views if v.side is Side.CRM)
    assert crm.custom_view_id == "4150868000000087501"
    assert crm.conditions == (
        ViewCondition(field="Account_Type", value="Customer"),
        ViewCondition(field="Email", operator=ViewOperator.IS_NOT_EMPTY),
        ViewCondition(field="Rating", operator=ViewOperator.IN, value=["Hot", "12", 3]),
    )
    books = next(v for v in flow.views if v.side is Side.BOOKS)
    assert books.conditions == (ViewCondition(field="IsCustomer", value=True),)
    text = _page(acme)
    assert "Flow accounts is saved." in text
    assert "Rating in Hot, &#34;12&#34;, 3" in text
    # The other flows are untouched and the owner is kept.
    row = acme.app.store.integrations.get("acme")
    assert row.owner_id == acme.user.id
    assert row.flow("products").enabled


def test_a_bad_view_line_is_refused_with_its_reason(acme: Portal) -> None:
    before = acme.app.store.integrations.get("acme").flow("accounts")
    _post(
        acme,
        "/integrations/acme/settings/flows/accounts",
        {"duplicate_policy": "clone", "enabled": "1", "crm_view": "Status resembles x"},
    )
    text = _page(acme)
    assert "Flow accounts was not saved" in text
    assert "unknown operator" in text
    assert acme.app.store.integrations.get("acme").flow("accounts") == before


def test_notification_email(acme: Portal) -> None:
    _post(acme, "/integrations/acme/settings/notify", {"notify_email": "ops@acme.test"})
    assert acme.app.store.integrations.get("acme").notify_email == "ops@acme.test"
    assert "Summaries go to ops@acme.test." in _page(acme)
    _post(acme, "/integrations/acme/settings/notify", {"notify_email": "not an address"})
    assert "is not an e-mail address" in _page(acme)
    _post(acme, "/integrations/acme/settings/notify", {"notify_email": ""})
    assert acme.app.store.integrations.get("acme").notify_email is None


def test_schedule_by_interval_and_by_times(acme: Portal) -> None:
    _post(
        acme,
        "/integrations/acme/settings/schedule",
        [
            ("enabled", "1"),
            ("mode", "interval"),
            ("interval_minutes", "30"),
            ("direction", "crm_to_books"),
            ("flows", "accounts"),
            ("flows", "products"),
            ("email_summary", "1"),
        ],
    )
    schedule = acme.app.store.integrations.get("acme").schedule
    assert schedule.enabled
    assert schedule.interval_minutes == 30
    assert schedule.direction is Direction.CRM_TO_BOOKS
    assert schedule.flows == ("accounts", "products")
    assert schedule.email_summary
    assert "Automatic sync: every 30 minutes" in _page(acme)
    _post(
        acme,
        "/integrations/acme/settings/schedule",
        [
            ("enabled", "1"),
            ("mode", "times"),
            ("times", "07:00, 13:30"),
            ("timezone", "Europe/London"),
            ("direction", "both"),
            ("flows", "accounts"),
            ("flows", "products"),
            ("flows", "invoices"),
        ],
    )
    schedule = acme.app.store.integrations.get("acme").schedule
    assert schedule.times == ("07:00", "13:30")
    assert schedule.interval_minutes is None
    assert schedule.timezone == "Europe/London"
    assert schedule.flows == ()  # every flow ticked: all flows


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ([("mode", "interval"), ("interval_minutes", "2")], "greater than or equal to 5"),
        ([("mode", "times"), ("times", "25:00")], "is not a time of day"),
        ([("mode", "times"), ("times", "07:00"), ("timezone", "Mars/Olympus")], "unknown timezone"),
        ([("mode", "interval"), ("interval_minutes", "")], "enter the minutes"),
    ],
)
def test_a_bad_schedule_is_refused(
    acme: Portal, fields: list[tuple[str, str]], reason: str
) -> None:
    _post(acme, "/integrations/acme/settings/schedule", [("enabled", "1"), *fields])
    text = _page(acme)
    assert "The schedule was not saved" in text
    assert reason in text
    assert not acme.app.store.integrations.get("acme").schedule.enabled


def test_pause_resume_disable_enable(acme: Portal) -> None:
    store = acme.app.store
    for action, state in (
        ("pause", IntegrationState.PAUSED),
        ("resume", IntegrationState.ACTIVE),
        ("disable", IntegrationState.DISABLED),
        ("enable", IntegrationState.ACTIVE),
    ):
        answer = _post(acme, f"/integrations/acme/{action}", {})
        assert answer.status_code == 303, action
        assert store.integrations.get("acme").state is state, action
    store.integrations.set_state("acme", "disabled")
    _post(acme, "/integrations/acme/pause", {})
    assert "is disabled" in _page(acme)
    assert store.integrations.get("acme").state is IntegrationState.DISABLED


def test_delete_needs_the_name_typed_and_a_choice(acme: Portal) -> None:
    confirm = acme.client.get("/integrations/acme/delete")
    assert confirm.status_code == 200
    assert 'id="keep-all"' in confirm.text and 'id="keep-with-transactions"' in confirm.text
    wrong = acme.client.post(
        "/integrations/acme/delete",
        data={"keep": "all", "confirm_name": "acm", "csrf_token": csrf_of(confirm.text)},
    )
    assert wrong.status_code == 422
    assert "to confirm" in wrong.text
    assert acme.app.store.integrations.get("acme").state is IntegrationState.ACTIVE
    done = acme.client.post(
        "/integrations/acme/delete",
        data={"keep": "all", "confirm_name": "acme", "csrf_token": csrf_of(confirm.text)},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/integrations"
    assert acme.app.store.integrations.list() == []
    assert "Integration acme is deleted" in acme.client.get("/integrations").text


def test_delete_archiving_what_it_created(acme: Portal) -> None:
    confirm = acme.client.get("/integrations/acme/delete")
    done = acme.client.post(
        "/integrations/acme/delete",
        data={
            "keep": "with-transactions",
            "confirm_name": "acme",
            "csrf_token": csrf_of(confirm.text),
        },
    )
    assert done.status_code == 303
    assert "0 records archived" in acme.client.get("/integrations").text


@pytest.fixture
def public_portal(tmp_path: Path) -> Iterator[TestClient]:
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.settings import Settings

    app = bootstrap(Settings(data_dir=tmp_path / "data", public_url="http://sync.example.test"))
    try:
        user = add_user(app, USER_EMAIL)
        memory_connections(app, user)
        starter_integration(app, user, "acme")
        with TestClient(create_app(app, RecordingDispatcher()), follow_redirects=False) as client:
            page = client.get("/login")
            client.post(
                "/login",
                data={"email": USER_EMAIL, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            )
            yield client
    finally:
        app.close()


def test_button_urls_and_their_secret(public_portal: TestClient) -> None:
    text = public_portal.get(SETTINGS).text
    assert 'id="button-urls"' in text
    assert "http://sync.example.test/sync/acme/accounts/${Accounts.Account Id}?key=" in text
    first = text.split("?key=")[1].split("<")[0]
    rotated = public_portal.post(
        "/integrations/acme/settings/button/rotate", data={"csrf_token": csrf_of(text)}
    )
    assert rotated.status_code == 303
    after = public_portal.get(SETTINGS).text
    assert after.split("?key=")[1].split("<")[0] != first
    assert "update the URL of every Sync button" in after


# -- the view text, pure -------------------------------------------------------------------------


def test_view_text_round_trips() -> None:
    views = (
        ViewFilter(
            side=Side.CRM,
            equals={"Active": True, "Code": "12"},
            conditions=(
                ViewCondition(field="Name", operator=ViewOperator.STARTS_WITH, value="A b"),
            ),
        ),
    )
    text = view_text(views, Side.CRM)
    assert text == 'Active equals true\nCode equals "12"\nName starts_with A b'
    rebuilt = build_views(text, "", "")
    assert rebuilt[0].conditions == (
        ViewCondition(field="Active", value=True),
        ViewCondition(field="Code", value="12"),
        ViewCondition(field="Name", operator=ViewOperator.STARTS_WITH, value="A b"),
    )
    assert build_views("", "", "") == ()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Status", "write FIELD OPERATOR VALUE"),
        ("Status equals", "needs a value"),
        ("Email is_empty x", "takes no value"),
        ("Status in ,", "needs values"),
    ],
)
def test_view_lines_that_cannot_be_read(line: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        parse_conditions(line, Side.BOOKS)
