"""What callers hand the engine and what they get back."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from ledgerbridge.connectors.base import Connector
from ledgerbridge.domain.config import Direction
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunCounts, RunItem, RunKind, RunStatus

if TYPE_CHECKING:
    from ledgerbridge.store import IntegrationRow


class WindowKind(enum.StrEnum):
    SINCE_LAST = "since_last"  # incremental: from each flow's cursor
    DAYS = "days"  # the last N days (no cap)
    FULL = "full"  # the whole history


@dataclass(frozen=True, slots=True)
class Window:
    kind: WindowKind = WindowKind.SINCE_LAST
    days: int | None = None
    # With DAYS: only changes made up to this moment (a window that ends in the past). The
    # flows' cursors then stay where they were: later changes are still to be read.
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind is WindowKind.DAYS and (self.days is None or self.days < 1):
            raise ValueError("a window of days needs a whole number of days, 1 or more")
        if self.until is not None:
            if self.kind is not WindowKind.DAYS:
                raise ValueError("only a window of days can end before now")
            if self.until.utcoffset() is None:
                raise ValueError("a window's end needs a time zone")

    def describe(self) -> str:
        if self.kind is WindowKind.DAYS:
            if self.until is not None:
                return f"{self.days} days up to {self.until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            return f"last {self.days} days"
        return "full history" if self.kind is WindowKind.FULL else "since the last run"


@dataclass(frozen=True, slots=True)
class SyncRequest:
    flows: tuple[str, ...] = ()  # empty: every enabled flow
    direction: Direction = Direction.BOTH
    window: Window = field(default_factory=Window)
    dry_run: bool = False
    kind: RunKind = RunKind.MANUAL
    email_summary: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "flows": list(self.flows),
            "direction": self.direction.value,
            "window": self.window.kind.value,
            "days": self.window.days,
            "until": None if self.window.until is None else self.window.until.isoformat(),
            "dry_run": self.dry_run,
            "email_summary": self.email_summary,
        }


@dataclass(frozen=True, slots=True)
class Systems:
    """The two connectors of an integration."""

    crm: Connector
    books: Connector

    def on(self, side: Side) -> Connector:
        return self.crm if side is Side.CRM else self.books


class Progress(Protocol):
    """Callbacks for progress bars; every method is optional to act on."""

    def flow_started(self, flow: str, side: Side) -> None: ...

    def records_done(self, flow: str, side: Side, count: int) -> None: ...

    def flow_finished(self, flow: str) -> None: ...


class Notifier(Protocol):
    """Tells people how a run went (an e-mail summary); may raise, the run stands regardless."""

    def run_finished(self, integration: IntegrationRow, report: RunReport) -> None: ...


class NoProgress:
    def flow_started(self, flow: str, side: Side) -> None:
        return None

    def records_done(self, flow: str, side: Side, count: int) -> None:
        return None

    def flow_finished(self, flow: str) -> None:
        return None


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """One write a dry run would make."""

    flow: str
    action: str  # "create", "update", "link"
    target: Side
    target_id: str | None
    source: Side
    source_id: str
    label: str
    changes: tuple[FieldChange, ...]


@dataclass(slots=True)
class RunReport:
    """The outcome of one run (or, for a dry run, its plan)."""

    run_id: int | None
    status: RunStatus
    counts: RunCounts
    items: list[RunItem] = field(default_factory=list)
    planned: list[PlannedChange] = field(default_factory=list)
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    api_calls: Mapping[str, int] = field(default_factory=dict)
    notice: str | None = None  # e.g. a summary e-mail that could not be sent
    # The run stopped on a transient failure: the same request may succeed if tried again.
    retriable: bool = False
    # A waiting run (a daily limit was reached) can go on from this time.
    resume_at: datetime | None = None

    def total(self, outcome: Outcome) -> int:
        return self.counts.total(outcome)

    @property
    def failures(self) -> list[RunItem]:
        return [i for i in self.items if i.outcome is Outcome.FAILED]
