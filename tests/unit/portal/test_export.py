"""CSV export of runs and run items: escaping and the formula-injection guard."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunKind, RunStatus, RunSummary
from ledgerbridge.portal.export import ITEM_COLUMNS, RUN_COLUMNS, cell, items_csv, runs_csv, totals


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Acme = good", "Acme = good"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_gets_a_leading_quote(raw: str, safe: str) -> None:
    assert cell(raw) == safe


def test_numbers_booleans_dates_and_none() -> None:
    assert cell(-5) == "-5"
    assert cell(1.5) == "1.5"
    assert cell(True) == "true"
    assert cell(None) == ""
    assert cell(datetime(2026, 3, 1, 12, tzinfo=UTC)) == "2026-03-01T12:00:00+00:00"


def test_items_csv_round_trips_commas_quotes_and_newlines() -> None:
    items = [
        RunItem(
            "accounts",
            Side.CRM,
            "1",
            Outcome.FAILED,
            'Has "quotes", commas\nand lines',
            None,
            "=cmd|' /C calc'!A0",
        ),
        RunItem("accounts", Side.BOOKS, "2", Outcome.CREATED, "", "9", "Plain"),
    ]
    rows = list(csv.reader(io.StringIO(items_csv(7, items))))
    assert tuple(rows[0]) == ITEM_COLUMNS
    assert rows[1] == [
        "7", "accounts", "crm", "1", "", "failed", "'=cmd|' /C calc'!A0",
        'Has "quotes", commas\nand lines',
    ]  # fmt: skip
    assert rows[2] == ["7", "accounts", "books", "2", "9", "created", "Plain", ""]


def test_runs_csv_sums_counts_over_flows_and_sides() -> None:
    run = RunSummary(
        id=3,
        integration="live",
        kind=RunKind.MANUAL,
        status=RunStatus.PARTIAL,
        started_at=datetime(2026, 3, 1, tzinfo=UTC),
        finished_at=None,
        dry_run=False,
        request={},
        counts={
            "accounts": {"crm": {"created": 2, "failed": 1}, "books": {"created": 1}},
            "products": {"crm": {"updated": 4}},
        },
        error="-boom",
    )
    rows = list(csv.reader(io.StringIO(runs_csv([run]))))
    assert tuple(rows[0]) == RUN_COLUMNS
    got = dict(zip(rows[0], rows[1], strict=True))
    assert got["created"] == "3"
    assert got["updated"] == "4"
    assert got["failed"] == "1"
    assert got["finished_at"] == ""
    assert got["error"] == "'-boom"
    assert totals("not a dict")["created"] == 0
