"""The whole engine on the whole Zoho CRM + Xero recipe, with a tenth of all API calls failing
in every way the emulators can fail them, converges to the end state of a sync without faults.

Faults: 5xx answers, 429 with Retry-After, connections dropped after the answer started,
answers slower than the connectors' timeout, and access tokens expired by the server while the
client still believes them good (so both connections meet a 401 and refresh mid-run, Xero
rotating its refresh token each time). Zoho allows ten access tokens per refresh token in ten
minutes, so the CRM's tokens are expired less often than Xero's.
Runs repeat, as the scheduler repeats them, until the state matches or the attempts run out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ledgerbridge.bootstrap import App, bootstrap, token_store
from ledgerbridge.connectors.xero.connector import from_connection as xero_connector
from ledgerbridge.connectors.zoho_crm.connector import from_connection as crm_connector
from ledgerbridge.engine.model import SyncRequest
from ledgerbridge.sandbox.core.faults import FaultConfig
from ledgerbridge.settings import Settings
from tests.fixtures.db import create_pg_schema
from tests.reliability.crash import make_database
from tests.reliability.harness import (
    INTEGRATION,
    Database,
    Emulators,
    Snapshot,
    duplicates,
    prepare,
    seeded_emulators,
    snapshot,
    world,
)

COUNT = 20  # ~120 seeded records
# A slow answer takes longer than the connectors wait for one.
TIMEOUT_SECONDS = 1.0
FAULTS = FaultConfig(
    error_5xx_rate=0.03,
    rate_429=0.03,
    drop_rate=0.02,
    slow_rate=0.02,
    latency_ms=1500,
    # Each emulator draws its faults from this seed's stream in call order: with 1236 every
    # kind comes within the first eleven calls, so each is met however few calls a run needs.
    seed=1236,
)
# Seconds between server-side expiries of every access token, and the CRM's cap on them.
XERO_EXPIRY_EVERY = 2.0
CRM_EXPIRY_EVERY = 4.0
CRM_EXPIRIES = 8
MAX_RUNS = 8


@contextmanager
def expiring_tokens(emu: Emulators) -> Iterator[list[int]]:
    """Expire every access token now and then, as a revoked or timed-out token would be."""
    stop = threading.Event()
    expired = [0, 0]

    def expire() -> None:
        started = time.monotonic()
        next_crm = started + CRM_EXPIRY_EVERY
        while not stop.wait(XERO_EXPIRY_EVERY):
            expired[1] += emu.xero_oauth.expire_all_access_tokens() > 0
            if time.monotonic() >= next_crm and expired[0] < CRM_EXPIRIES:
                expired[0] += emu.crm_oauth.expire_all_access_tokens() > 0
                next_crm += CRM_EXPIRY_EVERY

    thread = threading.Thread(target=expire, name="token-expiry", daemon=True)
    thread.start()
    try:
        yield expired
    finally:
        stop.set()
        thread.join()


@contextmanager
def application(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """ledgerbridge on ``db`` with connectors that give up on an answer after a second."""
    monkeypatch.setenv("LEDGERBRIDGE_SECRET_KEY", db.secret_key)
    app = bootstrap(Settings(data_dir=db.data_dir, database_url=db.url))
    clients: list[httpx.Client] = []
    try:
        for name, factory in (("crm", crm_connector), ("xero", xero_connector)):
            client = httpx.Client(timeout=httpx.Timeout(TIMEOUT_SECONDS))
            clients.append(client)
            row = app.store.connections.get(name)
            app.use(name, factory(dict(row.settings), token_store(app, name), http=client))
        yield app
    finally:
        app.close()
        for client in clients:
            client.close()


def sync_until(
    app: App, emu: Emulators, db: Database, expected: Snapshot | None, runs: int
) -> tuple[Snapshot, int, list[str]]:
    """Run syncs until the end state equals ``expected`` (or, without one, ``runs`` times)."""
    row = app.store.integrations.get(INTEGRATION)
    differences: list[str] = []
    for n in range(1, runs + 1):
        report = app.engine.run(row, app.systems(row), SyncRequest())
        assert report.run_id is not None
        state = snapshot(emu, db)
        if expected is not None:
            differences = state.differences(expected)
            if not differences and report.error is None:
                return state, n, []
    return state, runs, differences


def test_a_tenth_of_calls_failing_every_way_still_converges_to_the_fault_free_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = world(2, COUNT)
    with seeded_emulators(seeded) as emu:
        db, drop = make_database("sqlite", tmp_path, create_pg_schema)
        prepare(db, emu)
        with application(db, monkeypatch) as app:
            # two runs: the second carries what the first created late in a later flow
            expected, _, _ = sync_until(app, emu, db, None, 2)
        drop()
    with seeded_emulators(seeded, FAULTS) as emu:
        db, drop = make_database("sqlite", tmp_path, create_pg_schema)
        prepare(db, emu)
        with application(db, monkeypatch) as app, expiring_tokens(emu) as expired:
            _, runs, differences = sync_until(app, emu, db, expected, MAX_RUNS)
            assert expired[0] >= 1 and expired[1] >= 2, f"too few tokens expired mid-run: {expired}"
            assert len(emu.xero_oauth._refresh) >= 3, "Xero should have rotated refresh tokens"
            statuses = emu.statuses()
            for status in (0, 429, 401):
                assert statuses[status] > 0, f"no answer {status} among {statuses}"
            assert sum(n for s, n in statuses.items() if s >= 500) > 0, statuses
            assert not differences, "\n".join([f"not converged after {runs} runs", *differences])
            assert not duplicates(emu, db)
        drop()
