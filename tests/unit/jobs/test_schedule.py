"""Schedule math: intervals, times of day across midnight and daylight saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ledgerbridge.domain.config import Direction, ScheduleConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.runs import RunKind
from ledgerbridge.jobs.schedule import (
    describe,
    is_due,
    next_due,
    parse_time,
    scheduled_request,
    validate,
)

LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")


def at(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def times(*values: str, tz: str = "UTC") -> ScheduleConfig:
    return ScheduleConfig(enabled=True, times=values, timezone=tz)


def test_interval_counts_from_the_anchor() -> None:
    schedule = ScheduleConfig(enabled=True, interval_minutes=120)
    anchor = datetime(2026, 3, 1, 10, 15, tzinfo=UTC)
    assert next_due(schedule, anchor) == datetime(2026, 3, 1, 12, 15, tzinfo=UTC)


def test_interval_is_elapsed_time_across_a_clock_change() -> None:
    schedule = ScheduleConfig(enabled=True, interval_minutes=60, timezone="Europe/London")
    # 00:30 local on the night clocks go forward (01:00 -> 02:00 on 29 March 2026).
    anchor = at(LONDON, 2026, 3, 29, 0, 30)
    due = next_due(schedule, anchor)
    assert due - anchor == timedelta(hours=1)
    assert due.astimezone(LONDON).hour == 2  # 01:30 does not exist that night


def test_times_pick_the_next_one_the_same_day() -> None:
    schedule = times("07:00", "13:30", "18:00")
    assert next_due(schedule, datetime(2026, 5, 4, 9, 0, tzinfo=UTC)) == datetime(
        2026, 5, 4, 13, 30, tzinfo=UTC
    )


def test_a_time_exactly_now_is_not_next() -> None:
    schedule = times("07:00", "13:30")
    assert next_due(schedule, datetime(2026, 5, 4, 13, 30, tzinfo=UTC)) == datetime(
        2026, 5, 5, 7, 0, tzinfo=UTC
    )


def test_times_across_midnight_roll_to_the_next_day() -> None:
    schedule = times("23:45", "00:15")
    assert next_due(schedule, datetime(2026, 5, 4, 23, 50, tzinfo=UTC)) == datetime(
        2026, 5, 5, 0, 15, tzinfo=UTC
    )
    assert next_due(schedule, datetime(2026, 5, 5, 0, 15, tzinfo=UTC)) == datetime(
        2026, 5, 5, 23, 45, tzinfo=UTC
    )


def test_times_are_wall_clock_in_the_schedule_timezone() -> None:
    schedule = times("07:00", tz="Europe/London")
    winter = next_due(schedule, datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
    summer = next_due(schedule, datetime(2026, 7, 10, 12, 0, tzinfo=UTC))
    assert winter == datetime(2026, 1, 11, 7, 0, tzinfo=UTC)
    assert summer == datetime(2026, 7, 11, 6, 0, tzinfo=UTC)
    assert winter.astimezone(LONDON).hour == summer.astimezone(LONDON).hour == 7


def test_the_day_after_spring_forward_keeps_the_local_time() -> None:
    schedule = times("07:00", tz="Europe/London")
    before = at(LONDON, 2026, 3, 28, 8, 0)  # GMT
    due = next_due(schedule, before)
    assert due.astimezone(LONDON) == at(LONDON, 2026, 3, 29, 7, 0)
    assert due == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # BST: 23 hours later, not 24
    assert due - before == timedelta(hours=22)


def test_a_time_in_the_spring_forward_gap_runs_once_just_after_it() -> None:
    schedule = times("01:30", tz="Europe/London")
    due = next_due(schedule, at(LONDON, 2026, 3, 28, 12, 0))
    # 01:30 does not exist on 29 March; it runs at the instant 01:30 GMT would have been.
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.astimezone(LONDON).hour == 2
    following = next_due(schedule, due)
    assert following == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)


def test_a_time_that_happens_twice_at_fall_back_runs_once() -> None:
    schedule = times("01:30", tz="Europe/London")
    first = next_due(schedule, at(LONDON, 2026, 10, 24, 12, 0))
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the BST 01:30
    second = next_due(schedule, first)
    assert second == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # next day, GMT


def test_southern_hemisphere_clock_change() -> None:
    schedule = times("02:30", tz="Australia/Sydney")
    # Sydney goes forward at 02:00 on 4 October 2026: 02:30 does not exist that day.
    due = next_due(schedule, at(SYDNEY, 2026, 10, 3, 12, 0))
    assert due.astimezone(SYDNEY) == at(SYDNEY, 2026, 10, 4, 3, 30)
    assert next_due(schedule, due).astimezone(SYDNEY) == at(SYDNEY, 2026, 10, 5, 2, 30)


def test_is_due_gives_one_run_for_many_missed_moments() -> None:
    schedule = ScheduleConfig(enabled=True, interval_minutes=60)
    anchor = datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    assert not is_due(schedule, anchor, anchor + timedelta(minutes=59))
    assert is_due(schedule, anchor, anchor + timedelta(minutes=60))
    assert is_due(schedule, anchor, anchor + timedelta(days=3))


def test_a_disabled_schedule_is_never_due() -> None:
    schedule = ScheduleConfig(enabled=False, interval_minutes=60)
    anchor = datetime(2026, 5, 1, tzinfo=UTC)
    assert not is_due(schedule, anchor, anchor + timedelta(days=30))


def test_unknown_timezone_says_what_to_use() -> None:
    with pytest.raises(ConfigError, match=r"unknown timezone 'Europe/Atlantis'.*IANA"):
        validate(ScheduleConfig(enabled=True, timezone="Europe/Atlantis"))


@pytest.mark.parametrize("value", ["24:00", "7:00", "07:60", "noon", ""])
def test_bad_times_say_the_form(value: str) -> None:
    with pytest.raises(ConfigError, match="HH:MM"):
        parse_time(value)


def test_enabled_schedule_needs_interval_or_times() -> None:
    with pytest.raises(ConfigError, match="--every MINUTES"):
        validate(ScheduleConfig(enabled=True, interval_minutes=None))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_due(ScheduleConfig(enabled=True), datetime(2026, 1, 1))  # noqa: DTZ001


def test_scheduled_request_follows_the_schedule() -> None:
    schedule = ScheduleConfig(
        enabled=True,
        flows=("accounts",),
        direction=Direction.CRM_TO_BOOKS,
        email_summary=True,
    )
    request = scheduled_request(schedule)
    assert request.kind is RunKind.SCHEDULED
    assert request.flows == ("accounts",)
    assert request.direction is Direction.CRM_TO_BOOKS
    assert request.email_summary
    assert describe(schedule) == "every 120 minutes, crm_to_books, flows accounts, e-mail summary"
