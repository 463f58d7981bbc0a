"""Load: 50 integrations on PostgreSQL, two ``ledgerbridge worker`` processes, the web app
serving requests all the while.

Each integration pairs two in-memory systems saved to files (the ``memory`` system every
process opens), seeded with about 2,000 records (``seed_starter``), on the starter recipe. One
full sync of each is queued through the PostgreSQL job queue (Procrastinate), and two worker
processes run them. Meanwhile a client requests the web app's REST API pages (the integration
list, one integration, its runs) as fast as it gets answers. The bench checks that every
integration's run completed, that no integration ever had two runs at once (the run rows'
time ranges), and records the page times.
Writes ``bench/results/load.json``.

    uv run python bench/load.py [--integrations 50] [--records 2000] [--workers 2]
                                [--concurrency 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "load.json"
sys.path.insert(0, str(ROOT))

# seed_starter makes about 1.02 records (both systems together) per account at this size.
RECORDS_PER_ACCOUNT = 1.02
TIMEOUT_SECONDS = 1800.0
PORTAL_USER = "load@example.com"
PORTAL_PASSWORD = "a load-test portal password"  # noqa: S105 - a throwaway user of the bench
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def _page_times(pages: dict[str, list[float]]) -> dict[str, Any]:
    times = [t for found in pages.values() for t in found]
    if not times:
        return {"count": 0}
    return {
        "count": len(times),
        "p50_seconds": round(percentile(times, 0.5), 4),
        "p95_seconds": round(percentile(times, 0.95), 4),
        "max_seconds": round(max(times), 4),
        "by_page_p95_seconds": {k: round(percentile(v, 0.95), 4) for k, v in pages.items() if v},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=50)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="jobs per worker")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    import httpx
    from tests.fixtures.db import create_pg_schema

    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.connectors.memory import MemoryConnector
    from ledgerbridge.domain.runs import RunStatus
    from ledgerbridge.engine.model import SyncRequest, Window, WindowKind
    from ledgerbridge.jobs.queue import QueueDispatcher, apply_schema, make_queue
    from ledgerbridge.recipes.starter import starter_config
    from ledgerbridge.recipes.starter_seed import seed_starter
    from ledgerbridge.sandbox.core.transport import serve_in_thread
    from ledgerbridge.settings import Settings
    from ledgerbridge.store import SecretBox
    from ledgerbridge.web.api.problems import API_PREFIX
    from ledgerbridge.web.app import create_app

    url, drop = create_pg_schema()
    accounts = max(8, round(args.records / RECORDS_PER_ACCOUNT))
    workers: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="lb-load-") as tmp:
        data = Path(tmp) / "data"
        key = SecretBox.generate_key()
        env = {
            **os.environ,
            "LEDGERBRIDGE_DATABASE_URL": url,
            "LEDGERBRIDGE_DATA_DIR": str(data),
            "LEDGERBRIDGE_SECRET_KEY": key,
            "LEDGERBRIDGE_LOG_LEVEL": "WARNING",
        }
        os.environ["LEDGERBRIDGE_SECRET_KEY"] = key
        settings = Settings(data_dir=data, database_url=url)
        app = bootstrap(settings)
        queue = make_queue(settings)
        try:
            with queue.open():
                apply_schema(queue)
            started_seed = time.monotonic()
            ids: list[int] = []
            records = 0
            for i in range(args.integrations):
                name = f"org{i:03d}"
                for side in ("crm", "books"):
                    app.store.connections.add(f"{name}-{side}", "memory", {}, {})
                row = app.store.integrations.create(
                    starter_config(name, f"{name}-crm", f"{name}-books")
                )
                crm, books = app.connector(f"{name}-crm"), app.connector(f"{name}-books")
                assert isinstance(crm, MemoryConnector)
                assert isinstance(books, MemoryConnector)
                seed_starter(crm, books, seed=i, accounts=accounts)
                records += sum(len(c.all(t)) for c in (crm, books) for t in list(c._tables))
                app.release(row)
                ids.append(row.id)
            seed_seconds = time.monotonic() - started_seed
            print(f"seeded {args.integrations} integrations, {records} records", flush=True)

            token = app.store.tokens.create("load").secret
            app.store.users.create(PORTAL_USER, PORTAL_PASSWORD, admin=True)
            with queue.open():
                dispatcher = QueueDispatcher(queue)
                full = SyncRequest(window=Window(WindowKind.FULL))
                for iid in ids:
                    dispatcher.submit_sync(iid, full)
                server = serve_in_thread(create_app(app, dispatcher))
            logs = Path(tmp) / "logs"
            logs.mkdir()
            started = time.monotonic()
            for n in range(args.workers):
                log = (logs / f"worker-{n}.log").open("wb")
                workers.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "ledgerbridge",
                            "worker",
                            "--concurrency",
                            str(args.concurrency),
                        ],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
                log.close()

            pages: dict[str, list[float]] = {"list": [], "show": [], "runs": []}
            portal: dict[str, list[float]] = {"dashboard": [], "integration": [], "history": []}
            errors: list[str] = []
            stop = threading.Event()

            def browse() -> None:
                rng = random.Random(1)
                with httpx.Client(
                    base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
                ) as http:
                    for kind in itertools.cycle(pages):
                        if stop.is_set():
                            return
                        name = f"org{rng.randrange(args.integrations):03d}"
                        path = {
                            "list": f"{API_PREFIX}/integrations",
                            "show": f"{API_PREFIX}/integrations/{name}",
                            "runs": f"{API_PREFIX}/integrations/{name}/runs",
                        }[kind]
                        began = time.perf_counter()
                        answer = http.get(path)
                        pages[kind].append(time.perf_counter() - began)
                        if answer.status_code != 200:
                            errors.append(f"{path}: {answer.status_code}")

            def browse_portal() -> None:
                # A person in the portal: logged in once, then pages back to back.
                rng = random.Random(2)
                with httpx.Client(base_url=server.url, timeout=30) as http:
                    login = http.get("/login")
                    csrf = CSRF_META.search(login.text)
                    answer = http.post(
                        "/login",
                        data={
                            "email": PORTAL_USER,
                            "password": PORTAL_PASSWORD,
                            "csrf_token": csrf.group(1) if csrf else "",
                        },
                    )
                    if answer.status_code != 303:
                        errors.append(f"portal login: {answer.status_code}")
                        return
                    for kind in itertools.cycle(portal):
                        if stop.is_set():
                            return
                        name = f"org{rng.randrange(args.integrations):03d}"
                        path = {
                            "dashboard": "/",
                            "integration": f"/integrations/{name}",
                            "history": f"/history?integration={name}",
                        }[kind]
                        began = time.perf_counter()
                        answer = http.get(path)
                        portal[kind].append(time.perf_counter() - began)
                        if answer.status_code != 200:
                            errors.append(f"{path}: {answer.status_code}")

            browser = threading.Thread(target=browse, name="browse", daemon=True)
            browser.start()
            person = threading.Thread(target=browse_portal, name="portal", daemon=True)
            person.start()
            finished = {RunStatus.SUCCEEDED, RunStatus.PARTIAL}
            while True:
                runs = [app.store.runs.list(iid) for iid in ids]
                done = sum(1 for r in runs if r and all(x.status in finished for x in r))
                dead = [w.pid for w in workers if w.poll() is not None]
                if done == len(ids) or dead or time.monotonic() - started > TIMEOUT_SECONDS:
                    break
                time.sleep(1.0)
            sync_seconds = time.monotonic() - started
            stop.set()
            browser.join(timeout=60)
            person.join(timeout=60)
            server.stop()

            overlaps: list[str] = []
            incomplete: list[str] = []
            per_run: list[float] = []
            for iid, found in zip(ids, runs, strict=True):
                if not found or any(r.status not in finished for r in found):
                    incomplete.append(f"{iid}: {[(r.id, r.status.value, r.error) for r in found]}")
                ordered = sorted(found, key=lambda r: r.started_at)
                for a, b in itertools.pairwise(ordered):
                    if a.finished_at is None or a.finished_at > b.started_at:
                        overlaps.append(f"integration {iid}: runs {a.id} and {b.id}")
                per_run += [
                    (r.finished_at - r.started_at).total_seconds()
                    for r in found
                    if r.finished_at is not None
                ]
            all_pages = [t for times in pages.values() for t in times]
            result: dict[str, Any] = {
                "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "setup": {
                    "database": "PostgreSQL (machine's server), one schema",
                    "queue": "Procrastinate, one lock per integration",
                    "workers": args.workers,
                    "jobs_per_worker": args.concurrency,
                    "integrations": args.integrations,
                    "systems": "in-memory connectors saved to files (memory), starter recipe",
                    "records_total": records,
                    "records_per_integration": round(records / max(1, args.integrations)),
                    "web": "the web app in the bench process; one client requesting REST API "
                    "pages (integration list, one integration, its runs) back to back, and one "
                    "logged-in portal user requesting dashboard, integration and history pages "
                    "back to back",
                },
                "seed_seconds": round(seed_seconds, 1),
                "all_runs_seconds": round(sync_seconds, 1),
                "integrations_completed": sum(
                    1 for r in runs if r and all(x.status in finished for x in r)
                ),
                "incomplete": incomplete[:10],
                "runs_at_once_within_an_integration": overlaps[:10],
                "run_seconds": {
                    "median": round(statistics.median(per_run), 2) if per_run else None,
                    "max": round(max(per_run), 2) if per_run else None,
                },
                "pages": {
                    "count": len(all_pages),
                    "errors": errors[:10],
                    "p50_seconds": round(percentile(all_pages, 0.5), 4) if all_pages else None,
                    "p95_seconds": round(percentile(all_pages, 0.95), 4) if all_pages else None,
                    "max_seconds": round(max(all_pages), 4) if all_pages else None,
                    "by_page_p95_seconds": {
                        k: round(percentile(v, 0.95), 4) for k, v in pages.items() if v
                    },
                },
                "portal_pages": _page_times(portal),
            }
            result["passed"] = (
                result["integrations_completed"] == args.integrations
                and not overlaps
                and not errors
                and bool(portal["dashboard"])
            )
        finally:
            for w in workers:
                if w.poll() is None:
                    w.send_signal(signal.SIGTERM)
            for w in workers:
                try:
                    w.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    w.kill()
                    w.wait()
            app.close()
            drop()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(
        json.dumps(
            {
                k: result[k]
                for k in ("all_runs_seconds", "integrations_completed", "pages", "passed")
            },
            indent=2,
        )
    )
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
