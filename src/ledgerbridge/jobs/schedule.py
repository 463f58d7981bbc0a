"""Schedule math: when an integration's next scheduled run is due.

Pure functions of a :class:`ScheduleConfig` and aware datetimes. Times of day ("HH:MM") are
wall-clock times in the schedule's timezone, so a 07:00 run stays at 07:00 across daylight
saving changes; intervals are plain elapsed time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledgerbridge.domain.config import ScheduleConfig
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.runs import RunKind
from ledgerbridge.engine.model import SyncRequest

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
MIN_INTERVAL_MINUTES = 5


def parse_time(value: str) -> time:
    """``"HH:MM"`` (24-hour) as a time, or a ConfigError that shows the expected form."""
    match = _HHMM.match(value.strip())
    if match is None:
        raise ConfigError(
            f"{value!r} is not a time of day; write it as HH:MM on a 24-hour clock, e.g. 07:30"
        )
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``, or a ConfigError that says what to use instead."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown timezone {name!r}; use an IANA name such as UTC, Europe/London or "
            "Australia/Sydney"
        ) from None


def validate(schedule: ScheduleConfig) -> None:
    """Raise a ConfigError naming what to fix when ``schedule`` cannot be followed."""
    zone(schedule.timezone)
    for value in schedule.times:
        parse_time(value)
    if schedule.enabled and not schedule.times and schedule.interval_minutes is None:
        raise ConfigError(
            "an enabled schedule needs an interval (--every MINUTES) or times of day (--at HH:MM)"
        )
    if schedule.interval_minutes is not None and schedule.interval_minutes < MIN_INTERVAL_MINUTES:
        raise ConfigError(
            f"a schedule interval must be {MIN_INTERVAL_MINUTES} minutes or more, "
            f"not {schedule.interval_minutes}"
        )


def next_due(schedule: ScheduleConfig, after: datetime) -> datetime:
    """The first scheduled moment strictly after ``after`` (aware), in UTC.

    With times of day, those win over the interval. A time that falls in a spring-forward gap
    runs at the same offset it would have had (so once, just after the gap); a time that occurs
    twice when clocks go back runs at its first occurrence only.
    """
    if after.tzinfo is None:
        raise ValueError("next_due needs an aware datetime")
    validate(schedule)
    if schedule.times:
        return _next_time_of_day(schedule, after)
    if schedule.interval_minutes is None:
        raise ConfigError("the schedule has neither times of day nor an interval")
    return (after + timedelta(minutes=schedule.interval_minutes)).astimezone(UTC)


def _next_time_of_day(schedule: ScheduleConfig, after: datetime) -> datetime:
    tz = zone(schedule.timezone)
    times = sorted(parse_time(t) for t in schedule.times)
    local_day = after.astimezone(tz).date()
    # Two days always hold the next occurrence; a third covers a day a gap swallowed.
    for offset in range(3):
        day = local_day + timedelta(days=offset)
        for at in times:
            candidate = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
            if candidate > after:
                return candidate
    raise AssertionError("a time of day recurs within three days")  # pragma: no cover


def is_due(schedule: ScheduleConfig, anchor: datetime, now: datetime) -> bool:
    """Whether a run is due at ``now`` when the last one (or the schedule) started at ``anchor``.

    Missed moments (the service was down) give one run, not one per moment missed.
    """
    return schedule.enabled and next_due(schedule, anchor) <= now


def scheduled_request(schedule: ScheduleConfig) -> SyncRequest:
    """The run a schedule asks for: incremental, its flows and direction."""
    return SyncRequest(
        flows=schedule.flows,
        direction=schedule.direction,
        kind=RunKind.SCHEDULED,
        email_summary=schedule.email_summary,
    )


def describe(schedule: ScheduleConfig) -> str:
    """One line for a person: ``every 120 minutes`` or ``at 07:00, 13:00 (Europe/London)``."""
    if not schedule.enabled:
        return "off"
    if schedule.times:
        when = f"at {', '.join(sorted(schedule.times))} ({schedule.timezone})"
    else:
        when = f"every {schedule.interval_minutes} minutes"
    flows = f", flows {', '.join(schedule.flows)}" if schedule.flows else ""
    email = ", e-mail summary" if schedule.email_summary else ""
    return f"{when}, {schedule.direction.value}{flows}{email}"
