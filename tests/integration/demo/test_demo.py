"""``ledgerbridge demo`` as a person runs it: a real process, a fresh data directory, the sandbox.

What the summary must say is worked out from the seed's own facts (which records are present on
both sides, which are ticked "Add to Xero") and the recipe's rules, so the expectations follow
the recipe as it gains flows and rules.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledgerbridge.domain.config import IntegrationConfig
from ledgerbridge.domain.hints import FailureKind
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.rules import check_required, in_view
from ledgerbridge.recipes.zoho_xero import zoho_xero_config
from ledgerbridge.sandbox.runner import DATA_FILES
from ledgerbridge.sandbox.seed import SeedRecord, SeedWorld, generate
from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState

SEED = 0
COUNT = 10  # records per main module: the hand-made messy cases and a few drawn ones
PORTS = ("--port", "0", "--crm-port", "0", "--xero-port", "0", "--books-port", "0")
DEMO = ("demo", "--seed", str(SEED), "--count", str(COUNT), *PORTS)
# The serving demo needs little data: the hand-made cases come at every count.
SERVING = ("demo", "--seed", str(SEED), "--count", "1", *PORTS)

_CRM = {
    "Accounts": "accounts",
    "Contacts": "contacts",
    "Vendors": "vendors",
    "Products": "products",
    "Invoices": "invoices",
    "Purchase_Orders": "purchase_orders",
}
_XERO = {
    "Contacts": "contacts",
    "Items": "items",
    "Invoices": "invoices",
    "PurchaseOrders": "purchase_orders",
}

Run = Callable[..., subprocess.CompletedProcess[str]]


@dataclass
class Known:
    """Per flow, what the seed says a correct first sync does."""

    linked: dict[str, int] = field(default_factory=dict)
    # in scope on the CRM side, not present in Xero: each is created or fails
    crm_new: dict[str, int] = field(default_factory=dict)
    # in Xero, not present in the CRM: each is created, skipped or fails
    xero_new: dict[str, int] = field(default_factory=dict)
    # CRM records among crm_new that the flow's own rules refuse
    refused: dict[str, int] = field(default_factory=dict)
    # two in-scope products whose codes collide and that pass the rules: one of them fails
    collisions: dict[str, int] = field(default_factory=dict)


def known_outcome(world: SeedWorld, config: IntegrationConfig) -> Known:
    known = Known()
    flows = [f for f in config.flows if f.enabled]
    twins_in_xero: dict[str, set[str]] = {}
    for flow in flows:
        crm = _crm_in_view(world, flow.crm_module, flow.views)
        xero = _xero_in_view(world, flow.books_module, flow.views)
        keys = {r.key for r in crm}
        matches = [
            m
            for m in world.expected.matches
            if m.module == flow.crm_module and m.crm_key in keys and m.xero_key in xero
        ]
        known.linked[flow.name] = len(matches)
        twins_in_xero.setdefault(flow.books_module, set()).update(str(m.xero_key) for m in matches)
        matched = {m.crm_key for m in matches}
        new = [r for r in crm if r.key not in matched] if flow.direction.reads(Side.CRM) else []
        known.crm_new[flow.name] = len(new)
        passing = [r for r in new if not check_required(flow, Side.CRM, r.data)[0]]
        known.refused[flow.name] = len(new) - len(passing)
        colliding = {c.key for c in world.expected.cases if c.name == "colliding_codes"}
        both = sum(1 for r in passing if r.key in colliding) == 2
        known.collisions[flow.name] = 1 if both else 0
    for flow in flows:
        xero = _xero_in_view(world, flow.books_module, flow.views)
        reads = flow.direction.reads(Side.BOOKS)
        known.xero_new[flow.name] = len(xero - twins_in_xero[flow.books_module]) if reads else 0
    return known


def _crm_in_view(world: SeedWorld, module: str, views: Any) -> list[SeedRecord]:
    # a module the seed has no records of (a flow added since) has none in view
    records: tuple[SeedRecord, ...] = getattr(world.crm, _CRM.get(module, ""), ())
    return [r for r in records if in_view(views, Side.CRM, r.data)]


def _xero_in_view(world: SeedWorld, module: str, views: Any) -> set[str]:
    records: tuple[SeedRecord, ...] = getattr(world.xero, _XERO.get(module, ""), ())
    return {r.key for r in records if in_view(views, Side.BOOKS, r.data)}


def _counts(report: dict[str, Any], run: str, flow: str, side: str) -> dict[str, int]:
    counts: dict[str, int] = report["runs"][run]["counts"].get(flow, {}).get(side, {})
    return counts


def _env(data: Path) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("LEDGERBRIDGE_")} | {
        "LEDGERBRIDGE_DATA_DIR": str(data),
        "COLUMNS": "200",
    }


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def run_demo(demo_dir: Path) -> Run:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "ledgerbridge", *DEMO, *args],
            capture_output=True,
            text=True,
            env=_env(demo_dir / "data"),
            cwd=demo_dir,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        return proc

    return run


@pytest.fixture(scope="module")
def first(run_demo: Run, demo_dir: Path) -> tuple[str, dict[str, Any]]:
    out = run_demo("--no-serve", "--report", str(demo_dir / "first.json")).stdout
    return out, json.loads((demo_dir / "first.json").read_text())


def test_first_demo_matches_the_seed_known_outcome(first: tuple[str, dict[str, Any]]) -> None:
    out, report = first
    assert report["sandbox"]["seeded"] is True
    assert all(c["created"] for c in report["connections"].values())
    assert report["integration"]["created"] is True
    known = known_outcome(generate(seed=SEED, count=COUNT), zoho_xero_config())

    for flow, linked in known.linked.items():
        assert _counts(report, "fetch", flow, "crm").get("linked", 0) == linked, flow
    for flow, new in known.crm_new.items():
        crm = _counts(report, "sync", flow, "crm")
        # every CRM record in scope and new to Xero is created or failed, none is lost
        assert crm.get("created", 0) + crm.get("failed", 0) + crm.get("skipped", 0) == new, flow
        # the flow's own rules refuse at least these; with no flow before it, exactly these
        assert crm.get("failed", 0) >= known.refused[flow], flow
    for flow in ("accounts", "products"):
        expected = known.refused[flow] + known.collisions[flow]
        assert _counts(report, "sync", flow, "crm").get("failed", 0) == expected, flow
    for flow, new in known.xero_new.items():
        books = _counts(report, "sync", flow, "books")
        done = books.get("created", 0) + books.get("failed", 0) + books.get("skipped", 0)
        assert done == new, flow

    totals = report["totals"]
    assert totals["linked"] == sum(known.linked.values())
    assert totals["failed"] >= sum(known.refused.values())
    assert f"Summary: created {totals['created']}, updated {totals['updated']}" in out
    assert f"linked {totals['linked']}, failed {totals['failed']}" in out
    if totals["failed"]:
        assert "Top failure reasons, and how to fix each:" in out
        assert report["failures"], "failures without reasons"
    for group in report["failures"]:
        assert group["hint"] and f"fix: {group['hint']}" in out
    # the rules' own refusals are told apart from refusals by the other system
    if sum(known.refused.values()):
        kinds = {g["kind"] for g in report["failures"]}
        assert FailureKind.REQUIRED_FIELD.value in kinds


def test_a_second_demo_reuses_everything_and_writes_nothing(
    first: tuple[str, dict[str, Any]], run_demo: Run, demo_dir: Path
) -> None:
    _, before = first
    crm_file = demo_dir / "data" / "sandbox" / DATA_FILES["zoho_crm"]
    crm_before = _crm_snapshot(crm_file)

    out = run_demo("--no-serve", "--report", str(demo_dir / "second.json")).stdout
    again = json.loads((demo_dir / "second.json").read_text())

    assert "reused" in out and "authorised again" in out
    assert again["sandbox"]["seeded"] is False
    assert not any(c["created"] for c in again["connections"].values())
    assert again["integration"]["created"] is False
    # no second initial match; the sync finds nothing new and changes nothing
    assert list(again["runs"]) == ["sync"]
    assert again["totals"]["created"] == 0
    assert again["totals"]["updated"] == 0
    assert again["totals"]["linked"] == 0
    # what failed still fails, for the same reasons
    assert again["totals"]["failed"] == before["totals"]["failed"] - _failed(before, "fetch")
    assert _crm_snapshot(crm_file) == crm_before


def _failed(report: dict[str, Any], run: str) -> int:
    counts = report["runs"].get(run, {}).get("counts", {})
    return sum(o.get("failed", 0) for sides in counts.values() for o in sides.values())


def _crm_snapshot(path: Path) -> dict[str, list[dict[str, Any]]]:
    state = ZohoCrmState(str(path))
    try:
        return {m: state.all(m) for m in _CRM}
    finally:
        state.close()


def test_the_serving_demo_syncs_webhooks_answers_healthz_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ledgerbridge", *SERVING],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path / "data"),
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        lines = _read_until(proc, "Press Ctrl-C to stop.", timeout=90)
        text = "\n".join(lines)
        health = re.search(r"Health:\s+(\S+)", text)
        assert health, text
        assert httpx.get(health[1], timeout=10).json() == {"status": "ok"}
        assert "Xero webhook ->" in text and "Zoho CRM channel ->" in text
        # The portal, with the demo administrator it printed.
        login = re.search(r"log in at (\S+)\)\s+user (\S+)\s+password (\S+)", text)
        assert login, text
        with httpx.Client() as browser:
            form = browser.get(login[1]).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert csrf, form
            answer = browser.post(
                login[1], data={"email": login[2], "password": login[3], "csrf_token": csrf[1]}
            )
            assert answer.status_code == 303, answer.text
            home = browser.get(login[1].removesuffix("/login") + "/")
            assert home.status_code == 200 and "demo" in home.text

        # A name changed in the CRM reaches Xero through the channel, with no run started by hand.
        edit = re.search(r"curl -X PATCH (\S+/_sandbox/records/Accounts/(\d+))", text)
        contact = re.search(r"(http://\S+)/_sandbox/webhooks\s+# Xero's side: contact (\S+)", text)
        assert edit and contact, text
        httpx.patch(edit[1], json={"Account_Name": "Renamed by webhook Ltd"}).raise_for_status()
        xero = _Xero(contact[1])
        assert xero.wait_for_name(contact[2], "Renamed by webhook Ltd", timeout=45)
        # And back: a name changed in Xero reaches the CRM through Xero's signed webhook.
        xero.rename(contact[2], "Renamed in Xero Ltd")
        assert _crm_account_name(edit[1], "Renamed in Xero Ltd", timeout=45)

        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, text + rest
        assert "Stopped." in rest
        with pytest.raises(httpx.TransportError):
            httpx.get(health[1], timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError("the demo did not start serving:\n" + "\n".join(lines))


class _Xero:
    """The Xero sandbox's API as a person's other app would call it."""

    def __init__(self, base: str) -> None:
        grant = httpx.post(f"{base}/_sandbox/tokens").raise_for_status().json()
        self.api = f"{base}/api.xro/2.0"
        self.headers = {
            "Authorization": f"Bearer {grant['access_token']}",
            "Xero-tenant-id": grant["tenant_id"],
            "Accept": "application/json",
        }

    def wait_for_name(self, contact_id: str, name: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = httpx.get(f"{self.api}/Contacts/{contact_id}", headers=self.headers)
            if answer.status_code == 200 and answer.json()["Contacts"][0]["Name"] == name:
                return True
            time.sleep(0.5)
        return False

    def rename(self, contact_id: str, name: str) -> None:
        body = {"Contacts": [{"ContactID": contact_id, "Name": name}]}
        answer = httpx.post(f"{self.api}/Contacts/{contact_id}", headers=self.headers, json=body)
        assert answer.status_code == 200, answer.text


def _crm_account_name(record_url: str, name: str, timeout: float) -> bool:
    listing, _, record_id = record_url.rpartition("/")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = httpx.get(listing).raise_for_status().json()["data"]
        found = next((r for r in records if str(r["id"]) == record_id), None)
        if found is not None and found.get("Account_Name") == name:
            return True
        time.sleep(0.5)
    return False
