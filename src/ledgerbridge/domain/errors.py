"""The one error tree of ledgerbridge.

    LedgerbridgeError                 root: catch this to catch everything of ours
    ├── FatalError                    the run cannot go on; fix something and re-run
    │   ├── ConfigError               a bad setting, option or flow config (says how to fix)
    │   ├── AuthError                 credentials refused or revoked; reconnect the connection
    │   └── StateError                the store is not in the state an operation needs
    ├── RetriableError                try again later: 429, 5xx, timeouts, dropped connections
    │   ├── RateLimitedError          carries retry_after seconds from the answer
    │   └── DailyLimitError           a daily budget is spent; resume after reset_at
    └── RecordError                   one record cannot sync: a failed run item, the run goes on

Per-record failures are data (a failed run item with its reason), not exceptions that stop a run:
connectors report them as ``WriteResult(ok=False, ...)`` and the planner as ``Fail`` actions.
``RecordError`` exists for code paths that deal with exactly one record.
"""

from __future__ import annotations

from datetime import datetime


class LedgerbridgeError(Exception):
    """Root of every error raised by ledgerbridge."""


class FatalError(LedgerbridgeError):
    """The operation cannot continue until something is fixed."""


class ConfigError(FatalError):
    """A setting, CLI option or flow config is wrong; the message says how to fix it."""


class AuthError(FatalError):
    """The remote system refused our credentials; the connection must be re-authorised."""


class StateError(FatalError):
    """The stored state does not allow the operation (e.g. deleting an active integration)."""


class RetriableError(LedgerbridgeError):
    """A transient failure: the same request may succeed later."""


class RateLimitedError(RetriableError):
    """The remote system asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DailyLimitError(RetriableError):
    """A daily call budget is spent; work resumes after ``reset_at``."""

    def __init__(self, message: str, reset_at: datetime | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class RecordError(LedgerbridgeError):
    """One record cannot be synced; the reason is meant for a person to act on."""

    def __init__(self, reason: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.field = field
