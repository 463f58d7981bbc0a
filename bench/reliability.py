"""Crash consistency at full size: ``ledgerbridge sync`` SIGKILLed at random moments.

For each database (SQLite, PostgreSQL): the Zoho CRM and Xero emulators are seeded with about
5,000 records of every module the zoho_xero recipe syncs (accounts, contacts, vendors,
products, invoices, purchase orders) and served over loopback HTTP. A reference sync runs
uninterrupted. Then each trial seeds an identical world, starts the sync as a real subprocess,
kills it with SIGKILL at a random moment (once per start, ``--kills-per-trial`` times), restarts
it until a run completes, and compares the end state with the reference: both emulators and the
binding table, ids replaced by what they point at. A trial passes when the states are equal
and there is no duplicate on either side.
Writes ``bench/results/reliability.json`` (kill points, outcome of every trial).

    uv run python bench/reliability.py [--records 5000] [--kill-points 30] [--kills-per-trial 3]
                                       [--db sqlite --db postgres] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "reliability.json"
sys.path.insert(0, str(ROOT))

# Seeded records per unit of the generator's count, across Zoho CRM and Xero (measured).
RECORDS_PER_UNIT = 5.8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--kill-points", type=int, default=30, help="per database")
    parser.add_argument("--kills-per-trial", type=int, default=3)
    parser.add_argument("--db", action="append", choices=("sqlite", "postgres"))
    parser.add_argument("--seed", type=int, default=None, help="of the kill points")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    from tests.fixtures.db import create_pg_schema
    from tests.reliability.crash import kill_points, reference, trial

    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    rng = random.Random(seed)
    count = max(1, round(args.records / RECORDS_PER_UNIT))
    databases: dict[str, Any] = {}
    all_passed = True
    for kind in args.db or ["sqlite", "postgres"]:
        with tempfile.TemporaryDirectory(prefix=f"lb-crash-{kind}-") as tmp:
            root = Path(tmp)
            started = time.monotonic()
            ref = reference(kind, root, 1, count, create_pg_schema)
            print(
                f"{kind}: {ref.records} records, uninterrupted sync {ref.seconds:.1f} s", flush=True
            )
            trials: list[dict[str, Any]] = []
            used = 0
            while used < args.kill_points:
                kills = kill_points(rng, ref, min(args.kills_per_trial, args.kill_points - used))
                result = trial(kind, root, 1, count, ref, kills, create_pg_schema)
                used += len(kills)
                trials.append(
                    {
                        # as applied: a point past the end of a quicker start is brought in
                        "kill_points_seconds": [
                            a.kill_at for a in result.attempts if a.kill_at is not None
                        ],
                        "killed_at_seconds": [
                            round(a.seconds, 2) for a in result.attempts if a.killed
                        ],
                        "killed": result.killed,
                        "starts": len(result.attempts),
                        "seconds_per_start": [round(a.seconds, 2) for a in result.attempts],
                        "passed": result.passed,
                        "differences": result.differences[:5],
                        "duplicates": result.duplicates[:20],
                    }
                )
                verdict = "pass" if result.passed else "FAIL"
                print(f"  kills at {kills}: {result.killed} killed, {verdict}", flush=True)
            passed = all(t["passed"] for t in trials)
            all_passed &= passed
            databases[kind] = {
                "records": ref.records,
                "uninterrupted_sync_seconds": round(ref.seconds, 2),
                "kill_points": [k for t in trials for k in t["kill_points_seconds"]],
                "kills_that_landed": sum(t["killed"] for t in trials),
                "trials": trials,
                "passed": passed,
                "wall_seconds": round(time.monotonic() - started, 1),
            }
    result_doc = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {
            "systems": "Zoho CRM and Xero emulators on loopback HTTP",
            "recipe": "zoho_xero with every flow on (vendors and purchase orders included)",
            "process": "ledgerbridge sync as a subprocess, SIGKILL at random moments",
            "records_requested": args.records,
            "kills_per_trial": args.kills_per_trial,
            "kill_seed": seed,
            "compared": "both emulators' records and the binding table, ids normalised",
        },
        "databases": databases,
        "passed": all_passed,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result_doc, indent=2) + "\n")
    print(f"{'passed' if all_passed else 'FAILED'}; written to {args.output}")
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
