"""Which integration and run the current code works for, attached to every log line.

Context variables follow the code into threads started with ``contextvars.copy_context`` and
into asyncio tasks, and each job thread has its own, so two runs at once never mix their ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_integration: ContextVar[str | None] = ContextVar("ledgerbridge_integration", default=None)
_run_id: ContextVar[int | None] = ContextVar("ledgerbridge_run_id", default=None)


@dataclass(frozen=True, slots=True)
class LogContext:
    integration: str | None
    run_id: int | None


def current() -> LogContext:
    return LogContext(_integration.get(), _run_id.get())


@contextmanager
def log_context(*, integration: str | None = None, run_id: int | None = None) -> Iterator[None]:
    """Attach ``integration`` (and ``run_id``) to log lines inside the block.

    Whatever :func:`bind_run` sets inside the block is undone when it ends too.
    """
    integration_token = _integration.set(integration)
    run_token = _run_id.set(run_id)
    try:
        yield
    finally:
        _run_id.reset(run_token)
        _integration.reset(integration_token)


def bind_run(run_id: int | None) -> None:
    """The run id, once the run has one (it is created a little after the run starts)."""
    _run_id.set(run_id)
