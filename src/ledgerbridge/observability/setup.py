"""Logging as the settings ask, with this installation's own secrets masked by value."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, start_http_server

from ledgerbridge.observability.logs import configure_logging
from ledgerbridge.observability.masking import register_secret
from ledgerbridge.observability.metrics import ConnectionBudgets
from ledgerbridge.settings import Settings


def setup_logging(settings: Settings | None, *, quiet: bool = False) -> None:
    """Configure logs from ``settings`` (defaults when they failed to load).

    ``quiet`` (one-shot commands) shows warnings and errors only, so a command's own output
    stays readable; the server and the workers log at ``LEDGERBRIDGE_LOG_LEVEL``.
    """
    if settings is None:
        configure_logging(logging.WARNING if quiet else logging.INFO)
        return
    for secret in (settings.secret_key, settings.session_secret):
        if secret is not None:
            register_secret(secret.get_secret_value())
    level = settings.log_level_number
    configure_logging(
        max(level, logging.WARNING) if quiet else level, settings.effective_log_format.value
    )


@dataclass
class WorkerMetrics:
    """A worker's own ``/metrics`` server."""

    port: int
    server: WSGIServer
    collector: ConnectionBudgets

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        REGISTRY.unregister(self.collector)


def serve_worker_metrics(
    settings: Settings, connectors: Callable[[], Mapping[str, Any]]
) -> WorkerMetrics | None:
    """Serve ``/metrics`` of a worker process on ``LEDGERBRIDGE_METRICS_PORT``, when set.

    Runs happen in the workers, so their counters (runs, records, API calls) are only seen
    here. ``None`` when no port is set.
    """
    if settings.metrics_port is None:
        return None
    collector = ConnectionBudgets(connectors)
    REGISTRY.register(collector)
    server, _thread = start_http_server(settings.metrics_port, addr=settings.metrics_host)
    port = int(server.server_port)
    logging.getLogger(__name__).info("metrics on http://%s:%s/metrics", settings.metrics_host, port)
    return WorkerMetrics(port, server, collector)
