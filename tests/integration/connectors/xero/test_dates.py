"""Every date shape the vendor APIs write, and Xero records as the engine reads them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ledgerbridge.connectors.dates import iso_utc, ms_date, parse_date, parse_datetime
from ledgerbridge.connectors.xero.values import from_xero, to_xero


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/Date(1551399321043+0000)/", datetime(2019, 3, 1, 0, 15, 21, 43000, tzinfo=UTC)),
        ("/Date(1551399321043)/", datetime(2019, 3, 1, 0, 15, 21, 43000, tzinfo=UTC)),
        ("/Date(-86400000+0000)/", datetime(1969, 12, 31, tzinfo=UTC)),
        ("2013-11-18T02:31:51-0800", datetime(2013, 11, 18, 10, 31, 51, tzinfo=UTC)),
        ("2013-11-18T02:31:51+05:30", datetime(2013, 11, 17, 21, 1, 51, tzinfo=UTC)),
        ("2020-02-06T12:17:43.202-08:00", datetime(2020, 2, 6, 20, 17, 43, 202000, tzinfo=UTC)),
        ("2024-03-01T09:30:00Z", datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
        ("2024-03-01T09:30:00", datetime(2024, 3, 1, 9, 30, tzinfo=UTC)),
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
    ],
)
def test_parse_datetime_reads_every_vendor_shape_as_the_same_moment(
    text: str, expected: datetime
) -> None:
    parsed = parse_datetime(text)
    assert parsed.utcoffset() is not None
    assert parsed == expected


def test_a_ms_date_offset_only_changes_the_zone_shown() -> None:
    shown = parse_datetime("/Date(1551399321043+0530)/")
    assert shown.utcoffset() == timedelta(hours=5, minutes=30)
    assert shown == parse_datetime("/Date(1551399321043+0000)/")


@pytest.mark.parametrize("text", ["", "yesterday", "/Date(abc)/", "2024-13-01"])
def test_parse_datetime_refuses_what_is_not_a_date(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the text
        parse_datetime(text)


def test_parse_date_takes_the_calendar_day_meant() -> None:
    assert parse_date("/Date(1551312000000+0000)/") == date(2019, 2, 28)
    assert parse_date("2024-03-01T00:00:00") == date(2024, 3, 1)
    assert parse_date("2024-03-01") == date(2024, 3, 1)


def test_writing_dates_back() -> None:
    moment = datetime(2024, 3, 1, 9, 30, 15, 250000, tzinfo=timezone(timedelta(hours=13)))
    assert iso_utc(moment) == "2024-02-29T20:30:15Z"
    assert parse_datetime(ms_date(moment)) == moment
    with pytest.raises(ValueError):  # noqa: PT011
        iso_utc(datetime(2024, 3, 1))  # noqa: DTZ001 - the refusal is the point


def test_xero_records_read_with_iso_dates_and_without_write_markers() -> None:
    raw = {
        "InvoiceID": "x",
        "Date": "/Date(1551312000000+0000)/",
        "DateString": "2019-02-28T00:00:00",
        "UpdatedDateUTC": "/Date(1551399321043+0000)/",
        "StatusAttributeString": "OK",
        "ValidationErrors": [],
        "Payments": [{"Date": "/Date(1551312000000+0000)/", "Amount": 5.5}],
        "Reference": "/Date is just text here",
    }
    assert from_xero(raw) == {
        "InvoiceID": "x",
        "Date": "2019-02-28",
        "UpdatedDateUTC": "2019-03-01T00:15:21.043+00:00",
        "Payments": [{"Date": "2019-02-28", "Amount": 5.5}],
        "Reference": "/Date is just text here",
    }


def test_values_written_as_json_xero_accepts() -> None:
    written = to_xero(
        {
            "Date": date(2024, 3, 1),
            "Total": Decimal("12.50"),
            "Quantity": Decimal(3),
            "LineItems": ({"UnitAmount": Decimal("0.10")},),
        }
    )
    assert written == {
        "Date": "2024-03-01",
        "Total": 12.5,
        "Quantity": 3,
        "LineItems": [{"UnitAmount": 0.1}],
    }
