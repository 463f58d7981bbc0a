"""Zoho CRM notification channels: one per integration, registered and renewed before expiry.

Zoho keeps a channel at most a week. ``ensure`` registers a missing channel, and renews one that
has under a day left or whose modules or address changed; ``ChannelRenewal`` runs it for every
integration when ``serve`` starts and every few hours after. The channel's id, modules, address
and expiry are kept in the integration's settings (``zoho_channel``), its token encrypted with
the CRM connection's secrets.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ledgerbridge.bootstrap import App
from ledgerbridge.connectors.dates import parse_datetime
from ledgerbridge.connectors.zoho_crm import ZohoCrmConnector
from ledgerbridge.connectors.zoho_crm.channels import MAX_CHANNEL_LIFE
from ledgerbridge.domain.errors import LedgerbridgeError
from ledgerbridge.domain.records import Side
from ledgerbridge.store import IntegrationRow, IntegrationState
from ledgerbridge.web.credentials import channel_token

log = logging.getLogger(__name__)

SETTINGS_KEY = "zoho_channel"
RENEW_BEFORE = timedelta(hours=24)
RENEW_EVERY = timedelta(hours=6)
# A little under Zoho's week, so that clock drift never makes Zoho refuse the expiry.
_LIFE = MAX_CHANNEL_LIFE - timedelta(minutes=10)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def notify_url(public_url: str, integration: str) -> str:
    return f"{public_url.rstrip('/')}/webhooks/zoho/{integration}"


def channel_events(integration: IntegrationRow) -> tuple[str, ...]:
    """``Module.all`` for each CRM module whose changes an enabled flow reads."""
    modules = {f.crm_module for f in integration.flows if f.enabled and f.direction.reads(Side.CRM)}
    return tuple(f"{module}.all" for module in sorted(modules))


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    integration: str
    action: str  # registered, renewed, kept, skipped, failed
    detail: str = ""
    expiry: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Stored:
    channel_id: str
    events: tuple[str, ...]
    url: str
    expiry: datetime

    @classmethod
    def read(cls, raw: Any) -> _Stored | None:
        if not isinstance(raw, dict) or not raw.get("channel_id"):
            return None
        return cls(
            str(raw["channel_id"]),
            tuple(str(e) for e in raw.get("events") or ()),
            str(raw.get("notify_url") or ""),
            parse_datetime(str(raw["expiry"])),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "events": list(self.events),
            "notify_url": self.url,
            "expiry": self.expiry.isoformat(),
        }


class ChannelKeeper:
    def __init__(
        self,
        application: App,
        public_url: str,
        *,
        clock: Clock = utc_now,
        renew_before: timedelta = RENEW_BEFORE,
    ) -> None:
        self.application = application
        self.public_url = public_url
        self.clock = clock
        self.renew_before = renew_before

    def ensure_all(self) -> list[ChannelStatus]:
        return [self.ensure(i) for i in self.application.store.integrations.list()]

    def ensure(self, integration: IntegrationRow) -> ChannelStatus:
        name = integration.name
        store = self.application.store
        if store.connections.get(integration.crm_connection).system != "zoho_crm":
            return ChannelStatus(name, "skipped", "the CRM connection is not Zoho CRM")
        if integration.state is not IntegrationState.ACTIVE:
            return ChannelStatus(name, "skipped", f"integration {integration.state}")
        events = channel_events(integration)
        if not events:
            return ChannelStatus(name, "skipped", "no flow reads CRM changes")
        url = notify_url(self.public_url, name)
        stored = _Stored.read(store.integrations.settings(name).get(SETTINGS_KEY))
        now = self.clock()
        if (
            stored is not None
            and stored.events == events
            and stored.url == url
            and stored.expiry - now > self.renew_before
        ):
            return ChannelStatus(name, "kept", expiry=stored.expiry)
        try:
            return self._register(integration, stored, events, url, now + _LIFE)
        except LedgerbridgeError as exc:
            log.warning("integration %s: Zoho CRM channel not registered: %s", name, exc)
            return ChannelStatus(name, "failed", str(exc))

    def _register(
        self,
        integration: IntegrationRow,
        stored: _Stored | None,
        events: tuple[str, ...],
        url: str,
        expiry: datetime,
    ) -> ChannelStatus:
        connector = self.application.connector(integration.crm_connection)
        if not isinstance(connector, ZohoCrmConnector):
            return ChannelStatus(integration.name, "skipped", "the CRM connector has no channels")
        token = channel_token(self.application.store, integration.crm_connection, integration.name)
        action = "registered"
        answer = None
        if stored is not None:
            answer = connector.renew(stored.channel_id, events, url, token, expiry)
            action = "renewed"
        if answer is None or not answer.ok:
            # A channel Zoho no longer knows (expired, removed) is registered afresh.
            channel_id = str(10**15 + secrets.randbelow(9 * 10**15))
            answer = connector.watch(channel_id, events, url, token, expiry)
            action = "registered"
        if not answer.ok:
            log.warning(
                "integration %s: Zoho CRM refused the channel: %s", integration.name, answer.message
            )
            return ChannelStatus(integration.name, "failed", answer.message)
        granted = answer.expiry or expiry
        self._save(integration.name, _Stored(answer.channel_id, events, url, granted))
        return ChannelStatus(integration.name, action, expiry=granted)

    def _save(self, name: str, stored: _Stored) -> None:
        integrations = self.application.store.integrations
        settings = integrations.settings(name)
        settings[SETTINGS_KEY] = stored.to_json()
        integrations.update_settings(name, settings)


class ChannelRenewal:
    """Runs ``check`` (``ChannelKeeper.ensure_all``) now and then every ``every``, in a thread."""

    def __init__(
        self, check: Callable[[], Sequence[ChannelStatus]], every: timedelta = RENEW_EVERY
    ) -> None:
        self.check = check
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="zoho-channels", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for status in self.check():
                    log.info(
                        "Zoho CRM channel of %s: %s %s",
                        status.integration,
                        status.action,
                        status.detail,
                    )
            except Exception:
                log.exception("checking Zoho CRM channels failed; trying again later")
            self._stop.wait(self.every.total_seconds())
