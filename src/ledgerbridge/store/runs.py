"""Runs and their items: the sync history a person reads to see what happened and why."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunCounts, RunItem, RunKind, RunStatus, RunSummary
from ledgerbridge.store.tables import integrations, run_items, runs, utcnow

INTERRUPTED_ERROR = "the process running this sync stopped before it finished; run it again"

_SUMMARY = sa.select(
    runs.c.id,
    integrations.c.name.label("integration"),
    runs.c.kind,
    runs.c.status,
    runs.c.started_at,
    runs.c.finished_at,
    runs.c.dry_run,
    runs.c.request,
    runs.c.counts,
    runs.c.error,
).select_from(runs.join(integrations, integrations.c.id == runs.c.integration_id))

_ITEM_COLUMNS = (
    run_items.c.flow,
    run_items.c.side,
    run_items.c.record_id,
    run_items.c.outcome,
    run_items.c.reason,
    run_items.c.partner_id,
    run_items.c.label,
    run_items.c.detail,
)


def _summary(r: RowMapping) -> RunSummary:
    return RunSummary(
        id=r["id"],
        integration=r["integration"],
        kind=RunKind(r["kind"]),
        status=RunStatus(r["status"]),
        started_at=r["started_at"],
        finished_at=r["finished_at"],
        dry_run=bool(r["dry_run"]),
        request=r["request"],
        counts=r["counts"],
        error=r["error"],
    )


def _item(r: RowMapping) -> RunItem:
    return RunItem(
        flow=r["flow"],
        side=Side(r["side"]),
        record_id=r["record_id"],
        outcome=Outcome(r["outcome"]),
        reason=r["reason"],
        partner_id=r["partner_id"],
        label=r["label"],
        detail=r["detail"],
    )


class RunRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start(
        self, integration_id: int, kind: RunKind, request: Mapping[str, Any], dry_run: bool
    ) -> int:
        """Record a new RUNNING run; returns its id."""
        now = utcnow()
        with self._engine.begin() as conn:
            run_id: int = conn.execute(
                runs.insert()
                .values(
                    integration_id=integration_id,
                    kind=RunKind(kind).value,
                    status=RunStatus.RUNNING.value,
                    dry_run=dry_run,
                    request=dict(request),
                    counts={},
                    started_at=now,
                    heartbeat_at=now,
                )
                .returning(runs.c.id)
            ).scalar_one()
        return run_id

    def heartbeat(self, run_id: int, counts: RunCounts | None = None) -> None:
        """Mark the run as alive, so ``mark_interrupted`` can tell a live run from a dead one.

        ``counts`` so far are kept with it: a page in another process shows the run's progress.
        """
        values: dict[str, Any] = {"heartbeat_at": utcnow()}
        if counts is not None:
            values["counts"] = counts.as_dict()
        with self._engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(**values))

    def add_items(self, run_id: int, items: Sequence[RunItem]) -> None:
        if not items:
            return
        now = utcnow()
        rows = [
            {
                "run_id": run_id,
                "flow": i.flow,
                "side": Side(i.side).value,
                "record_id": i.record_id,
                "partner_id": i.partner_id,
                "outcome": Outcome(i.outcome).value,
                "reason": i.reason,
                "label": i.label,
                "detail": dict(i.detail),
                "created_at": now,
            }
            for i in items
        ]
        with self._engine.begin() as conn:
            conn.execute(run_items.insert(), rows)

    def finish(
        self,
        run_id: int,
        status: RunStatus,
        counts: Mapping[str, Any] | RunCounts,
        error: str | None = None,
    ) -> None:
        stored = counts.as_dict() if isinstance(counts, RunCounts) else dict(counts)
        now = utcnow()
        with self._engine.begin() as conn:
            result = conn.execute(
                runs.update()
                .where(runs.c.id == run_id)
                .values(
                    status=RunStatus(status).value,
                    counts=stored,
                    error=error,
                    finished_at=now,
                    heartbeat_at=now,
                )
            )
        if result.rowcount != 1:
            raise _missing(run_id)

    def set_notice(self, run_id: int, notice: str) -> None:
        """Note something a person should know that did not change the run's outcome."""
        with self._engine.begin() as conn:
            result = conn.execute(runs.update().where(runs.c.id == run_id).values(notice=notice))
        if result.rowcount != 1:
            raise _missing(run_id)

    def notice(self, run_id: int) -> str | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(runs.c.notice).where(runs.c.id == run_id)).first()
        if row is None:
            raise _missing(run_id)
        return None if row.notice is None else str(row.notice)

    def get(self, run_id: int) -> RunSummary:
        with self._engine.connect() as conn:
            r = conn.execute(_SUMMARY.where(runs.c.id == run_id)).mappings().first()
        if r is None:
            raise _missing(run_id)
        return _summary(r)

    def list(
        self,
        integration_id: int,
        limit: int = 50,
        before_id: int | None = None,
        *,
        status: RunStatus | None = None,
        kind: RunKind | None = None,
    ) -> builtins.list[RunSummary]:
        """The newest runs first; pass the last id seen as ``before_id`` for the next page.

        ``status`` and ``kind`` keep only the runs that have them.
        """
        query = _SUMMARY.where(runs.c.integration_id == integration_id)
        if before_id is not None:
            query = query.where(runs.c.id < before_id)
        if status is not None:
            query = query.where(runs.c.status == RunStatus(status).value)
        if kind is not None:
            query = query.where(runs.c.kind == RunKind(kind).value)
        query = query.order_by(runs.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [_summary(r) for r in conn.execute(query).mappings()]

    def items(
        self,
        run_id: int,
        outcome: Outcome | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> builtins.list[RunItem]:
        """A run's items in the order they were recorded."""
        query = sa.select(*_ITEM_COLUMNS).where(run_items.c.run_id == run_id)
        if outcome is not None:
            query = query.where(run_items.c.outcome == Outcome(outcome).value)
        query = query.order_by(run_items.c.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as conn:
            return [_item(r) for r in conn.execute(query).mappings()]

    def failures(self, integration_id: int, limit: int) -> builtins.list[tuple[int, RunItem]]:
        """The latest failed items across the integration's runs, newest first, with run ids."""
        query = (
            sa.select(run_items.c.run_id, *_ITEM_COLUMNS)
            .select_from(run_items.join(runs, runs.c.id == run_items.c.run_id))
            .where(
                runs.c.integration_id == integration_id,
                run_items.c.outcome == Outcome.FAILED.value,
            )
            .order_by(run_items.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [(r["run_id"], _item(r)) for r in conn.execute(query).mappings()]

    def mark_interrupted(
        self, integration_id: int | None = None, older_than: datetime | None = None
    ) -> int:
        """Turn RUNNING runs whose process died into INTERRUPTED; returns how many.

        ``older_than`` limits it to runs whose last heartbeat (or start) is before that time,
        so live runs of other processes are left alone.
        """
        query = runs.update().where(runs.c.status == RunStatus.RUNNING.value)
        if integration_id is not None:
            query = query.where(runs.c.integration_id == integration_id)
        if older_than is not None:
            query = query.where(
                sa.func.coalesce(runs.c.heartbeat_at, runs.c.started_at) < older_than
            )
        query = query.values(
            status=RunStatus.INTERRUPTED.value,
            finished_at=utcnow(),
            error=sa.func.coalesce(runs.c.error, INTERRUPTED_ERROR),
        )
        with self._engine.begin() as conn:
            return int(conn.execute(query).rowcount)

    def last_started(self, integration_id: int, kind: RunKind) -> datetime | None:
        """When the integration's newest run of ``kind`` started (schedules count from it)."""
        query = sa.select(sa.func.max(runs.c.started_at)).where(
            runs.c.integration_id == integration_id, runs.c.kind == RunKind(kind).value
        )
        with self._engine.connect() as conn:
            value: datetime | None = conn.execute(query).scalar()
        return value

    def running(self, integration_id: int) -> RunSummary | None:
        """The integration's newest RUNNING run, if any."""
        query = (
            _SUMMARY.where(
                runs.c.integration_id == integration_id,
                runs.c.status == RunStatus.RUNNING.value,
            )
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            r = conn.execute(query).mappings().first()
        return None if r is None else _summary(r)


def _missing(run_id: int) -> ConfigError:
    return ConfigError(f"no run with id {run_id}")
