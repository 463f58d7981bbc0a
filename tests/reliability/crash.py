"""One crash-consistency trial: a reference sync and a killed-and-restarted sync of the same
seeded world, compared. Shared by the test and ``bench/reliability.py``."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ledgerbridge.store import SecretBox, sqlite_url
from tests.reliability.harness import (
    Attempt,
    Database,
    Snapshot,
    duplicates,
    prepare,
    run_to_completion,
    seeded_emulators,
    snapshot,
    world,
)

# A kill earlier than this lands before the process has done anything but start Python.
EARLIEST_KILL = 1.0


@dataclass
class Reference:
    snapshot: Snapshot
    seconds: float
    records: int


@dataclass
class Trial:
    kills: list[float]
    attempts: list[Attempt]
    differences: list[str]
    duplicates: list[str]
    killed: int = 0
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        self.killed = sum(1 for a in self.attempts if a.killed)
        self.passed = not self.differences and not self.duplicates


def make_database(
    kind: str, root: Path, pg_url: Callable[[], tuple[str, Callable[[], None]]]
) -> tuple[Database, Callable[[], None]]:
    """A fresh state database of ``kind`` ("sqlite" or "postgres") and its cleanup."""
    data = root / f"data-{secrets.token_hex(4)}"
    data.mkdir(parents=True)
    if kind == "sqlite":
        return Database(sqlite_url(data), data, SecretBox.generate_key()), lambda: None
    url, drop = pg_url()
    return Database(url, data, SecretBox.generate_key()), drop


def reference(
    kind: str,
    root: Path,
    seed: int,
    count: int,
    pg_url: Callable[[], tuple[str, Callable[[], None]]],
) -> Reference:
    """The end state of one uninterrupted sync, and how long the sync process ran."""
    seeded = world(seed, count)
    db, drop = make_database(kind, root, pg_url)
    try:
        with seeded_emulators(seeded) as emu:
            prepare(db, emu)
            attempts = run_to_completion(db, [], root / "reference.log")
            found = duplicates(emu, db)
            assert not found, f"the uninterrupted sync itself left duplicates: {found}"
            return Reference(
                snapshot(emu, db), attempts[0].seconds, seeded.crm.count() + seeded.xero.count()
            )
    finally:
        drop()


def kill_points(rng: random.Random, ref: Reference, n: int) -> list[float]:
    """``n`` moments over the reference sync's whole lifetime, one in each of ``n`` equal
    slices of it (so they cannot bunch up), in random order; one per process start."""
    latest = max(ref.seconds, EARLIEST_KILL + 1.0)
    width = (latest - EARLIEST_KILL) / max(n, 1)
    points = [
        round(rng.uniform(EARLIEST_KILL + i * width, EARLIEST_KILL + (i + 1) * width), 2)
        for i in range(n)
    ]
    rng.shuffle(points)
    return points


def trial(
    kind: str,
    root: Path,
    seed: int,
    count: int,
    ref: Reference,
    kills: list[float],
    pg_url: Callable[[], tuple[str, Callable[[], None]]],
) -> Trial:
    """Sync the same world with a SIGKILL at each of ``kills``, then to completion; compare."""
    db, drop = make_database(kind, root, pg_url)
    try:
        with seeded_emulators(world(seed, count)) as emu:
            prepare(db, emu)
            attempts = run_to_completion(db, kills, root / f"trial-{secrets.token_hex(3)}.log")
            return Trial(
                kills, attempts, snapshot(emu, db).differences(ref.snapshot), duplicates(emu, db)
            )
    finally:
        drop()
