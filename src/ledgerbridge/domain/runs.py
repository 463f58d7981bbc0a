"""Runs and run items: what a sync did, record by record."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledgerbridge.domain.records import Side


class RunKind(enum.StrEnum):
    MANUAL = "manual"
    SCHEDULED = "scheduled"
    WEBHOOK = "webhook"
    SINGLE = "single"
    FETCH = "fetch"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"  # every record synced
    PARTIAL = "partial"  # finished, some records failed (see run items)
    FAILED = "failed"  # stopped by a fatal error
    INTERRUPTED = "interrupted"  # the process died; a re-run converges
    WAITING = "waiting"  # a daily limit was reached; resumes after the reset


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    LINKED = "linked"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    CONFLICT = "conflict"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RunItem:
    """What happened to one record in a run; ``reason`` is written for a person."""

    flow: str
    side: Side  # the side the record was read from
    record_id: str
    outcome: Outcome
    reason: str = ""
    partner_id: str | None = None
    label: str = ""  # a human name for the record (account name, invoice number)
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RunCounts:
    """Counts per flow, per side the record was read from, per outcome."""

    by_flow: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def add(self, flow: str, side: Side, outcome: Outcome, n: int = 1) -> None:
        sides = self.by_flow.setdefault(flow, {})
        outcomes = sides.setdefault(side.value, {})
        outcomes[outcome.value] = outcomes.get(outcome.value, 0) + n

    def total(self, outcome: Outcome) -> int:
        return sum(o.get(outcome.value, 0) for s in self.by_flow.values() for o in s.values())

    def as_dict(self) -> dict[str, dict[str, dict[str, int]]]:
        return {f: {s: dict(o) for s, o in sides.items()} for f, sides in self.by_flow.items()}


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    integration: str
    kind: RunKind
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    dry_run: bool
    request: Mapping[str, Any]
    counts: Mapping[str, Any]
    error: str | None = None
