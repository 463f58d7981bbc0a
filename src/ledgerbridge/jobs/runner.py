"""The job runner an installation uses: in-process on SQLite, the queue on PostgreSQL."""

from __future__ import annotations

from ledgerbridge.bootstrap import App
from ledgerbridge.jobs.local import LocalRunner
from ledgerbridge.jobs.queue import QueueRunner, is_postgres


def runner_for(app: App) -> LocalRunner | QueueRunner:
    """On PostgreSQL jobs go to ``ledgerbridge worker`` processes, so that one lock per
    integration holds across every process; otherwise they run on threads here."""
    if is_postgres(app.settings.db_url):
        return QueueRunner(app.settings)
    return LocalRunner(app)
