"""/healthz, /readyz and /metrics on the served web app, fed by real runs, calls and webhooks."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.observability import configure_logging
from ledgerbridge.store import Store
from tests.integration.web.live import (
    INTEGRATION,
    Emulators,
    Web,
    accounts_config,
    application,
    connect,
    emulators,
    web,
)
from tests.support.dispatch import RecordingDispatcher
from tests.support.flows import one_flow, people_flow
from tests.support.world import World


@dataclass
class Site:
    app: App
    emu: Emulators
    served: Web
    http: httpx.Client


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    app = application(tmp_path, db_url, coalesce=0.0)
    try:
        with emulators() as emu:
            connect(app, emu)
            app.store.integrations.create(accounts_config())
            with (
                web(app, RecordingDispatcher()) as served,
                httpx.Client(base_url=served.url, timeout=30) as http,
            ):
                yield Site(app, emu, served, http)
    finally:
        app.close()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scraped(http: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def test_healthz_and_readyz(site: Site) -> None:
    assert site.http.get("/healthz").json() == {"status": "ok"}
    ready = site.http.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    with site.app.store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    behind = site.http.get("/readyz")
    assert behind.status_code == 503
    (reason,) = behind.json()["reasons"]
    assert "schema at revision 0001" in reason
    assert "ledgerbridge db upgrade" in reason
    with site.app.store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
    assert "schema missing" in site.http.get("/readyz").json()["reasons"][0]
    assert site.http.get("/healthz").status_code == 200  # alive, though not ready


def test_api_calls_and_budgets_per_connection(site: Site) -> None:
    calls = sample("ledgerbridge_api_calls_total", system="xero", status="200")
    xero = site.app.connector("xero")
    org = xero.describe()
    assert org.name
    assert sample("ledgerbridge_api_calls_total", system="xero", status="200") >= calls + 1
    seen = scraped(site.http)
    budget = seen[
        ("ledgerbridge_api_budget_remaining", (("connection", "xero"), ("system", "xero")))
    ]
    assert 0 < budget < 5000  # Xero allows 5,000 calls a day per organisation
    minute = (
        "ledgerbridge_api_minute_budget_remaining",
        (("connection", "xero"), ("system", "xero")),
    )
    # As the answer headers said: the app-wide minute limit (10,000) is the smaller one left.
    assert 0 < seen[minute] < 10_000
    assert (
        "ledgerbridge_api_throttle_wait_seconds_total",
        (("connection", "xero"), ("system", "xero")),
    ) in seen
    assert not any(
        name == "ledgerbridge_api_budget_remaining" and dict(labels).get("connection") == "crm"
        for name, labels in seen
    )


def test_a_run_is_counted_by_outcome_with_its_records(site: Site) -> None:
    site.emu.crm.create("Accounts", {"Account_Name": "Metered Ltd", "Account_Number": "M1"})
    runs = sample(
        "ledgerbridge_runs_total", integration=INTEGRATION, kind="manual", outcome="succeeded"
    )
    created = sample(
        "ledgerbridge_records_total", integration=INTEGRATION, flow="accounts", outcome="created"
    )
    row = site.app.store.integrations.get(INTEGRATION)
    report = site.app.engine.run(row, site.app.systems(row), SyncRequest())
    assert report.status.value == "succeeded", report.error
    seen = scraped(site.http)
    key = (("integration", INTEGRATION), ("kind", "manual"), ("outcome", "succeeded"))
    assert seen[("ledgerbridge_runs_total", key)] == runs + 1
    records = (("flow", "accounts"), ("integration", INTEGRATION), ("outcome", "created"))
    assert seen[("ledgerbridge_records_total", records)] == created + 1


def test_webhooks_are_counted_with_their_lag(site: Site) -> None:
    queued = sample("ledgerbridge_webhooks_total", system="xero", outcome="queued")
    refused = sample("ledgerbridge_webhooks_total", system="xero", outcome="refused")
    lags = sample("ledgerbridge_webhook_lag_seconds_count", system="xero")
    site.emu.xero.webhooks.configure(f"{site.served.url}/webhooks/xero/{INTEGRATION}")
    site.emu.xero.add_contact(Name="Hooked Ltd")
    assert site.emu.xero.webhooks.flush()
    forged = site.http.post(
        f"/webhooks/xero/{INTEGRATION}", content=b"{}", headers={"x-xero-signature": "nope"}
    )
    assert forged.status_code == 401
    assert sample("ledgerbridge_webhooks_total", system="xero", outcome="queued") == queued + 1
    assert sample("ledgerbridge_webhooks_total", system="xero", outcome="refused") == refused + 1
    assert sample("ledgerbridge_webhook_lag_seconds_count", system="xero") == lags + 1
    # Sent within the test, so within a minute of the change.
    assert sample("ledgerbridge_webhook_lag_seconds_bucket", system="xero", le="60.0") >= 1


class ChattyConnector(MemoryConnector):
    """An in-memory system that logs while it is read, as a connector logs a retry."""

    def read_changes(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        logging.getLogger("ledgerbridge.connectors.test").warning("reading %s", args[0])
        return super().read_changes(*args, **kwargs)


def test_log_lines_of_a_run_carry_its_integration_and_run_id(store: Store) -> None:
    stream = io.StringIO()
    handler = configure_logging(logging.INFO, "json", stream=stream)
    clock = TickingClock()
    try:
        world = World.build(
            store,
            one_flow(people_flow(), name="acme"),
            crm=ChattyConnector("crm", clock=clock),
            clock=clock,
        )
        world.crm.put("People", {"Full_Name": "Ada", "Email": "ada@example.com"})
        report = world.sync()
        logging.getLogger("ledgerbridge.test").warning("after the run")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    during = [line for line in lines if line["message"] == "reading People"]
    assert during
    assert {(line["integration"], line["run_id"]) for line in during} == {("acme", report.run_id)}
    assert "integration" not in lines[-1]
    assert "run_id" not in lines[-1]
