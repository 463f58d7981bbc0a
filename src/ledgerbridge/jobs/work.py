"""The job functions both runners execute: a sync run, single-record syncs, due schedules.

The in-process runner calls them from its threads; the Procrastinate tasks call them from
worker processes. Requests travel as JSON-safe dicts between processes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.config import Direction
from ledgerbridge.domain.errors import ConfigError, RetriableError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunKind
from ledgerbridge.engine.model import RunReport, SyncRequest, Window, WindowKind
from ledgerbridge.jobs import schedule
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.store import IntegrationRow, IntegrationState

log = logging.getLogger(__name__)


def request_to_dict(request: SyncRequest) -> dict[str, Any]:
    return {**request.as_dict(), "kind": request.kind.value}


def request_from_dict(data: Mapping[str, Any]) -> SyncRequest:
    try:
        kind = WindowKind(data.get("window", WindowKind.SINCE_LAST.value))
        return SyncRequest(
            flows=tuple(str(f) for f in data.get("flows", ())),
            direction=Direction(data.get("direction", Direction.BOTH.value)),
            window=Window(kind, data.get("days"), _moment(data.get("until"))),
            dry_run=bool(data.get("dry_run", False)),
            kind=RunKind(data.get("kind", RunKind.MANUAL.value)),
            email_summary=bool(data.get("email_summary", False)),
        )
    except ValueError as exc:
        raise ConfigError(f"a queued sync request is not valid ({exc}): {dict(data)}") from exc


def _moment(raw: Any) -> datetime | None:
    return None if raw is None else datetime.fromisoformat(str(raw))


def change_to_dict(change: RecordChange) -> dict[str, str]:
    return {"flow": change.flow, "side": change.side.value, "record_id": change.record_id}


def change_from_dict(data: Mapping[str, Any]) -> RecordChange:
    return RecordChange(str(data["flow"]), Side(data["side"]), str(data["record_id"]))


def merge_changes(*groups: Iterable[RecordChange]) -> list[RecordChange]:
    """The changes of all groups in first-seen order, each record once."""
    seen: dict[RecordChange, None] = {}
    for group in groups:
        for change in group:
            seen.setdefault(change, None)
    return list(seen)


def may_run(row: IntegrationRow) -> bool:
    """A paused or disabled integration runs nothing; what changes meanwhile syncs later."""
    return row.state is IntegrationState.ACTIVE


def run_sync(app: App, integration_id: int, request: SyncRequest) -> RunReport | None:
    """Run one sync of the integration; ``None`` when its state says not to run now."""
    row = app.store.integrations.get_by_id(integration_id)
    if not may_run(row):
        log.info("integration %s is %s: %s run skipped", row.name, row.state, request.kind)
        return None
    try:
        report = app.engine.run(row, app.systems(row), request)
    finally:
        app.release(row)
    log.info("integration %s: %s run %s", row.name, request.kind, report.status)
    if report.retriable:
        # The run is on record as failed; raising lets the queue try it again with backoff.
        raise RetriableError(report.error or f"run of integration {row.name} failed")
    return report


def run_records(app: App, integration_id: int, changes: Sequence[RecordChange]) -> list[RunReport]:
    """Sync each changed record (none while the integration is paused or disabled)."""
    row = app.store.integrations.get_by_id(integration_id)
    if not may_run(row):
        log.info("integration %s is %s: %d record syncs skipped", row.name, row.state, len(changes))
        return []
    reports: list[RunReport] = []
    try:
        systems = app.systems(row)
        for change in merge_changes(changes):
            reports.append(
                app.engine.sync_record(row, systems, change.flow, change.side, change.record_id)
            )
    finally:
        app.release(row)
    return reports


@dataclass(frozen=True, slots=True)
class DueRun:
    integration_id: int
    name: str
    request: SyncRequest


def due_runs(app: App, now: datetime) -> list[DueRun]:
    """The scheduled runs due at ``now``, for integrations that may run them.

    A schedule counts from the integration's last scheduled run, or from when the integration
    last changed when it has none. An integration whose stored schedule is broken is logged and
    left out, so one bad schedule does not stop the others.
    """
    due: list[DueRun] = []
    for row in app.store.integrations.list():
        if not row.schedule.enabled or not may_run(row):
            continue
        anchor = app.store.runs.last_started(row.id, RunKind.SCHEDULED) or row.updated_at
        try:
            if schedule.is_due(row.schedule, anchor, now):
                due.append(DueRun(row.id, row.name, schedule.scheduled_request(row.schedule)))
        except ConfigError as exc:
            log.error("integration %s: schedule not followed: %s", row.name, exc)
    return due
