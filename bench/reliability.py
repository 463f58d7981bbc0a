"""Crash consistency at full size: ``ledgerbridge sync`` SIGKILLed at random moments.

For each database (SQLite, PostgreSQL, each in its own process, side by side): the Zoho CRM
and Xero emulators are seeded with about 5,000 records of every module the zoho_xero recipe
syncs (accounts, contacts, vendors, products, invoices, purchase orders) and served over
loopback HTTP without their rate limits (crash consistency is under test here, not rate
limiting, which the sandbox contract tests cover). A reference sync runs uninterrupted. Then
each trial seeds an identical world, starts the sync as a real subprocess, kills it with SIGKILL
at a random moment, restarts it and kills it again (``--kills-per-trial`` times), restarts it
until a run completes, and compares the end state with the reference: both emulators and the
binding table, ids replaced by what they point at. A trial passes when the states are equal and
there is no duplicate on either side.

Kill points are stratified over the whole uninterrupted duration. Only kills that landed (the
process was still running) count: a start that finished before its kill point is drawn again,
until ``--kill-points`` kills have landed per database. With ``--finish-by`` (UTC, HH:MM) a
trial is started only if it is expected to end by then. Each database's figures so far are
written next to ``bench/results/reliability.json`` after every trial, merged into it at the end.

    uv run python bench/reliability.py [--records 5000] [--kill-points 30] [--kills-per-trial 5]
                                       [--db sqlite --db postgres] [--seed N] [--finish-by HH:MM]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "reliability.json"
sys.path.insert(0, str(ROOT))

# Seeded records per unit of the generator's count, across Zoho CRM and Xero (measured).
RECORDS_PER_UNIT = 5.8


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "src", "tests", "bench"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' (with uncommitted changes)' if dirty else ''}"


def run_database(
    kind: str,
    count: int,
    wanted: int,
    per_trial: int,
    seed: int,
    stop_by: float | None,
    partial: Path,
) -> dict[str, Any]:
    """Reference, then trials until ``wanted`` kills landed (or ``stop_by``); the figures."""
    from tests.fixtures.db import create_pg_schema
    from tests.reliability.crash import EARLIEST_KILL, kill_points, reference, trial

    rng = random.Random(f"{seed}-{kind}")
    with tempfile.TemporaryDirectory(prefix=f"lb-crash-{kind}-") as tmp:
        root = Path(tmp)
        started = time.monotonic()
        ref = reference(kind, root, 1, count, create_pg_schema)
        print(f"{kind}: {ref.records} records, uninterrupted sync {ref.seconds:.1f} s", flush=True)
        pending = kill_points(rng, ref, wanted)
        trials: list[dict[str, Any]] = []
        landed = 0
        drawn = len(pending)
        stopped_early = False
        doc: dict[str, Any] = {}
        while landed < wanted:
            n = min(per_trial, wanted - landed)
            # a trial takes about n killed starts of half a sync each plus a full run and one more
            expected = max([t["trial_seconds"] for t in trials] or [ref.seconds * (n / 2 + 1.5)])
            if stop_by is not None and time.time() + 1.2 * expected > stop_by:
                stopped_early = True
                break
            while len(pending) < n:
                # a kill that missed is drawn again, anywhere in the duration
                pending.append(round(rng.uniform(EARLIEST_KILL, ref.seconds), 2))
                drawn += 1
            kills, pending = pending[:n], pending[n:]
            trial_started = time.monotonic()
            result = trial(kind, root, 1, count, ref, kills, create_pg_schema)
            landed += result.killed
            applied = [a.kill_at for a in result.attempts if a.kill_at is not None]
            trials.append(
                {
                    "kill_points_drawn_seconds": kills,
                    # as applied: a point past the end of a quicker start is brought in
                    "kill_points_applied_seconds": applied,
                    "killed_at_seconds": [round(a.seconds, 2) for a in result.attempts if a.killed],
                    "kills_landed": result.killed,
                    "starts": len(result.attempts),
                    "seconds_per_start": [round(a.seconds, 2) for a in result.attempts],
                    "trial_seconds": round(time.monotonic() - trial_started, 1),
                    "passed": result.passed,
                    "differences": result.differences[:5],
                    "duplicates": result.duplicates[:20],
                }
            )
            verdict = "pass" if result.passed else "FAIL"
            print(
                f"  {kind} trial {len(trials)}: kills at {kills}: {result.killed} landed "
                f"({landed}/{wanted}), {verdict}, {trials[-1]['trial_seconds']} s",
                flush=True,
            )
            doc = _database_doc(ref, trials, landed, wanted, drawn, started, stopped_early)
            partial.write_text(json.dumps(doc, indent=2) + "\n")
        doc = _database_doc(ref, trials, landed, wanted, drawn, started, stopped_early)
        partial.write_text(json.dumps(doc, indent=2) + "\n")
        return doc


def _database_doc(
    ref: Any,
    trials: list[dict[str, Any]],
    landed: int,
    wanted: int,
    drawn: int,
    started: float,
    stopped_early: bool,
) -> dict[str, Any]:
    return {
        "records": ref.records,
        "uninterrupted_sync_seconds": round(ref.seconds, 2),
        "kill_points_wanted": wanted,
        "kill_points_drawn": drawn,
        "kill_points_landed": landed,
        "kill_points_applied": [k for t in trials for k in t["kill_points_applied_seconds"]],
        "trials_run": len(trials),
        "trials_passed": sum(1 for t in trials if t["passed"]),
        "trials": trials,
        "passed": bool(trials) and all(t["passed"] for t in trials) and landed >= wanted,
        "stopped_early_at_finish_by": stopped_early,
        "wall_seconds": round(time.monotonic() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--kill-points", type=int, default=30, help="landed, per database")
    parser.add_argument("--kills-per-trial", type=int, default=5)
    parser.add_argument("--db", action="append", choices=("sqlite", "postgres"))
    parser.add_argument("--seed", type=int, default=None, help="of the kill points")
    parser.add_argument("--finish-by", default=None, help="UTC HH:MM: no trial ending later")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    count = max(1, round(args.records / RECORDS_PER_UNIT))
    stop_by: float | None = None
    if args.finish_by:
        hour, minute = (int(p) for p in args.finish_by.split(":"))
        stop_by = datetime.now(UTC).replace(hour=hour, minute=minute, second=0).timestamp()
    kinds = args.db or ["sqlite", "postgres"]
    commit = _commit()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    partials = {k: args.output.with_name(f".{args.output.stem}.{k}.partial.json") for k in kinds}
    # one process per database: each runs its own emulators and sync subprocesses
    with ProcessPoolExecutor(
        max_workers=len(kinds), mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        futures = {
            k: pool.submit(
                run_database,
                k,
                count,
                args.kill_points,
                args.kills_per_trial,
                seed,
                stop_by,
                partials[k],
            )
            for k in kinds
        }
        databases: dict[str, Any] = {}
        for kind, future in futures.items():
            try:
                databases[kind] = future.result()
            except Exception as exc:
                # recorded, so the other database's figures are kept
                last = partials[kind].read_text() if partials[kind].exists() else "{}"
                databases[kind] = {**json.loads(last), "passed": False, "error": repr(exc)}
            partials[kind].unlink(missing_ok=True)
    all_passed = all(d["passed"] for d in databases.values())
    result_doc = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "started_at": started_at,
        "commit": commit,
        "setup": {
            "systems": "Zoho CRM and Xero emulators on loopback HTTP",
            "rate_limits": "off: the emulators run without Xero's 60 calls a minute and Zoho "
            "CRM's credit limits; crash consistency is under test, rate limiting is covered "
            "by the sandbox contract tests",
            "recipe": "zoho_xero with every flow on (vendors and purchase orders included)",
            "process": "ledgerbridge sync as a subprocess, SIGKILL at random moments, "
            "restarted and killed again up to kills_per_trial times, then run to completion "
            "and once more",
            "kill_points": "stratified over the uninterrupted sync's duration; a kill that "
            "missed (the start ended first) is drawn again until the wanted number landed",
            "records_requested": args.records,
            "generator_count": count,
            "kills_per_trial": args.kills_per_trial,
            "kill_seed": seed,
            "databases_run": "side by side, one process each",
            "compared": "both emulators' records and the binding table, ids normalised",
        },
        "databases": databases,
        "passed": all_passed,
    }
    args.output.write_text(json.dumps(result_doc, indent=2) + "\n")
    print(f"{'passed' if all_passed else 'FAILED'}; written to {args.output}")
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
