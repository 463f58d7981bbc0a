"""Outgoing webhooks: a background thread that POSTs queued bodies without blocking requests."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)


@dataclass
class SentWebhook:
    """One delivery: what was sent and how the receiver answered (status None: no answer)."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int | None = None
    attempts: int = 0
    error: str | None = None
    response_body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Job:
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


_STOP = object()


class WebhookSender:
    """Delivers with a short timeout and a few retries; ``flush`` waits for the queue in tests."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout: float = 5.0,
        retries: int = 3,
        backoff_seconds: float = 0.2,
    ) -> None:
        self._client = client or httpx.Client(timeout=timeout)
        self._own_client = client is None
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.sent: list[SentWebhook] = []
        self._queue: queue.Queue[object] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._stopped = False

    def set_client(self, client: httpx.Client) -> None:
        """Send through another client (e.g. an in-process transport to a receiving app)."""
        self._client = client
        self._own_client = False

    def send(
        self, url: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        wanted = {"Content-Type": "application/json", **(headers or {})}
        with self._lock:
            if self._stopped:
                raise RuntimeError("webhook sender is stopped")
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="sandbox-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put(_Job(url, raw, wanted))

    def deliver_now(
        self, url: str, body: bytes | dict[str, Any], headers: dict[str, str] | None = None
    ) -> SentWebhook:
        """Send once, synchronously, with no retry (handshakes that need the answer)."""
        raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        record = SentWebhook(url, raw, {"Content-Type": "application/json", **(headers or {})})
        self._attempt(record)
        with self._lock:
            self.sent.append(record)
        return record

    def _attempt(self, record: SentWebhook) -> bool:
        record.attempts += 1
        try:
            answer = self._client.post(record.url, content=record.body, headers=record.headers)
        except httpx.HTTPError as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            return False
        record.status = answer.status_code
        record.response_body = answer.content
        record.error = None
        return answer.status_code < 500

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            assert isinstance(job, _Job)
            record = SentWebhook(job.url, job.body, job.headers)
            try:
                for attempt in range(self.retries + 1):
                    if self._attempt(record):
                        break
                    if attempt < self.retries:
                        time.sleep(self.backoff_seconds * (2**attempt))
            except Exception:
                log.exception("webhook delivery to %s failed", job.url)
            finally:
                with self._lock:
                    self.sent.append(record)
                    self._pending -= 1
                    self._idle.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far was delivered (or gave up). False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stopped = True
            thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)
        if self._own_client:
            self._client.close()
