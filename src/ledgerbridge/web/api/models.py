"""What the REST API reads and answers, as pydantic models (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledgerbridge.domain.config import Direction
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunKind, RunStatus, RunSummary
from ledgerbridge.engine.model import SyncRequest, Window, WindowKind


class WindowIn(BaseModel):
    """Which changes a run reads: since the last run, the last ``days`` days, or everything."""

    model_config = ConfigDict(extra="forbid")

    kind: WindowKind = WindowKind.SINCE_LAST
    days: int | None = Field(default=None, ge=1, description="With kind `days`: 1 or more.")

    @model_validator(mode="after")
    def _days_with_kind(self) -> Self:
        if self.kind is WindowKind.DAYS and self.days is None:
            raise ValueError('kind "days" needs "days": a whole number, 1 or more')
        if self.kind is not WindowKind.DAYS and self.days is not None:
            raise ValueError(f'"days" goes with kind "days", not "{self.kind.value}"')
        return self

    def window(self) -> Window:
        return Window(self.kind, self.days)


class SyncIn(BaseModel):
    """A run to queue; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    flows: list[str] = Field(
        default_factory=list, description="Only these flows; empty: every enabled flow."
    )
    direction: Direction = Direction.BOTH
    window: WindowIn = Field(default_factory=WindowIn)
    email_summary: bool = Field(
        default=False, description="E-mail a summary to the integration's address afterwards."
    )

    def request(self) -> SyncRequest:
        return SyncRequest(
            flows=tuple(dict.fromkeys(self.flows)),
            direction=self.direction,
            window=self.window.window(),
            email_summary=self.email_summary,
        )


class SyncQueued(BaseModel):
    queued: Literal[True] = True
    integration: str
    flows: list[str]
    direction: Direction
    window: WindowIn
    email_summary: bool


class RecordQueued(BaseModel):
    queued: Literal[True] = True
    integration: str
    flow: str
    side: Side
    record_id: str


class RunOut(BaseModel):
    id: int
    integration: str
    kind: RunKind
    status: RunStatus
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    request: dict[str, Any]
    counts: dict[str, Any]
    error: str | None

    @classmethod
    def of(cls, run: RunSummary) -> RunOut:
        return cls(
            id=run.id,
            integration=run.integration,
            kind=run.kind,
            status=run.status,
            dry_run=run.dry_run,
            started_at=run.started_at,
            finished_at=run.finished_at,
            request=dict(run.request),
            counts=dict(run.counts),
            error=run.error,
        )


class RunItemOut(BaseModel):
    flow: str
    side: Side
    record_id: str
    partner_id: str | None
    outcome: Outcome
    reason: str
    label: str

    @classmethod
    def of(cls, item: RunItem) -> RunItemOut:
        return cls(
            flow=item.flow,
            side=item.side,
            record_id=item.record_id,
            partner_id=item.partner_id,
            outcome=item.outcome,
            reason=item.reason,
            label=item.label,
        )


class RunDetail(RunOut):
    notice: str | None
    items: list[RunItemOut]


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
