"""The summary message: subject, counts, failures listed one by one up to a limit."""

from __future__ import annotations

from datetime import UTC, datetime

from ledgerbridge.domain.config import ScheduleConfig
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunCounts, RunItem, RunStatus
from ledgerbridge.engine.model import RunReport
from ledgerbridge.notify.summary import MAX_LISTED_FAILURES, summary_message
from ledgerbridge.store import IntegrationRow, IntegrationState

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _integration() -> IntegrationRow:
    return IntegrationRow(
        id=1,
        name="acme",
        recipe="starter",
        crm_connection="crm",
        books_connection="books",
        state=IntegrationState.ACTIVE,
        notify_email="ops@example.com",
        schedule=ScheduleConfig(),
        flows=(),
        created_at=WHEN,
        updated_at=WHEN,
    )


def _report(failures: int) -> RunReport:
    counts = RunCounts()
    counts.add("accounts", Side.CRM, Outcome.CREATED, 3)
    items = []
    for i in range(failures):
        counts.add("accounts", Side.BOOKS, Outcome.FAILED)
        items.append(
            RunItem("accounts", Side.BOOKS, f"c{i}", Outcome.FAILED, f"reason {i}", label=f"C{i}")
        )
    status = RunStatus.PARTIAL if failures else RunStatus.SUCCEEDED
    return RunReport(run_id=7, status=status, counts=counts, items=items, started_at=WHEN)


def _text(failures: int) -> tuple[str, str]:
    message = summary_message(_integration(), _report(failures), sender="lb@x.test", to="o@x.test")
    body = message.get_content()
    assert isinstance(body, str)
    return str(message["Subject"]), body


def test_a_clean_run() -> None:
    subject, body = _text(0)
    assert subject == "ledgerbridge: acme sync succeeded"
    assert "accounts: from CRM: created 3" in body
    assert "Records that failed" not in body


def test_each_failure_has_its_side_name_and_reason() -> None:
    subject, body = _text(2)
    assert subject == "ledgerbridge: acme sync partial, 2 records failed"
    assert "  - accounts, accounting C0 (c0): reason 0" in body
    assert "  - accounts, accounting C1 (c1): reason 1" in body


def test_a_long_list_points_at_the_history() -> None:
    _subject, body = _text(MAX_LISTED_FAILURES + 3)
    assert f"reason {MAX_LISTED_FAILURES - 1}" in body
    assert f"reason {MAX_LISTED_FAILURES}\n" not in body
    assert "... and 3 more: `ledgerbridge history acme --run 7`" in body
