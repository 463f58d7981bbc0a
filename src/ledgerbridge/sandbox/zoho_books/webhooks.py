"""Outgoing webhooks: what Zoho Books posts to a configured URL when a record changes.

Zoho Books webhooks carry the changed entity in the body (``{"contact": {...}}``); with a secret
set, ``X-Zoho-Webhook-Signature`` is the hex HMAC-SHA256 of the raw body with that secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass

from ledgerbridge.sandbox.core.webhooks import WebhookSender
from ledgerbridge.sandbox.zoho_books.modules import BY_KIND
from ledgerbridge.sandbox.zoho_books.state import ChangeEvent

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"


@dataclass
class WebhookTarget:
    url: str
    secret: str | None = None


class BooksWebhooks:
    """Turns state change events into deliveries to the configured target, if any."""

    def __init__(self, sender: WebhookSender | None = None) -> None:
        self.sender = sender or WebhookSender()
        self._lock = threading.Lock()
        self.target: WebhookTarget | None = None

    def configure(self, url: str | None, secret: str | None = None) -> None:
        with self._lock:
            self.target = WebhookTarget(url, secret) if url else None

    def __call__(self, event: ChangeEvent) -> None:
        with self._lock:
            target = self.target
        if target is None:
            return
        module = BY_KIND[event.module]
        body: dict[str, object] = {
            "organization_id": event.organization_id,
            "module": event.module,
            "operation": event.operation,
            "resource_id": event.record_id,
        }
        if event.record is not None:
            body[module.singular] = event.record
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        headers: dict[str, str] = {}
        if target.secret:
            digest = hmac.new(target.secret.encode(), raw, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = digest
        self.sender.send(target.url, raw, headers)
