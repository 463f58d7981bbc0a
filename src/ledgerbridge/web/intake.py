"""Webhooks checked, read and handed on: the logic behind the webhook routes, free of HTTP."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.xero.webhooks import WebhookBatch, signature_valid
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.observability import metrics
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
    # Seconds from each change (the sender's event time) to its arrival here.
    lags: tuple[float, ...] = ()

    @property
    def outcome(self) -> str:
        """What became of the webhook, as the metrics name it."""
        if self.status != 200:
            return "refused"
        if self.replayed:
            return "replayed"
        if self.waiting:
            return "waiting"
        if self.detail == "handshake":
            return "handshake"
        return "queued" if self.queued else "ignored"

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
        return _counted("xero", self._xero(name, body, signature))

    def zoho(self, name: str, body: bytes) -> IntakeResult:
        return _counted("zoho_crm", self._zoho(name, body))

    def _xero(self, name: str, body: bytes, signature: str | None) -> IntakeResult:
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
        lags = _lags(_xero_time(e.event_date_utc) for e in batch.events)
        return self._hand_on(integration, intake, keys, lags)

    def _zoho(self, name: str, body: bytes) -> IntakeResult:
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
        sent = (
            datetime.fromtimestamp(note.server_time / 1000, UTC)
            if note.server_time is not None
            else None
        )
        return self._hand_on(
            integration, intake, [f"body:{hashlib.sha256(body).hexdigest()}"], _lags([sent])
        )

    def _hand_on(
        self,
        integration: IntegrationRow,
        intake: Intake,
        keys: list[str],
        lags: tuple[float, ...] = (),
    ) -> IntakeResult:
        if not self.replay.first_time(integration.id, keys):
            return IntakeResult(200, intake, replayed=True, detail="already received")
        if integration.state is not IntegrationState.ACTIVE:
            # Polling catches up after the integration is resumed.
            return IntakeResult(
                200, intake, waiting=True, detail=f"integration {integration.state}", lags=lags
            )
        if intake.changes:
            self.coalescer.add(integration.id, intake.changes)
        return IntakeResult(200, intake, lags=lags)

    def _integration(self, name: str) -> IntegrationRow | None:
        try:
            return self.application.store.integrations.get(name)
        except ConfigError:
            return None


def _counted(system: str, result: IntakeResult) -> IntakeResult:
    # A replayed webhook's lag says nothing new about the sender; it is not observed again.
    metrics.webhook(system, result.outcome, () if result.replayed else result.lags)
    return result


def _xero_time(raw: str) -> datetime | None:
    """``eventDateUtc``: ISO 8601 in UTC, without a zone suffix."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _lags(times: Iterable[datetime | None]) -> tuple[float, ...]:
    now = datetime.now(UTC)
    return tuple((now - t).total_seconds() for t in times if t is not None)
