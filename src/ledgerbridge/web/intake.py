"""Webhooks checked, read and handed on: the logic behind the webhook routes, free of HTTP."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.xero.webhooks import WebhookBatch, signature_valid
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.store import IntegrationRow, IntegrationState
from ledgerbridge.web.coalesce import Coalescer
from ledgerbridge.web.credentials import (
    WEBHOOK_KEY,
    connection_secret,
    known_channel_token,
    same_secret,
)
from ledgerbridge.web.events import Intake, ZohoNotification, xero_intake, zoho_intake
from ledgerbridge.web.replay import ReplayGuard

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """How a webhook was answered (``status``) and what it led to."""

    status: int
    intake: Intake = field(default_factory=Intake)
    replayed: bool = False
    waiting: bool = False  # the integration is paused or disabled: nothing was queued
    detail: str = ""

    @property
    def queued(self) -> int:
        return 0 if self.replayed or self.waiting else len(self.intake.changes)


_UNKNOWN = IntakeResult(404, detail="no such integration")
_UNAUTHORISED = IntakeResult(401, detail="the webhook could not be verified")


class WebhookIntake:
    def __init__(self, application: App, coalescer: Coalescer, replay: ReplayGuard) -> None:
        self.application = application
        self.coalescer = coalescer
        self.replay = replay

    def xero(self, name: str, body: bytes, signature: str | None) -> IntakeResult:
        integration = self._integration(name)
        if integration is None:
            return _UNKNOWN
        store = self.application.store
        books = store.connections.get(integration.books_connection)
        key = connection_secret(store, books.name, WEBHOOK_KEY) if books.system == "xero" else None
        if not key or not signature_valid(body, signature, str(key)):
            return _UNAUTHORISED
        try:
            batch = WebhookBatch.parse(body)
        except ValueError as exc:
            return IntakeResult(400, detail=str(exc))
        if not batch.events:
            return IntakeResult(200, detail="handshake")
        keys = [f"body:{hashlib.sha256(body).hexdigest()}"]
        if batch.last_event_sequence > 0:
            keys.append(f"sequence:{batch.first_event_sequence}-{batch.last_event_sequence}")
        tenant = str(books.settings.get("tenant_id") or "")
        intake = xero_intake(integration.flows, batch.changed(tenant))
        return self._hand_on(integration, intake, keys)

    def zoho(self, name: str, body: bytes) -> IntakeResult:
        integration = self._integration(name)
        if integration is None:
            return _UNKNOWN
        try:
            note = ZohoNotification.parse(body)
        except ValueError:
            return _UNAUTHORISED  # no token can be read from it either
        expected = known_channel_token(
            self.application.store, integration.crm_connection, integration.name
        )
        if not same_secret(note.token, expected):
            return _UNAUTHORISED
        intake = zoho_intake(integration.flows, note)
        if intake.deleted:
            log.warning(
                "integration %s: Zoho CRM deleted %s %s; deletes are not carried to the books",
                integration.name,
                note.module,
                ", ".join(intake.deleted),
            )
        return self._hand_on(integration, intake, [f"body:{hashlib.sha256(body).hexdigest()}"])

    def _hand_on(
        self, integration: IntegrationRow, intake: Intake, keys: list[str]
    ) -> IntakeResult:
        if not self.replay.first_time(integration.id, keys):
            return IntakeResult(200, intake, replayed=True, detail="already received")
        if integration.state is not IntegrationState.ACTIVE:
            # Polling catches up after the integration is resumed.
            return IntakeResult(
                200, intake, waiting=True, detail=f"integration {integration.state}"
            )
        if intake.changes:
            self.coalescer.add(integration.id, intake.changes)
        return IntakeResult(200, intake)

    def _integration(self, name: str) -> IntegrationRow | None:
        try:
            return self.application.store.integrations.get(name)
        except ConfigError:
            return None
