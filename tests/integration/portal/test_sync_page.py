"""The manual sync page: the form, queuing a run through the job runner, following it live."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledgerbridge.connectors.memory import TickingClock
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunKind, RunStatus
from ledgerbridge.engine.model import NoProgress, SyncRequest
from ledgerbridge.store import IntegrationState
from tests.integration.portal.synced import NAME, Synced, make_synced

PAGE = f"/integrations/{NAME}/sync"


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[Synced]:
    yield from make_synced(tmp_path)


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The named events of a server-sent event stream, with their JSON data."""
    out: list[tuple[str, dict[str, Any]]] = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        name = next((ln[7:] for ln in lines if ln.startswith("event: ")), None)
        data = "\n".join(ln[6:] for ln in lines if ln.startswith("data: "))
        if name is not None:
            out.append((name, json.loads(data)))
    return out


def submit(synced: Synced, **fields: Any) -> Any:
    data = {"csrf_token": synced.csrf(PAGE), **fields}
    return synced.client.post(PAGE, data=data)


def test_the_form_offers_every_flow_the_window_and_the_options_each_labelled(
    synced: Synced,
) -> None:
    synced.login()
    page = synced.client.get(PAGE)
    assert page.status_code == 200
    html = page.text
    for control in ("flow-people", "mode-incremental", "mode-full", "mode-window", "since",
                    "dry_run", "email_summary", "email"):  # fmt: skip
        assert f'id="{control}"' in html
        assert f'for="{control}"' in html
    assert 'id="sync-now"' in html
    assert "/static/sync.js" in html


def test_sync_now_queues_a_run_that_the_page_follows_live_to_its_outcome(synced: Synced) -> None:
    synced.login()
    for n in range(3):
        synced.person(f"Person {n}", f"p{n}@example.com")
    # A record synced on its own (a webhook) ran before: the page follows the run it asked for.
    row = synced.integration
    single = synced.app.engine.sync_record(row, synced.app.systems(row), "people", Side.CRM, "x")
    answer = submit(synced, flows="people", mode="full")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PAGE}?after=0"
    page = synced.client.get(answer.headers["location"])
    assert "Sync of people-sync queued" in page.text
    assert 'data-events="/integrations/people-sync/runs/next/events?after=0"' in page.text

    stream = synced.client.get(f"/integrations/{NAME}/runs/next/events?after=0")
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    got = events(stream.text)
    names = [n for n, _ in got]
    assert names[0] == "started" and names[-1] == "finished"
    run_id = got[0][1]["run_id"]
    assert run_id != single.run_id
    final = got[-1][1]
    assert final["run_id"] == run_id
    assert final["status"] == "succeeded"
    assert final["counts"]["created"] == 3  # and the echoes read back from the books side
    assert final["flows_done"] == final["flows_total"] == 1
    # The job thread reported into the hub: pages and records per side, not just counts.
    assert final["source"] == "live"
    crm_side = next(f for f in final["flows"] if f["side"] == "crm")
    assert crm_side["records"] == 3 and crm_side["pages"] >= 1
    assert "3 created" in final["message"]
    assert synced.books.count("Contacts") == 3
    assert synced.app.store.runs.get(run_id).request["window"] == "full"


def test_a_run_from_another_process_is_followed_through_the_runs_store(synced: Synced) -> None:
    synced.login()
    synced.person("Ann", "ann@example.com")
    synced.person("Bob", "")  # no e-mail: created all the same (no rule needs it here)
    row = synced.integration
    # As a worker elsewhere would: the engine reports nowhere this web process can see.
    report = synced.app.engine.run(row, synced.app.systems(row), SyncRequest(), NoProgress())
    assert report.run_id is not None
    stream = synced.client.get(f"/integrations/{NAME}/runs/{report.run_id}/events")
    (_, started), *_, (last, final) = events(stream.text)
    assert started["run_id"] == report.run_id
    assert last == "finished"
    assert final["source"] == "store"
    assert final["counts"]["created"] == 2
    assert ("people", "crm", 2) in [(f["flow"], f["side"], f["records"]) for f in final["flows"]]
    polled = synced.client.get(f"/integrations/{NAME}/runs/{report.run_id}/progress").json()
    assert polled["status"] == "succeeded"


def test_a_running_run_in_the_store_shows_its_items_so_far(synced: Synced) -> None:
    synced.login()
    store = synced.app.store
    row = synced.integration
    run_id = store.runs.start(row.id, RunKind.MANUAL, {"flows": []}, False)
    store.runs.add_items(run_id, [RunItem("people", Side.CRM, "1", Outcome.CREATED)])
    first = synced.client.get(f"/integrations/{NAME}/runs/{run_id}/progress").json()
    assert (first["status"], first["counts"], first["finished"]) == (
        "running",
        {"created": 1},
        False,
    )
    store.runs.add_items(run_id, [RunItem("people", Side.CRM, "2", Outcome.FAILED, "no")])
    store.runs.finish(run_id, RunStatus.PARTIAL, {"people": {"crm": {"created": 1, "failed": 1}}})
    final = events(synced.client.get(f"/integrations/{NAME}/runs/{run_id}/events").text)[-1]
    assert final[0] == "finished"
    assert final[1]["status"] == "partial"
    assert final[1]["counts"] == {"created": 1, "failed": 1}


def test_a_form_with_mistakes_is_shown_again_with_each_error_and_queues_nothing(
    synced: Synced,
) -> None:
    synced.login()
    answer = submit(synced, mode="window", since="yesterday", email_summary="on", email="")
    assert answer.status_code == 422
    html = answer.text
    assert 'id="flows-error"' in html and "Choose at least one flow" in html
    assert 'id="since-error"' in html
    assert 'id="email-error"' in html
    assert 'aria-invalid="true"' in html
    synced.runner.run_until_idle(10.0)
    assert synced.app.store.runs.list(synced.integration.id) == []


def test_a_window_becomes_the_days_back_to_its_first_day(synced: Synced) -> None:
    synced.login()
    since = (datetime.now(UTC).date() - timedelta(days=6)).isoformat()
    assert submit(synced, flows="people", mode="window", since=since).status_code == 303
    synced.runner.run_until_idle(10.0)
    (run,) = synced.app.store.runs.list(synced.integration.id)
    assert (run.request["window"], run.request["days"]) == ("days", 7)


def test_a_summary_address_is_kept_on_the_integration(synced: Synced) -> None:
    synced.login()
    answer = submit(synced, flows="people", email_summary="on", email="books@example.com")
    assert answer.status_code == 303
    assert synced.integration.notify_email == "books@example.com"
    synced.runner.run_until_idle(10.0)
    (run,) = synced.app.store.runs.list(synced.integration.id)
    assert run.request["email_summary"] is True


def test_a_dry_run_shows_the_planned_changes_and_writes_nothing(synced: Synced) -> None:
    synced.login()
    synced.person("Cleo <b>", "cleo@example.com")
    answer = submit(synced, flows="people", mode="full", dry_run="on")
    assert answer.status_code == 200
    assert 'id="dry-run"' in answer.text
    assert "1 change would be made" in answer.text
    assert "Cleo &lt;b&gt;" in answer.text  # escaped
    assert synced.books.count("Contacts") == 0
    assert synced.app.store.runs.list(synced.integration.id) == []


def test_a_paused_integration_is_not_run(synced: Synced) -> None:
    synced.login()
    synced.app.store.integrations.set_state(NAME, IntegrationState.PAUSED.value)
    answer = submit(synced, flows="people")
    assert answer.status_code == 409
    assert "resume it" in answer.text
    synced.runner.run_until_idle(10.0)
    assert synced.app.store.runs.list(synced.integration.id) == []


def test_someone_else_cannot_see_or_follow_the_integration(synced: Synced) -> None:
    synced.login()
    row = synced.integration
    report = synced.app.engine.run(row, synced.app.systems(row), SyncRequest(), NoProgress())
    stranger = synced.stranger()
    assert stranger.get(PAGE).status_code == 404
    assert stranger.get(f"/integrations/{NAME}/runs/{report.run_id}/events").status_code == 404
    assert stranger.get(f"/integrations/{NAME}/runs/{report.run_id}/progress").status_code == 404
    # A run id of another integration is refused like a missing one.
    assert synced.client.get(f"/integrations/{NAME}/runs/999/progress").status_code == 404


def test_sync_now_needs_the_forms_csrf_token(synced: Synced) -> None:
    synced.login()
    answer = synced.client.post(PAGE, data={"flows": "people"})
    assert answer.status_code == 403


def test_in_a_browser_the_page_follows_the_run_to_its_end_at_phone_width(tmp_path: Path) -> None:
    """Chromium at 375 px: submit the form, watch the bar and the live region reach the end."""
    from playwright.sync_api import sync_playwright

    from ledgerbridge.sandbox.core.transport import serve_in_thread
    from tests.browser.chromium import CHROMIUM_ARGS, artifacts_dir, chromium_path
    from tests.integration.portal.conftest import PASSWORD, USER_EMAIL

    for synced in make_synced(tmp_path):
        for n in range(5):
            synced.person(f"Person {n}", f"p{n}@example.com")
        server = serve_in_thread(synced.client.app)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 375, "height": 800})
                page.goto(f"{server.url}/login?next={PAGE}")
                page.fill("#email", USER_EMAIL)
                page.fill("#password", PASSWORD)
                page.click("#login-submit")
                page.goto(f"{server.url}{PAGE}")
                page.check("#mode-full")
                page.click("#sync-now")
                page.wait_for_selector("#live")
                page.wait_for_function(
                    "document.getElementById('live-status').textContent.includes('succeeded')",
                    timeout=20_000,
                )
                status = page.text_content("#live-status") or ""
                assert "5 created" in status
                assert page.get_attribute("#live-status", "aria-live") == "polite"
                done = page.evaluate(
                    "[document.getElementById('live-progress').value,"
                    " document.getElementById('live-progress').max]"
                )
                assert done[0] == done[1] == 1
                assert page.is_visible("#live-flows")
                assert page.is_visible("#live-link")
                # Nothing wider than the phone: no sideways scrolling of the page itself.
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 375
                page.screenshot(path=str(artifacts_dir() / "portal-sync-375.png"), full_page=True)
                page.goto(f"{server.url}/history")
                assert page.evaluate("document.documentElement.scrollWidth") <= 375
                assert page.is_visible("svg[role=img]")
                page.goto(f"{server.url}/integrations/{NAME}/flows/people/mapping")
                assert page.evaluate("document.documentElement.scrollWidth") <= 375
                # Keyboard: the first rule's CRM field is reachable and shows where focus is.
                page.focus("#r0-crm")
                outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
                assert outline != "none"
                browser.close()
        finally:
            server.stop()


def test_a_window_that_ends_before_today_leaves_later_changes_for_the_next_run(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC)
    clock = TickingClock(start=now - timedelta(days=5))
    for synced in make_synced(tmp_path, clock=clock):
        synced.login()
        synced.person("Early", "early@example.com")  # five days ago
        clock.advance(timedelta(days=4))
        synced.person("Late", "late@example.com")  # yesterday
        today = now.date()
        answer = submit(
            synced,
            flows="people",
            mode="window",
            since=(today - timedelta(days=6)).isoformat(),
            until=(today - timedelta(days=3)).isoformat(),
        )
        assert answer.status_code == 303, answer.text
        synced.runner.run_until_idle(10.0)
        (run,) = synced.app.store.runs.list(synced.integration.id)
        assert run.request["until"].startswith((today - timedelta(days=3)).isoformat())
        assert [c.fields["Name"] for c in synced.books.all("Contacts")] == ["Early"]
        # The cursor did not move past the window: an incremental run picks up the rest.
        assert submit(synced, flows="people").status_code == 303
        synced.runner.run_until_idle(10.0)
        assert sorted(c.fields["Name"] for c in synced.books.all("Contacts")) == ["Early", "Late"]
        wrong = submit(synced, flows="people", mode="window", since=today.isoformat(),
                       until=(today - timedelta(days=1)).isoformat())  # fmt: skip
        assert wrong.status_code == 422
        assert 'id="until-error"' in wrong.text


def test_the_summary_goes_to_the_address_typed_in_the_form(synced: Synced) -> None:
    """A real SMTP server: the run's summary reaches the address the form gave."""
    from ledgerbridge.notify.settings import SmtpSettings
    from ledgerbridge.notify.summary import SummaryMailer
    from tests.integration.notify.mailserver import mail_server

    with mail_server() as (inbox, port):
        synced.app.engine.notifier = SummaryMailer(
            SmtpSettings.model_validate(
                {"host": "127.0.0.1", "port": port, "tls": "none", "sender": "lb@example.com"}
            )
        )
        synced.login()
        synced.person("Ann", "ann@example.com")
        answer = submit(synced, flows="people", email_summary="on", email="ops@example.com")
        assert answer.status_code == 303
        synced.runner.run_until_idle(10.0)
        (message,) = inbox.messages
        assert message.rcpt_tos == ["ops@example.com"]
