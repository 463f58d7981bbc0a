"""Run history: the list with filters and chart, a run's records with links, retries, CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledgerbridge.domain.config import FieldRule, FlowConfig, IntegrationConfig
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunKind, RunStatus
from ledgerbridge.engine.model import NoProgress, SyncRequest
from tests.integration.portal.synced import NAME, Synced, make_synced
from tests.support.flows import NEEDS_EMAIL, people_flow

RUN_LINK = re.compile(r'<th scope="row"><a href="/integrations/[^/]+/runs/(\d+)"')


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[Synced]:
    yield from make_synced(tmp_path, flow=people_flow(required=(NEEDS_EMAIL,)))


def run_now(synced: Synced) -> int:
    row = synced.integration
    report = synced.app.engine.run(row, synced.app.systems(row), SyncRequest(), NoProgress())
    assert report.run_id is not None
    return report.run_id


def test_history_lists_runs_with_counts_a_chart_and_its_table(tmp_path: Path, db_url: str) -> None:
    flow = people_flow(required=(NEEDS_EMAIL,))
    for synced in make_synced(tmp_path, db_url, start=False, flow=flow):
        synced.login()
        synced.person("Ann", "ann@example.com")
        nomail = synced.person("Nomail", "")
        partial = run_now(synced)
        synced.crm.edit("People", nomail, {"Email": "found@example.com"})
        ok = run_now(synced)
        assert synced.app.store.runs.get(ok).status is RunStatus.SUCCEEDED
        page = synced.client.get("/history")
        assert page.status_code == 200
        html = page.text
        assert f'href="/integrations/{NAME}/runs/{partial}"' in html
        assert f'href="/integrations/{NAME}/runs/{ok}"' in html
        assert 'role="img"' in html and '<title id="chart-title">' in html
        today = datetime.now(UTC).date().isoformat()
        day_row = (
            f'<tr><th scope="row">{today}</th><td class="number">2</td>'
            '<td class="number">1</td></tr>'
        )
        assert day_row in html
        # Only the partial run, by outcome:
        filtered = synced.client.get("/history", params={"status": "partial"}).text
        assert f'/runs/{partial}"' in filtered and f'/runs/{ok}"' not in filtered
        # Nothing before yesterday:
        old = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
        empty = synced.client.get("/history", params={"since": old, "until": old}).text
        assert 'id="no-runs"' in empty
        bad = synced.client.get("/history", params={"since": "soon", "status": "meh"})
        assert bad.status_code == 422
        assert 'id="since-error"' in bad.text and 'id="status-error"' in bad.text


def test_a_run_shows_failed_records_with_their_reason_and_a_retry_syncs_one_again(
    synced: Synced,
) -> None:
    synced.login()
    fixed_later = synced.person("Nomail", "")
    run_id = run_now(synced)
    page = synced.client.get(f"/integrations/{NAME}/runs/{run_id}")
    assert page.status_code == 200
    assert 'id="run-status"' in page.text and ">partial<" in page.text
    assert "Person has no Email" in page.text
    assert f'name="record_id" value="{fixed_later}"' in page.text

    synced.crm.edit("People", fixed_later, {"Email": "found@example.com"})
    token = synced.csrf(f"/integrations/{NAME}/runs/{run_id}")
    answer = synced.client.post(
        f"/integrations/{NAME}/runs/{run_id}/retry",
        data={"csrf_token": token, "flow": "people", "side": "crm", "record_id": fixed_later},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/integrations/{NAME}/runs/{run_id}"
    assert "queued to sync again" in synced.client.get(answer.headers["location"]).text
    synced.runner.run_until_idle(10.0)
    newest = synced.app.store.runs.list(synced.integration.id, limit=1)[0]
    assert (newest.kind, newest.status) == (RunKind.SINGLE, RunStatus.SUCCEEDED)
    assert [c.fields["EmailAddress"] for c in synced.books.all("Contacts")] == ["found@example.com"]


def test_a_retry_of_a_side_the_flow_does_not_read_queues_nothing(synced: Synced) -> None:
    synced.login()
    synced.person("Nomail", "")
    run_id = run_now(synced)
    token = synced.csrf(f"/integrations/{NAME}/runs/{run_id}")
    answer = synced.client.post(
        f"/integrations/{NAME}/runs/{run_id}/retry",
        data={"csrf_token": token, "flow": "nope", "side": "crm", "record_id": "1"},
    )
    assert answer.status_code == 303
    assert "does not sync" in synced.client.get(answer.headers["location"]).text
    synced.runner.run_until_idle(10.0)
    assert len(synced.app.store.runs.list(synced.integration.id)) == 1


def test_records_link_to_their_page_in_each_system(synced: Synced) -> None:
    store = synced.app.store
    store.connections.add("zcrm", "zoho_crm", {"client_id": "x", "data_centre": "eu"}, {})
    store.connections.add("zbooks", "zoho_books", {"client_id": "x", "organization_id": "77"}, {})
    flow = FlowConfig(
        name="accounts",
        crm_module="Accounts",
        books_module="contacts",
        fields=(FieldRule(crm="Account_Name", books="contact_name"),),
    )
    row = store.integrations.create(
        IntegrationConfig(
            name="zoho", crm_connection="zcrm", books_connection="zbooks", flows=(flow,)
        ),
        owner_id=synced.owner.id,
    )
    run_id = store.runs.start(row.id, RunKind.MANUAL, {}, False)
    store.runs.add_items(
        run_id,
        [RunItem("accounts", Side.CRM, "501", Outcome.FAILED, "refused", "902", "Acme <Ltd>")],
    )
    store.runs.finish(run_id, RunStatus.PARTIAL, {"accounts": {"crm": {"failed": 1}}})
    synced.login()
    html = synced.client.get(f"/integrations/zoho/runs/{run_id}").text
    assert 'href="https://crm.zoho.eu/crm/tab/Accounts/501"' in html
    assert 'href="https://books.zoho.com/app/77#/contacts/902"' in html
    assert "Acme &lt;Ltd&gt;" in html


def test_csv_exports_escape_and_guard_against_formulas(synced: Synced) -> None:
    synced.login()
    synced.person('=HYPERLINK("http://evil","x")', "")
    run_id = run_now(synced)
    items = synced.client.get(f"/integrations/{NAME}/runs/{run_id}/items.csv")
    assert items.status_code == 200
    assert items.headers["content-type"].startswith("text/csv")
    assert "attachment" in items.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(items.text)))
    (failed,) = [r for r in rows if r["outcome"] == "failed"]
    assert failed["label"].startswith("'=HYPERLINK")
    runs = list(csv.DictReader(io.StringIO(synced.client.get("/history.csv").text)))
    assert [(r["id"], r["status"], r["failed"]) for r in runs] == [(str(run_id), "partial", "1")]


def test_someone_else_sees_none_of_it(synced: Synced) -> None:
    synced.login()
    synced.person("Nomail", "")
    run_id = run_now(synced)
    stranger = synced.stranger()
    assert f"/runs/{run_id}" not in stranger.get("/history").text
    assert stranger.get(f"/integrations/{NAME}/runs/{run_id}").status_code == 404
    assert stranger.get(f"/integrations/{NAME}/runs/{run_id}/items.csv").status_code == 404
    assert list(csv.DictReader(io.StringIO(stranger.get("/history.csv").text))) == []
    # A run of one integration is not shown under another's name.
    other_run = run_id + 1000
    assert synced.client.get(f"/integrations/{NAME}/runs/{other_run}").status_code == 404


def test_runs_come_fifty_to_a_page_newest_first(synced: Synced) -> None:
    store = synced.app.store
    iid = synced.integration.id
    ids = []
    for _ in range(55):
        run_id = store.runs.start(iid, RunKind.SCHEDULED, {}, False)
        store.runs.finish(run_id, RunStatus.SUCCEEDED, {})
        ids.append(run_id)
    synced.login()
    first = synced.client.get("/history").text
    shown = [
        int(n)
        for n in re.findall(r'<th scope="row"><a href="/integrations/[^/]+/runs/(\d+)"', first)
    ]
    assert shown == sorted(ids, reverse=True)[:50]
    older = re.search(r'href="(/history\?[^"]+)" id="older-runs"', first)
    assert older is not None
    rest = synced.client.get(older.group(1).replace("&amp;", "&")).text
    shown = [
        int(n)
        for n in re.findall(r'<th scope="row"><a href="/integrations/[^/]+/runs/(\d+)"', rest)
    ]
    assert shown == sorted(ids, reverse=True)[50:]
    assert 'id="older-runs"' not in rest
