"""The manual sync form into a sync request: windows, flows, the summary address."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ledgerbridge.domain.config import ScheduleConfig
from ledgerbridge.engine.model import Window, WindowKind
from ledgerbridge.jobs.work import request_from_dict, request_to_dict
from ledgerbridge.portal.pages.sync import parse_form
from ledgerbridge.store import IntegrationRow, IntegrationState
from tests.support.flows import people_flow

TODAY = date(2026, 3, 10)
ROW = IntegrationRow(
    id=1,
    name="it",
    recipe="custom",
    crm_connection="crm",
    books_connection="books",
    state=IntegrationState.ACTIVE,
    notify_email=None,
    schedule=ScheduleConfig(),
    flows=(people_flow(), people_flow(name="others")),
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    updated_at=datetime(2026, 1, 1, tzinfo=UTC),
)


def test_incremental_and_full() -> None:
    _, request = parse_form(ROW, {}, ["people"], TODAY)
    assert request is not None and request.window == Window()
    assert request.flows == ("people",)
    _, request = parse_form(ROW, {"mode": "full"}, ["people", "others"], TODAY)
    assert request is not None and request.window.kind is WindowKind.FULL


def test_a_window_to_now_counts_its_first_day_whole() -> None:
    _, request = parse_form(ROW, {"mode": "window", "since": "2026-03-04"}, ["people"], TODAY)
    assert request is not None
    assert request.window == Window(WindowKind.DAYS, 7)
    _, same = parse_form(
        ROW, {"mode": "window", "since": "2026-03-04", "until": "2026-03-10"}, ["people"], TODAY
    )
    assert same is not None and same.window.until is None  # until today is until now


def test_a_window_ending_earlier_stops_at_the_end_of_its_last_day_and_survives_the_queue() -> None:
    form = {"mode": "window", "since": "2026-03-01", "until": "2026-03-05"}
    _, request = parse_form(ROW, form, ["people"], TODAY)
    assert request is not None
    assert request.window.days == 10
    assert request.window.until == datetime(2026, 3, 5, 23, 59, 59, 999999, tzinfo=UTC)
    assert "up to 2026-03-05 23:59 UTC" in request.window.describe()
    # The queue carries requests as JSON-safe dicts between processes.
    assert request_from_dict(request_to_dict(request)) == request


@pytest.mark.parametrize(
    ("form", "flows", "key"),
    [
        ({}, [], "flows"),
        ({}, ["nope"], "flows"),
        ({"mode": "sometimes"}, ["people"], "mode"),
        ({"mode": "window", "since": ""}, ["people"], "since"),
        ({"mode": "window", "since": "2026-03-11"}, ["people"], "since"),
        ({"mode": "window", "since": "2026-03-05", "until": "2026-03-04"}, ["people"], "until"),
        ({"mode": "window", "since": "2026-03-05", "until": "2026-03-12"}, ["people"], "until"),
        ({"mode": "window", "since": "2026-03-05", "until": "soon"}, ["people"], "until"),
        ({"email_summary": "on"}, ["people"], "email"),
        ({"email_summary": "on", "email": "not an address"}, ["people"], "email"),
    ],
)
def test_mistakes_are_named_by_field_and_give_no_request(
    form: dict[str, str], flows: list[str], key: str
) -> None:
    got, request = parse_form(ROW, form, flows, TODAY)
    assert request is None
    assert key in got.errors


def test_a_window_end_needs_a_time_zone_and_a_window_of_days() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Window(WindowKind.DAYS, 3, datetime(2026, 3, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="window of days"):
        Window(WindowKind.FULL, None, datetime(2026, 3, 1, tzinfo=UTC))
