"""Xero's outgoing webhooks: thin signed events, batched after a short delay."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
from dataclasses import dataclass
from typing import Any

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.webhooks import SentWebhook, WebhookSender
from ledgerbridge.sandbox.xero.dates import webhook_date

SIGNATURE_HEADER = "x-xero-signature"
_RESOURCE_PATHS = {"CONTACT": "Contacts", "INVOICE": "Invoices"}


def sign(body: bytes, key: str) -> str:
    """base64(HMAC-SHA256(raw body, webhook key)), the ``x-xero-signature`` value."""
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class IntentResult:
    """The "intent to receive" handshake: a good signature must get 200, a bad one 401."""

    good_status: int | None
    bad_status: int | None

    @property
    def ok(self) -> bool:
        return self.good_status == 200 and self.bad_status == 401


class XeroWebhooks:
    """Collects change events and posts them in signed batches to the configured URL."""

    def __init__(
        self,
        clock: VirtualClock,
        tenant_id: str,
        *,
        key: str | None = None,
        api_base: str = "https://api.xero.com/api.xro/2.0",
        delay_seconds: float = 0.25,
        sender: WebhookSender | None = None,
    ) -> None:
        self.clock = clock
        self.tenant_id = tenant_id
        self.key = key or base64.b64encode(secrets.token_bytes(48)).decode()
        self.api_base = api_base
        self.delay_seconds = delay_seconds
        self.url: str | None = None
        self.sender = sender or WebhookSender(timeout=5.0)
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._timer: threading.Timer | None = None
        self._sequence = 0

    @property
    def sent(self) -> list[SentWebhook]:
        return self.sender.sent

    def configure(self, url: str | None, key: str | None = None) -> None:
        with self._lock:
            self.url = url
            if key is not None:
                self.key = key

    def emit(self, category: str, event_type: str, resource_id: str) -> None:
        """Queue one event; nothing is queued while no URL is configured."""
        with self._lock:
            if self.url is None:
                return
            self._pending.append(
                {
                    "resourceUrl": f"{self.api_base}/{_RESOURCE_PATHS[category]}/{resource_id}",
                    "resourceId": resource_id,
                    "eventDateUtc": webhook_date(self.clock.now()),
                    "eventType": event_type,
                    "eventCategory": category,
                    "tenantId": self.tenant_id,
                    "tenantType": "ORGANISATION",
                }
            )
            if self._timer is None:
                self._timer = threading.Timer(self.delay_seconds, self._dispatch)
                self._timer.daemon = True
                self._timer.start()

    def _dispatch(self) -> None:
        with self._lock:
            self._timer = None
            events, self._pending = self._pending, []
            url = self.url
            if not events or url is None:
                return
            first = self._sequence + 1
            self._sequence += len(events)
            payload = {
                "events": events,
                "firstEventSequence": first,
                "lastEventSequence": self._sequence,
                "entropy": "".join(secrets.choice(string.ascii_uppercase) for _ in range(20)),
            }
            body = json.dumps(payload, separators=(",", ":")).encode()
            key = self.key
        self.sender.send(url, body, {SIGNATURE_HEADER: sign(body, key)})

    def flush(self, timeout: float = 5.0) -> bool:
        """Send what is batched now and wait for delivery."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self._dispatch()
        return self.sender.flush(timeout)

    def intent_to_receive(self) -> IntentResult:
        """Post a correctly and an incorrectly signed empty batch, as Xero does on setup."""
        with self._lock:
            url, key = self.url, self.key
        if url is None:
            raise ValueError("no webhook URL configured")
        payload = {
            "events": [],
            "firstEventSequence": 0,
            "lastEventSequence": 0,
            "entropy": "".join(secrets.choice(string.ascii_uppercase) for _ in range(20)),
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        good = self.sender.deliver_now(url, body, {SIGNATURE_HEADER: sign(body, key)})
        wrong_key = base64.b64encode(secrets.token_bytes(48)).decode()
        bad = self.sender.deliver_now(url, body, {SIGNATURE_HEADER: sign(body, wrong_key)})
        return IntentResult(good.status, bad.status)

    def stop(self) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.sender.stop()
