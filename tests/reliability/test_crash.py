"""A ``ledgerbridge sync`` process SIGKILLed at random moments, restarted until it completes,
leaves exactly the end state of an uninterrupted sync: no duplicate, nothing lost.

The small version of ``make reliability`` (bench/reliability.py): ~300 records of every
module of the Zoho CRM + Xero recipe, three kills per database.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.fixtures.db import create_pg_schema
from tests.reliability.crash import Reference, kill_points, reference, trial

COUNT = 50  # ~300 seeded records across both systems
KILLS = 3


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """One uninterrupted sync on SQLite: the end state must not depend on the database either."""
    return reference("sqlite", tmp_path_factory.mktemp("reference"), 1, COUNT, create_pg_schema)


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_killed_sync_restarted_until_done_ends_as_an_uninterrupted_one(
    kind: str, tmp_path: Path, uninterrupted: Reference
) -> None:
    seed = int(os.environ.get("LEDGERBRIDGE_CRASH_SEED") or random.randrange(1_000_000))
    rng = random.Random(seed)
    ref = uninterrupted
    assert ref.records >= 250
    kills = kill_points(rng, ref, KILLS)
    result = trial(kind, tmp_path, 1, COUNT, ref, kills, create_pg_schema)
    context = f"kill points {kills} (LEDGERBRIDGE_CRASH_SEED={seed}), starts {result.attempts}"
    assert result.killed >= 1, f"no start was killed: {context}"
    assert not result.duplicates, f"{result.duplicates}; {context}"
    assert not result.differences, "\n".join([*result.differences, context])
