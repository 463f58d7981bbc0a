"""Engine benchmark: initial and incremental syncs between two in-memory connectors.

Writes ``bench/results/engine.json``. Each scenario runs in its own process so its peak RSS is
its own. The naive way (one store statement and one API call per record: batch sizes of 1) runs
in the same invocation on a smaller set, for comparison.

    uv run python bench/engine.py [--records 100000] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "engine.json"


def _flow() -> Any:
    from ledgerbridge.domain.config import FieldRule, FlowConfig, KeyKind, MatchKey

    return FlowConfig(
        name="contacts",
        crm_module="Contacts",
        books_module="Contacts",
        match_keys=(MatchKey(crm="Code", books="AccountNumber", kind=KeyKind.CODE),),
        fields=(
            FieldRule(crm="Name", books="Name"),
            FieldRule(crm="Email", books="EmailAddress"),
            FieldRule(crm="Phone", books="Phone"),
            FieldRule(crm="City", books="City"),
            FieldRule(crm="Code", books="AccountNumber"),
        ),
    )


def _world(db: str, tmp: Path, batch: int) -> Any:
    from ledgerbridge.connectors.base import Capabilities
    from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
    from ledgerbridge.domain.config import IntegrationConfig
    from ledgerbridge.engine.model import Systems
    from ledgerbridge.engine.sync import SyncEngine
    from ledgerbridge.store import SecretBox, Store, sqlite_url

    if db == "postgres":
        sys.path.insert(0, str(ROOT))
        from tests.fixtures.db import create_pg_schema

        url, drop = create_pg_schema()
    else:
        url, drop = sqlite_url(tmp), (lambda: None)
    store = Store.open(url, SecretBox([SecretBox.generate_key()]))
    store.connections.add("crm", "memory", {}, {})
    store.connections.add("books", "memory", {}, {})
    integration = store.integrations.create(
        IntegrationConfig(
            name="bench", crm_connection="crm", books_connection="books", flows=(_flow(),)
        )
    )
    clock = TickingClock(step=timedelta(microseconds=50))
    caps = Capabilities(
        page_size=1000 if batch > 1 else 1,
        batch_size=batch,
        lookup_batch=batch,
        idempotency=True,
        webhooks=False,
    )
    crm = MemoryConnector("crm", clock=clock, capabilities=caps, normalize=None)
    books = MemoryConnector("books", clock=clock, capabilities=caps, normalize=None)
    engine = SyncEngine(store, clock=clock)
    return store, integration, crm, books, engine, Systems(crm, books), clock, drop


def _seed(crm: Any, n: int) -> list[str]:
    ids = []
    for i in range(n):
        rec = crm.put(
            "Contacts",
            {
                "Name": f"Customer {i}",
                "Email": f"c{i}@example.com",
                "Phone": f"+1 555 {i:07d}",
                "City": "Springfield",
                "Code": f"C{i:07d}",
            },
        )
        ids.append(rec.id)
    return ids


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scenario_initial(n: int, db: str, batch: int) -> dict[str, Any]:
    from ledgerbridge.engine.model import SyncRequest
    from ledgerbridge.store import StatementCounter

    with tempfile.TemporaryDirectory() as tmp:
        store, integ, crm, books, engine, systems, _clock, drop = _world(db, Path(tmp), batch)
        _seed(crm, n)
        rss_before = _rss_mb()
        with StatementCounter(store.engine) as counter:
            t0 = time.perf_counter()
            report = engine.run(integ, systems, SyncRequest())
            elapsed = time.perf_counter() - t0
        created = report.counts.total(
            __import__("ledgerbridge.domain.runs", fromlist=["Outcome"]).Outcome.CREATED
        )
        assert created == n, f"expected {n} created, got {created}"
        assert books.count("Contacts") == n
        calls = sum(crm.calls.values()) + sum(books.calls.values())
        store.close()
        drop()
    return {
        "records": n,
        "seconds": round(elapsed, 3),
        "records_per_second": round(n / elapsed),
        "statements": counter.count,
        "statements_per_record": round(counter.count / n, 4),
        "api_calls": calls,
        "peak_rss_mb": round(_rss_mb(), 1),
        "rss_before_sync_mb": round(rss_before, 1),
    }


def scenario_incremental(bindings: int, changes: int, db: str) -> dict[str, Any]:
    from ledgerbridge.domain.runs import Outcome
    from ledgerbridge.engine.model import SyncRequest
    from ledgerbridge.store import StatementCounter

    with tempfile.TemporaryDirectory() as tmp:
        store, integ, crm, books, engine, systems, clock, drop = _world(db, Path(tmp), 100)
        ids = _seed(crm, bindings)
        engine.run(integ, systems, SyncRequest())
        clock.advance(timedelta(minutes=5))
        engine.run(integ, systems, SyncRequest())  # settles echoes of the initial creates
        clock.advance(timedelta(minutes=5))
        step = max(1, bindings // changes)
        for i in range(0, step * changes, step):
            crm.edit("Contacts", ids[i], {"City": "Shelbyville"})
        crm.reset_calls()
        books.reset_calls()
        with StatementCounter(store.engine) as counter:
            t0 = time.perf_counter()
            report = engine.run(integ, systems, SyncRequest())
            elapsed = time.perf_counter() - t0
        updated = report.counts.total(Outcome.UPDATED)
        assert updated == changes, f"expected {changes} updated, got {updated}"
        calls = sum(crm.calls.values()) + sum(books.calls.values())
        store.close()
        drop()
    return {
        "bindings": bindings,
        "changes": changes,
        "seconds": round(elapsed, 3),
        "statements": counter.count,
        "api_calls": calls,
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def _child(args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"scenario {args} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--naive-records", type=int, default=5_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--child", nargs="*")
    args = parser.parse_args()
    if args.child is not None:
        kind, *rest = args.child
        if kind == "initial":
            out = scenario_initial(int(rest[0]), rest[1], int(rest[2]))
        else:
            out = scenario_incremental(int(rest[0]), int(rest[1]), rest[2])
        print(json.dumps(out))
        return
    n = args.records
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "database": args.db,
    }
    print(f"initial sync of {n} records ...", flush=True)
    results["initial"] = _child(["initial", str(n), args.db, "100"])
    print(json.dumps(results["initial"]), flush=True)
    print(f"naive initial sync of {args.naive_records} records (batch size 1) ...", flush=True)
    results["initial_naive"] = _child(["initial", str(args.naive_records), args.db, "1"])
    print(json.dumps(results["initial_naive"]), flush=True)
    small = max(1_000, n // 10)
    for size in (small, n):
        print(f"incremental run of 1000 changes among {size} bindings ...", flush=True)
        results[f"incremental_{size}"] = _child(["incremental", str(size), "1000", args.db])
        print(json.dumps(results[f"incremental_{size}"]), flush=True)
    inc_small, inc_big = results[f"incremental_{small}"], results[f"incremental_{n}"]
    results["targets"] = {
        "initial_records_per_second_at_least_5000": results["initial"]["records_per_second"]
        >= 5000,
        "peak_rss_under_400_mb": results["initial"]["peak_rss_mb"] < 400,
        "incremental_statements_independent_of_bindings": inc_small["statements"]
        == inc_big["statements"],
        "incremental_time_ratio_big_over_small": round(
            inc_big["seconds"] / inc_small["seconds"], 2
        ),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
