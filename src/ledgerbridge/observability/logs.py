"""Log set-up: one handler on the root logger, JSON or text, secrets masked."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from ledgerbridge.observability.context import current
from ledgerbridge.observability.masking import MaskingFilter


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, integration, run_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = current()
        if context.integration is not None:
            entry["integration"] = context.integration
        if context.run_id is not None:
            entry["run_id"] = context.run_id
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A line a person reads, with ``[integration run N]`` when known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(where)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        context = current()
        parts = []
        if context.integration is not None:
            parts.append(context.integration)
        if context.run_id is not None:
            parts.append(f"run {context.run_id}")
        record.where = f" [{' '.join(parts)}]" if parts else ""
        return super().format(record)


class _Installed(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so set-up can be repeated safely."""


def configure_logging(
    level: int | str = logging.INFO, log_format: str = "text", stream: TextIO | None = None
) -> logging.Handler:
    """Send every logger's records to ``stream`` (stderr) as JSON or text, masked.

    Earlier handlers installed here are replaced; handlers others installed are left alone.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Installed):
            root.removeHandler(handler)
    handler = _Installed(stream if stream is not None else sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter() if str(log_format) == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO and httpcore every header at DEBUG: only when asked.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if root.level <= logging.DEBUG else logging.WARNING
        )
    return handler
