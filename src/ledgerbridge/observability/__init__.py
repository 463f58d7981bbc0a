"""Logs (JSON or text, secrets masked, integration and run ids attached) and metrics."""

from ledgerbridge.observability.context import bind_run, current, log_context
from ledgerbridge.observability.logs import configure_logging
from ledgerbridge.observability.masking import MaskingFilter, mask, register_secret

__all__ = [
    "MaskingFilter",
    "bind_run",
    "configure_logging",
    "current",
    "log_context",
    "mask",
    "register_secret",
]
