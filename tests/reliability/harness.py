"""Crash-consistency harness: seeded Zoho CRM and Xero emulators served over HTTP, a state
database, and ``ledgerbridge sync`` run as a real subprocess that can be SIGKILLed.

A trial syncs one seeded world with kills at chosen moments and restarts until a run
completes; the reference syncs an identical world once, uninterrupted. Both end states are
reduced to normalised snapshots (ids replaced by what they point at, times dropped) of the two
emulators and the binding table, which must be equal. Used by tests/reliability and
``bench/reliability.py``.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ledgerbridge.connectors.http.tokens import TokenSet
from ledgerbridge.domain.config import IntegrationConfig
from ledgerbridge.recipes.zoho_xero import zoho_xero_config
from ledgerbridge.sandbox import xero, zoho_crm
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultConfig
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.core.transport import ServedApp
from ledgerbridge.sandbox.seed import SeedWorld, generate, load_xero, load_zoho_crm
from ledgerbridge.sandbox.seed.world import CrmSeed, SeedRecord
from ledgerbridge.sandbox.xero.state import Kind, XeroState
from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState
from ledgerbridge.store import SecretBox, Store, make_engine
from ledgerbridge.store.migrate import upgrade

INTEGRATION = "crash"
CRM_MODULES = ("Accounts", "Contacts", "Vendors", "Products", "Invoices", "Purchase_Orders")
XERO_KINDS: tuple[Kind, ...] = ("contacts", "items", "invoices", "purchase_orders")
CRM_SCOPE = (
    "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.org.ALL ZohoCRM.notifications.ALL "
    "offline_access"
)
XERO_SCOPE = (
    "openid profile email offline_access accounting.contacts accounting.settings "
    "accounting.transactions"
)
# Fields that change with every write or are assigned by the server at random.
VOLATILE = {
    "id",
    "ContactID",
    "ItemID",
    "InvoiceID",
    "PurchaseOrderID",
    "LineItemID",
    "Created_Time",
    "Modified_Time",
    "Last_Activity_Time",
    "UpdatedDateUTC",
    "CreatedDateUTC",
    "Created_By",
    "Modified_By",
    "Owner",
    "$editable",
    "$approval_state",
    "$state",
    "$currency_symbol",
    "Tag",
    "HasAttachments",
    "Unsubscribed_Time",
    "Exchange_Rate",
    "Locked__s",
    "Record_Status__s",
}
# A sync's own run of the CLI should finish well within this; a hang is a failure, not a wait.
RUN_TIMEOUT = 900.0


def ticked(world: SeedWorld) -> SeedWorld:
    """The world with "Add to Xero" ticked on every CRM record the recipe syncs."""

    def tick(records: tuple[SeedRecord, ...]) -> tuple[SeedRecord, ...]:
        return tuple(SeedRecord(r.key, {**r.data, "Add_to_Xero": True}) for r in records)

    def taxed(records: tuple[SeedRecord, ...]) -> tuple[SeedRecord, ...]:
        # the seed speaks of VAT, the recipe's Xero organisation of GST: most products (and so
        # the invoices and orders that sell them) get across, the other messy cases stay
        return tuple(
            SeedRecord(r.key, {**r.data, "Tax": "GST"}) if r.data.get("Tax") == "VAT" else r
            for r in records
        )

    crm = world.crm
    return dataclasses.replace(
        world,
        crm=CrmSeed(
            accounts=tick(crm.accounts),
            contacts=crm.contacts,
            vendors=tick(crm.vendors),
            products=taxed(tick(crm.products)),
            invoices=tick(crm.invoices),
            purchase_orders=tick(crm.purchase_orders),
        ),
    )


def recipe_config() -> IntegrationConfig:
    """The zoho_xero recipe with every flow on (vendors and purchase orders included)."""
    config = zoho_xero_config(name=INTEGRATION)
    flows = tuple(flow.model_copy(update={"enabled": True}) for flow in config.flows)
    return config.model_copy(update={"flows": flows})


@dataclass
class Emulators:
    crm: ZohoCrmState
    xero: XeroState
    crm_server: ServedApp
    xero_server: ServedApp
    crm_oauth: OAuthServer
    xero_oauth: OAuthServer
    ledgers: tuple[CallLedger, CallLedger] | None = None

    def statuses(self) -> Counter[int]:
        """HTTP statuses both emulators answered (0: connection dropped)."""
        found: Counter[int] = Counter()
        for ledger in self.ledgers or ():
            found.update(entry.status for entry in ledger.entries())
        return found


@contextmanager
def seeded_emulators(world: SeedWorld, faults: FaultConfig | None = None) -> Iterator[Emulators]:
    """Zoho CRM and Xero emulators on real time, loaded with ``world``, served on loopback."""
    clock = VirtualClock()
    crm = ZohoCrmState(clock=clock)
    books = XeroState(clock)
    load_zoho_crm(world, crm)
    load_xero(world, books)
    crm_app = zoho_crm.create_app(crm, limits=False, faults=faults)
    xero_app = xero.create_app(books, limits=False, faults=faults)
    crm_server = ServedApp(crm_app)
    crm.api_domain = crm_server.url
    xero_server = ServedApp(xero_app)
    try:
        crm_server.start()
        xero_server.start()
        # records loaded just now must be older than the first run's start
        time.sleep(1.0)
        yield Emulators(
            crm,
            books,
            crm_server,
            xero_server,
            crm_app.state.oauth,
            xero_app.state.oauth,
            (crm_app.state.ledger, xero_app.state.ledger),
        )
    finally:
        crm_server.stop()
        xero_server.stop()
        books.webhooks.stop()
        crm.close()
        books.close()


@dataclass(frozen=True)
class Database:
    """Where the ledgerbridge under test keeps its state, and the key its secrets use."""

    url: str
    data_dir: Path
    secret_key: str

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "LEDGERBRIDGE_DATABASE_URL": self.url,
                "LEDGERBRIDGE_DATA_DIR": str(self.data_dir),
                "LEDGERBRIDGE_SECRET_KEY": self.secret_key,
                "LEDGERBRIDGE_ENVIRONMENT": "development",
                "NO_COLOR": "1",
                "COLUMNS": "200",
            }
        )
        return env

    @contextmanager
    def store(self) -> Iterator[Store]:
        engine = make_engine(self.url)
        try:
            yield Store(engine, SecretBox([self.secret_key]))
        finally:
            engine.dispose()


def _tokens(
    clock_now: Any, access: str, refresh: str | None, ttl: int, extra: dict[str, Any]
) -> Any:
    return TokenSet(access, refresh, clock_now + timedelta(seconds=ttl), extra).to_secrets()


def prepare(db: Database, emu: Emulators, config: IntegrationConfig | None = None) -> None:
    """Schema, the two connections pointed at the emulators with fresh tokens, the integration."""
    engine = make_engine(db.url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    crm_url, xero_url = emu.crm_server.url, emu.xero_server.url
    now = emu.crm.clock.now()
    crm_pair = emu.crm_oauth.issue_for_tests(scope=CRM_SCOPE)
    xero_pair = emu.xero_oauth.issue_for_tests(scope=XERO_SCOPE)
    with db.store() as store:
        store.connections.add(
            "crm",
            "zoho_crm",
            {"client_id": zoho_crm.CLIENT_ID, "accounts_url": crm_url, "api_domain": crm_url},
            {
                "client_secret": zoho_crm.CLIENT_SECRET,
                "tokens": _tokens(
                    now,
                    crm_pair.access_token,
                    crm_pair.refresh_token,
                    crm_pair.expires_in,
                    {"api_domain": crm_url},
                ),
            },
        )
        store.connections.add(
            "xero",
            "xero",
            {
                "client_id": xero.CLIENT_ID,
                "tenant_id": emu.xero.tenant_id,
                "api_base": f"{xero_url}/api.xro/2.0",
                "connections_url": f"{xero_url}/connections",
                "token_url": f"{xero_url}/connect/token",
            },
            {
                "client_secret": xero.CLIENT_SECRET,
                "tokens": _tokens(
                    now, xero_pair.access_token, xero_pair.refresh_token, xero_pair.expires_in, {}
                ),
            },
        )
        store.integrations.create(config or recipe_config())


def sync_command() -> list[str]:
    return [sys.executable, "-m", "ledgerbridge", "sync", INTEGRATION]


@dataclass
class Attempt:
    """One start of the sync process: killed after ``kill_at`` seconds, or run to its end."""

    kill_at: float | None
    seconds: float
    returncode: int
    killed: bool
    output: str = ""


def run_sync(db: Database, kill_at: float | None, log: Path | None = None) -> Attempt:
    """Start ``ledgerbridge sync``; SIGKILL it after ``kill_at`` seconds if still running."""
    started = time.monotonic()
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            sync_command(),
            env=db.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        timeout = RUN_TIMEOUT if kill_at is None else kill_at
        killed = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if kill_at is None:
                proc.kill()
                proc.wait()
                raise AssertionError(f"the sync did not finish within {RUN_TIMEOUT} s") from None
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]
    return Attempt(kill_at, time.monotonic() - started, proc.returncode, killed)


def run_to_completion(
    db: Database, kills: Sequence[float], log: Path | None = None, max_restarts: int = 5
) -> list[Attempt]:
    """Kill at each moment in ``kills`` (one per start), then restart until a run succeeds."""
    attempts: list[Attempt] = []
    # A start that ended before its kill point (machines vary, re-runs are quicker) shows how
    # long a start lasts now: later kill points are brought inside that span.
    span = float("inf")
    for kill_at in kills:
        attempt = run_sync(db, min(kill_at, max(span * 0.8, 0.5)), log)
        attempts.append(attempt)
        if not attempt.killed:
            span = min(span, attempt.seconds)
    for _ in range(max_restarts):
        attempt = run_sync(db, None, log)
        attempts.append(attempt)
        if attempt.returncode == 0:
            # One more run: restarts are runs too, and a second run may still carry what the
            # first one created (a record created late in one flow is read by an earlier flow
            # next time). Both sides of a comparison end on a run that follows a complete one.
            settle = run_sync(db, None, log)
            attempts.append(settle)
            if settle.returncode != 0:
                break
            return attempts
    tail = log.read_text(errors="replace")[-4000:] if log is not None else ""
    raise AssertionError(f"no run completed after {len(attempts)} starts: {attempts}\n{tail}")


# -- snapshots ---------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """Both emulators and the binding table with ids replaced by what they point at."""

    crm: dict[str, Counter[str]] = field(default_factory=dict)
    xero: dict[str, Counter[str]] = field(default_factory=dict)
    bindings: dict[str, Counter[str]] = field(default_factory=dict)

    def differences(self, other: Snapshot, limit: int = 6) -> list[str]:
        found: list[str] = []
        for part in ("crm", "xero", "bindings"):
            mine, theirs = getattr(self, part), getattr(other, part)
            for name in sorted(set(mine) | set(theirs)):
                a, b = mine.get(name, Counter()), theirs.get(name, Counter())
                if a == b:
                    continue
                only_a, only_b = a - b, b - a
                found.append(
                    f"{part}/{name}: {sum(a.values())} vs {sum(b.values())} records; "
                    f"only here: {[r[:600] for r in list(only_a)[:limit]]}; "
                    f"only in the other: {[r[:600] for r in list(only_b)[:limit]]}"
                )
        return found


def _crm_label(module: str, record: dict[str, Any]) -> str:
    for key in ("Account_Name", "Vendor_Name", "Product_Code", "Product_Name", "Subject"):
        if record.get(key):
            return f"crm:{module}:{record[key]}"
    return f"crm:{module}:{record.get('Last_Name')}:{record.get('Email')}"


def _xero_label(kind: str, record: dict[str, Any]) -> str:
    for key in ("Name", "Code", "InvoiceNumber", "PurchaseOrderNumber", "Reference"):
        if record.get(key):
            return f"xero:{kind}:{record[key]}"
    return f"xero:{kind}:?"


def _canonical(value: Any, labels: dict[str, str], top: bool = False) -> Any:
    if isinstance(value, dict):
        # a nested id (a lookup, an invoice's contact) stays, replaced by what it points at
        dropped = VOLATILE if top else VOLATILE - {"id", "ContactID", "ItemID"}
        return {k: _canonical(v, labels) for k, v in sorted(value.items()) if k not in dropped}
    if isinstance(value, list):
        return [_canonical(v, labels) for v in value]
    if isinstance(value, str):
        return labels.get(value.lower(), value)
    return value


def _id_of(record: dict[str, Any]) -> str | None:
    for key in ("id", "ContactID", "ItemID", "InvoiceID", "PurchaseOrderID"):
        if record.get(key):
            return str(record[key])
    return None


def snapshot(emu: Emulators, db: Database) -> Snapshot:
    """The end state, comparable between two syncs of identical worlds."""
    crm_records = {m: emu.crm.all(m) for m in CRM_MODULES}
    xero_records = {k: emu.xero.query(k).records for k in XERO_KINDS}
    labels: dict[str, str] = {}
    for module, records in crm_records.items():
        for record in records:
            ident = _id_of(record)
            if ident:
                labels[ident.lower()] = _crm_label(module, record)
    for kind, records in xero_records.items():
        for record in records:
            ident = _id_of(record)
            if ident:
                labels[ident.lower()] = _xero_label(kind, record)
    snap = Snapshot()
    for module, records in crm_records.items():
        snap.crm[module] = Counter(repr(_canonical(r, labels, top=True)) for r in records)
    for kind, records in xero_records.items():
        snap.xero[kind] = Counter(repr(_canonical(r, labels, top=True)) for r in records)
    with db.store() as store:
        integration = store.integrations.get(INTEGRATION)
        for flow in integration.flows:
            pairs: Counter[str] = Counter()
            for binding in store.bindings.iter_all(integration.id, flow.name):
                crm_label = labels.get(binding.crm_id.lower(), f"unknown crm {binding.crm_id}")
                books_label = labels.get(
                    binding.books_id.lower(), f"unknown xero {binding.books_id}"
                )
                pairs[f"{crm_label} <-> {books_label}"] += 1
            snap.bindings[flow.name] = pairs
    return snap


def duplicates(emu: Emulators, db: Database) -> list[str]:
    """Records bound twice, bindings to records that do not exist, and Xero contacts sharing a
    name (Xero's own rule; a second one is a duplicate we created)."""
    found: list[str] = []
    crm_ids = {r["id"] for m in CRM_MODULES for r in emu.crm.all(m)}
    xero_ids = {str(_id_of(r)).lower() for k in XERO_KINDS for r in emu.xero.query(k).records}
    with db.store() as store:
        integration = store.integrations.get(INTEGRATION)
        for flow in integration.flows:
            bindings = list(store.bindings.iter_all(integration.id, flow.name))
            for side, ids in (
                ("crm", Counter(b.crm_id for b in bindings)),
                ("books", Counter(b.books_id.lower() for b in bindings)),
            ):
                found += [
                    f"{flow.name}: {side} {i} bound {n} times" for i, n in ids.items() if n > 1
                ]
            found += [
                f"{flow.name}: binding to missing CRM record {b.crm_id}"
                for b in bindings
                if b.crm_id not in crm_ids
            ]
            found += [
                f"{flow.name}: binding to missing Xero record {b.books_id}"
                for b in bindings
                if b.books_id.lower() not in xero_ids
            ]
    names = Counter(
        str(c.get("Name", "")).strip().casefold() for c in emu.xero.query("contacts").records
    )
    found += [f"Xero has {n} contacts named {name!r}" for name, n in names.items() if n > 1]
    return found


def world(seed: int, count: int) -> SeedWorld:
    return ticked(generate(seed=seed, count=count))
