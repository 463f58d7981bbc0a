"""Webhook latency: how long a change made in one system takes to show in the other.

The Zoho CRM and Xero emulators are served on loopback with their rate limits on; ledgerbridge
runs as ``serve`` does (the web app and the in-process job runner) with real connectors over
HTTP, a Zoho CRM notification channel and Xero webhooks pointed at it. A person makes changes
one after another: accounts created and edited in the CRM, contacts edited in Xero. A new
account costs a few Xero calls (a lookup by name, the create), so the pause between changes
(default 2.5 s) keeps close to Xero's 60 calls a minute: about once a minute a change still waits
a few seconds for the next minute's calls (the slowest figures); with a pause of 1 s such a
change waits half a minute, which says nothing about webhooks. Each
latency runs from the change in one emulator until the other emulator holds the new value. The
polling alternative (the two-hour schedule of the products ledgerbridge replaces) is reported as
its expected delay, not measured.
Writes ``bench/results/latency.json``.

    uv run python bench/latency.py [--crm-changes 100] [--xero-changes 40] [--pause 2.5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latency.json"
sys.path.insert(0, str(ROOT))

TARGET_P95_SECONDS = 5.0
POLLING_INTERVAL_SECONDS = 2 * 60 * 60
TIMEOUT_SECONDS = 60.0


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summary(latencies: list[float]) -> dict[str, Any]:
    return {
        "count": len(latencies),
        "p50_seconds": round(percentile(latencies, 0.50), 3),
        "p95_seconds": round(percentile(latencies, 0.95), 3),
        "max_seconds": round(max(latencies), 3),
        "mean_seconds": round(statistics.fmean(latencies), 3),
        "over_target": sum(1 for v in latencies if v >= TARGET_P95_SECONDS),
    }


def arrival(found: Callable[[], bool], started: float) -> float:
    while not found():
        if time.monotonic() - started > TIMEOUT_SECONDS:
            raise RuntimeError(f"a change did not arrive within {TIMEOUT_SECONDS} s")
        time.sleep(0.01)
    return time.monotonic() - started


def run(crm_changes: int, xero_changes: int, pause: float) -> dict[str, Any]:
    from tests.integration.web.live import (
        accounts_config,
        application,
        connect,
        emulators,
        hook_up,
        web,
    )

    from ledgerbridge.jobs.local import LocalRunner

    def contact_named(name: str) -> dict[str, Any] | None:
        found = emu.xero.query("contacts", where=f'Name=="{name}"').records
        return found[0] if found else None

    crm_latencies: list[float] = []
    xero_latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, emulators() as emu:
        app = application(Path(tmp), coalesce=0.2)
        runner = LocalRunner(app, workers=2, tick=None)
        try:
            connect(app, emu)
            app.store.integrations.create(accounts_config())
            runner.start()
            with web(app, runner) as site:
                hook_up(site, emu)
                accounts: list[tuple[str, str]] = []
                for i in range(crm_changes):
                    # Every third change edits an account made earlier; the rest create one.
                    if i % 3 == 2 and accounts:
                        account_id, name = accounts[i % len(accounts)]
                        number = f"E-{i}"
                        started = time.monotonic()
                        emu.crm.edit("Accounts", account_id, {"Account_Number": number})
                        crm_latencies.append(
                            arrival(
                                lambda n=name, v=number: (
                                    (contact_named(n) or {}).get("AccountNumber") == v
                                ),
                                started,
                            )
                        )
                    else:
                        name = f"Latency Account {i:04d}"
                        started = time.monotonic()
                        made = emu.crm.create(
                            "Accounts", {"Account_Name": name, "Account_Number": f"C-{i}"}
                        )
                        crm_latencies.append(
                            arrival(lambda n=name: contact_named(n) is not None, started)
                        )
                        accounts.append((str(made["id"]), name))
                    print(f"crm change {i + 1}: {crm_latencies[-1]:.3f} s", flush=True)
                    time.sleep(pause)
                for i in range(xero_changes):
                    account_id, name = accounts[i % len(accounts)]
                    contact = contact_named(name)
                    assert contact is not None
                    number = f"X-{i}"
                    started = time.monotonic()
                    emu.xero.edit_contact(contact["ContactID"], AccountNumber=number)
                    xero_latencies.append(
                        arrival(
                            lambda a=account_id, v=number: (
                                (emu.crm.get("Accounts", a) or {}).get("Account_Number") == v
                            ),
                            started,
                        )
                    )
                    print(f"xero change {i + 1}: {xero_latencies[-1]:.3f} s", flush=True)
                    time.sleep(pause)
        finally:
            runner.stop(timeout=30)
            app.close()
    every = crm_latencies + xero_latencies
    overall = summary(every)
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {
            "systems": "Zoho CRM and Xero emulators on loopback HTTP, rate limits on",
            "runner": "web app and in-process job runner, as ledgerbridge serve runs them",
            "flow": "CRM Accounts <-> Xero Contacts, both ways",
            "coalesce_seconds": 0.2,
            "pause_between_changes_seconds": pause,
            "emulator_webhook_delay_seconds": {"zoho_crm": 0.05, "xero": 0.05},
        },
        "webhooks": {
            "all": overall,
            "zoho_crm_to_xero": summary(crm_latencies),
            **({"xero_to_zoho_crm": summary(xero_latencies)} if xero_latencies else {}),
        },
        "target_p95_seconds": TARGET_P95_SECONDS,
        "meets_target": overall["p95_seconds"] < TARGET_P95_SECONDS,
        "polling_alternative": {
            "interval_seconds": POLLING_INTERVAL_SECONDS,
            "expected_p50_seconds": POLLING_INTERVAL_SECONDS * 0.50,
            "expected_p95_seconds": POLLING_INTERVAL_SECONDS * 0.95,
            "expected_max_seconds": POLLING_INTERVAL_SECONDS,
            "basis": "expected, not measured: a change waits for the next run of a two-hour "
            "schedule, uniformly between 0 and 2 hours, plus the run itself",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crm-changes", type=int, default=100)
    parser.add_argument("--xero-changes", type=int, default=40)
    parser.add_argument("--pause", type=float, default=2.5)
    args = parser.parse_args()
    if args.crm_changes < 1:
        parser.error("--crm-changes must be 1 or more")
    results = run(args.crm_changes, args.xero_changes, args.pause)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results["webhooks"], indent=2))
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
