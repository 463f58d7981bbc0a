"""What travels between processes: requests, record changes, lock names, connection strings."""

from __future__ import annotations

import pytest

from ledgerbridge.domain.config import Direction
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunKind
from ledgerbridge.engine.model import SyncRequest, Window, WindowKind
from ledgerbridge.jobs import work
from ledgerbridge.jobs.dispatch import RecordChange
from ledgerbridge.jobs.queue import conninfo, is_postgres, sync_lock


@pytest.mark.parametrize(
    "request_",
    [
        SyncRequest(),
        SyncRequest(
            flows=("accounts", "invoices"),
            direction=Direction.BOOKS_TO_CRM,
            window=Window(WindowKind.DAYS, 45),
            kind=RunKind.SCHEDULED,
            email_summary=True,
        ),
        SyncRequest(window=Window(WindowKind.FULL), dry_run=True),
    ],
)
def test_requests_survive_the_trip(request_: SyncRequest) -> None:
    assert work.request_from_dict(work.request_to_dict(request_)) == request_


def test_a_broken_request_says_what_is_wrong() -> None:
    with pytest.raises(ConfigError, match="not valid"):
        work.request_from_dict({"direction": "sideways"})


def test_record_changes_survive_the_trip() -> None:
    change = RecordChange("accounts", Side.BOOKS, "42")
    assert work.change_from_dict(work.change_to_dict(change)) == change


def test_equal_requests_share_a_queueing_lock_and_others_do_not() -> None:
    assert sync_lock(3, SyncRequest()) == sync_lock(3, SyncRequest())
    assert sync_lock(3, SyncRequest()) != sync_lock(4, SyncRequest())
    assert sync_lock(3, SyncRequest()) != sync_lock(3, SyncRequest(kind=RunKind.SCHEDULED))
    assert sync_lock(3, SyncRequest()).startswith("sync-3-")


def test_conninfo_keeps_the_search_path() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dlb_x"
    assert is_postgres(url)
    assert conninfo(url) == "postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dlb_x"


def test_the_queue_refuses_sqlite_with_the_fix() -> None:
    assert not is_postgres("sqlite:///tmp/x.db")
    with pytest.raises(ConfigError, match="LEDGERBRIDGE_DATABASE_URL"):
        conninfo("sqlite:///tmp/x.db")
