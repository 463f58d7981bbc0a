"""When failed logins lock an e-mail address or a client address out for a while (pure logic)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
# How far back failures matter: a lockout that may still hold plus the window before it.
LOOKBACK = WINDOW + LOCKOUT


def locked_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """The end of the lockout ``failures`` cause, or None when a login may be tried now.

    Failures are locked out once ``MAX_FAILURES`` of them fall within ``WINDOW``; the lockout
    lasts ``LOCKOUT`` from the failure that completed the count. Attempts refused during a
    lockout are not failures (they are never checked), so a lockout does not extend itself.
    """
    ordered = sorted(failures)
    until: datetime | None = None
    for end in range(MAX_FAILURES - 1, len(ordered)):
        last = ordered[end]
        if last - ordered[end - MAX_FAILURES + 1] <= WINDOW:
            until = last + LOCKOUT if until is None else max(until, last + LOCKOUT)
    if until is None or until <= now:
        return None
    return until
