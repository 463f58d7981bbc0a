"""Run history as CSV: proper quoting, and no cell a spreadsheet would run as a formula.

A record's name comes from the CRM or the accounting system, so anyone who can edit a record
there could plant ``=HYPERLINK(...)`` in a sheet opened here; such cells get a leading quote.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ledgerbridge.domain.runs import Outcome, RunItem, RunSummary

# What spreadsheets treat as the start of a formula (tab and CR as well, as OWASP advises).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

RUN_COLUMNS = (
    "id",
    "integration",
    "kind",
    "status",
    "dry_run",
    "started_at",
    "finished_at",
    *(o.value for o in Outcome),
    "error",
)
ITEM_COLUMNS = ("run_id", "flow", "side", "record_id", "partner_id", "outcome", "label", "reason")


def cell(value: Any) -> str:
    """One value as safe CSV text."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        text = value.isoformat()
    elif isinstance(value, int | float):
        return str(value)  # a number is data, even when negative
    elif isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True, default=str)
    else:
        text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def totals(counts: Any) -> dict[str, int]:
    """Outcome totals over every flow and side of a run's stored counts."""
    out = {o.value: 0 for o in Outcome}
    if not isinstance(counts, dict):
        return out
    for sides in counts.values():
        if not isinstance(sides, dict):
            continue
        for outcomes in sides.values():
            if not isinstance(outcomes, dict):
                continue
            for outcome, n in outcomes.items():
                if outcome in out and isinstance(n, int):
                    out[outcome] += n
    return out


def _write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return buf.getvalue()


def runs_csv(runs: Iterable[RunSummary]) -> str:
    def row(r: RunSummary) -> list[Any]:
        t = totals(dict(r.counts))
        return [
            r.id,
            r.integration,
            r.kind.value,
            r.status.value,
            r.dry_run,
            r.started_at,
            r.finished_at,
            *(t[o.value] for o in Outcome),
            r.error,
        ]

    return _write(RUN_COLUMNS, (row(r) for r in runs))


def items_csv(run_id: int, items: Iterable[RunItem]) -> str:
    return _write(
        ITEM_COLUMNS,
        (
            [
                run_id,
                i.flow,
                i.side.value,
                i.record_id,
                i.partner_id,
                i.outcome.value,
                i.label,
                i.reason,
            ]
            for i in items
        ),
    )
