"""API calls per connector: what each connector spends against the API's minimum and a naive client.

For 1,000 and 10,000 records per system, through each real connector against its emulator
(in process, the vendors' limits on a virtual clock so waiting costs nothing), the emulator's
call ledger counts the calls for: creating the records, updating them, reading them all back
through the change feed (Zoho CRM adds one field-metadata call, once per connector), and looking
them all up by key. The minimum is what the API's largest
batch and page sizes allow; the naive client spends one call per record for each step. Writes
``bench/results/api_calls.json``.

    uv run python bench/api_calls.py [--sizes 1000 10000] [--naive-max 2000]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "api_calls.json"
sys.path.insert(0, str(ROOT))


@dataclass
class System:
    name: str
    connector: Any
    module: str
    fields: Callable[[int], dict[str, Any]]
    key_field: str
    key: Callable[[int], str]
    update_field: str
    calls: Callable[[], int]
    # The API's largest write batch and page (the minimum's divisors), and keys per lookup call
    # as the vendor documents them.
    batch: int
    page: int
    lookup_minimum: Callable[[int], int]
    lookup_basis: str


@contextmanager
def xero_system() -> Iterator[System]:
    from tests.integration.connectors.xero.emulator import xero

    from ledgerbridge.sandbox.core.transport import InProcessTransport

    with xero() as world:
        http = world.client(InProcessTransport(world.app))  # no spec check: it is slow at scale
        conn = world.connector(http=http)
        yield System(
            name="xero",
            connector=conn,
            module="Contacts",
            fields=lambda i: {"Name": f"Bench Co {i}", "EmailAddress": f"b{i}@example.com"},
            key_field="Name",
            key=lambda i: f"Bench Co {i}",
            update_field="EmailAddress",
            calls=lambda: world.ledger.total("xero"),
            batch=50,
            page=1000,
            lookup_minimum=lambda n: math.ceil(n / 40),
            lookup_basis="Xero documents no 'where' limit but warns that long filters time "
            "out; 40 terms per call keeps the query under 2 KB",
        )


@contextmanager
def zoho_crm_system() -> Iterator[System]:
    from tests.contract.connectors.subjects.zoho_crm import crm_world

    with crm_world(validate=False) as world:
        yield System(
            name="zoho_crm",
            connector=world.crm,
            module="Contacts",
            fields=lambda i: {"Last_Name": f"Bench {i}", "Email": f"b{i}@example.com"},
            key_field="Email",
            key=lambda i: f"b{i}@example.com",
            update_field="First_Name",
            calls=world.ledger.total,
            batch=100,
            page=200,
            lookup_minimum=lambda n: math.ceil(n / 50) + math.ceil(n / 100),
            lookup_basis="COQL 'in' takes 50 values per query but answers ids and plain fields "
            "only, so whole records take one more read per 100 ids",
        )


@contextmanager
def zoho_books_system() -> Iterator[System]:
    from tests.contract.connectors.subjects.zoho_books import books_world

    # The emulator's limits are off here: 10,000 single-record writes alone exceed Books'
    # daily limit of the largest plan, so the run would only measure the wait for the reset.
    with books_world(limits=False) as world:
        world.clock.unfreeze()
        yield System(
            name="zoho_books",
            connector=world.connector,
            module="contacts",
            fields=lambda i: {"contact_name": f"Bench Co {i}", "email": f"b{i}@example.com"},
            key_field="contact_name",
            key=lambda i: f"Bench Co {i}",
            update_field="email",
            calls=world.ledger.total,
            batch=1,
            page=200,
            lookup_minimum=lambda n: math.ceil(n / 200),
            lookup_basis="no multi-value filter: one read of the whole module, 200 per page",
        )


SYSTEMS: dict[str, Callable[[], Any]] = {
    "xero": xero_system,
    "zoho_crm": zoho_crm_system,
    "zoho_books": zoho_books_system,
}


def _measure(system: System, n: int, offset: int, naive: bool) -> dict[str, int]:
    from ledgerbridge.domain.records import Draft, Patch

    conn, module = system.connector, system.module
    used: dict[str, int] = {}
    ids: list[str] = []

    def count(step: str, work: Callable[[], None]) -> None:
        before = system.calls()
        work()
        used[step] = system.calls() - before

    def create() -> None:
        drafts = [Draft(ref=str(i), fields=system.fields(offset + i)) for i in range(n)]
        if naive:
            results = [r for d in drafts for r in conn.create_many(module, [d])]
        else:
            results = conn.create_many(module, drafts)
        ids.extend(r.id for r in results if r.ok and r.id)
        assert len(ids) == n, f"{system.name}: {n - len(ids)} creates failed"

    def update() -> None:
        patches = [
            Patch(id=rid, fields={system.update_field: f"u{j}@example.com"})
            for j, rid in enumerate(ids)
        ]
        if naive:
            results = [r for p in patches for r in conn.update_many(module, [p])]
        else:
            results = conn.update_many(module, patches)
        assert all(r.ok for r in results), f"{system.name}: updates failed"

    def read() -> None:
        if naive:
            got = [r for rid in ids for r in conn.get_many(module, [rid])]
        else:
            mine = set(ids)
            got = [
                r for page in conn.read_changes(module, None) for r in page.records if r.id in mine
            ]
        assert len({r.id for r in got}) == n, f"{system.name}: read {len(got)} of {n}"

    def lookup() -> None:
        keys = [system.key(offset + i) for i in range(n)]
        if naive:
            found = [r for k in keys for r in conn.find_many(module, system.key_field, [k])]
        else:
            found = conn.find_many(module, system.key_field, keys)
        assert {r.id for r in found} >= set(ids), f"{system.name}: lookups missed records"

    count("create", create)
    count("update", update)
    count("read", read)
    count("lookup", lookup)
    return used


def run(names: list[str], sizes: list[int], naive_max: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        out[name] = {}
        for n in sizes:
            with SYSTEMS[name]() as system:
                t0 = time.perf_counter()
                used = _measure(system, n, 0, naive=False)
                seconds = time.perf_counter() - t0
                minimum = {
                    "create": math.ceil(n / system.batch),
                    "update": math.ceil(n / system.batch),
                    "read": math.ceil(n / system.page),
                    "lookup": system.lookup_minimum(n),
                }
            # The naive client costs one call per record and step. It runs on a fresh system
            # (its calls alone would spend Xero's 5,000-call day at 10,000 records), on up to
            # ``naive_max`` records, and is scaled to n.
            naive_n = min(n, naive_max)
            with SYSTEMS[name]() as fresh:
                naive = _measure(fresh, naive_n, 0, naive=True)
            naive_scaled = {k: round(v * n / naive_n) for k, v in naive.items()}
            batched = used["create"] + used["update"] + used["read"]
            batched_min = minimum["create"] + minimum["update"] + minimum["read"]
            row = {
                "records": n,
                "used": used,
                "minimum": minimum,
                "naive_measured_on": naive_n,
                "naive": naive_scaled,
                "ratio_to_minimum": {k: round(used[k] / minimum[k], 3) for k in used if minimum[k]},
                "writes_and_reads_ratio_to_minimum": round(batched / batched_min, 3),
                "total_used": sum(used.values()),
                "total_minimum": sum(minimum.values()),
                "total_naive": sum(naive_scaled.values()),
                "lookup_minimum_basis": system.lookup_basis,
                "naive_days_of_xero_budget": (
                    round(sum(naive_scaled.values()) / 5000, 1) if name == "xero" else None
                ),
                "seconds": round(seconds, 2),
            }
            print(json.dumps({name: row}), flush=True)
            out[name][str(n)] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", nargs="*", default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument("--sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--naive-max", type=int, default=1000)
    args = parser.parse_args()
    results = run(args.systems, args.sizes, args.naive_max)
    if RESULTS.exists():
        # A run of some systems keeps the others' figures.
        results = {**json.loads(RESULTS.read_text(encoding="utf-8")), **results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
