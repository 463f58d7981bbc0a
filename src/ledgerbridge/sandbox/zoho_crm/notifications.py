"""Notification channels (``/actions/watch``) and the callbacks sent when records change.

Changes are batched for a short real-time delay per (channel, module, operation), then POSTed
through the core ``WebhookSender`` as ``{server_time, module, resource_uri, ids, operation,
channel_id, token, affected_fields, query_params}``, like Zoho's thin notifications.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.webhooks import WebhookSender

_EVENT_OF = {"insert": "create", "update": "edit", "delete": "delete"}


@dataclass
class Channel:
    """One registered channel; ``channel_id`` keeps the client's JSON type (number or text)."""

    channel_id: Any
    events: list[str]
    notify_url: str
    token: str | None
    expiry: datetime
    return_affected_field_values: bool = False

    def wants(self, module: str, operation: str) -> bool:
        event = _EVENT_OF[operation]
        for item in self.events:
            name, _, kind = item.partition(".")
            if name.lower() == module.lower() and kind in ("all", event):
                return True
        return False


@dataclass
class _Batch:
    ids: list[str] = field(default_factory=list)
    affected: list[dict[str, list[str]]] = field(default_factory=list)


class Notifier:
    """Holds channels and batches record changes into callbacks."""

    def __init__(self, clock: VirtualClock, sender: WebhookSender, *, delay: float = 0.2) -> None:
        self.clock = clock
        self.sender = sender
        self.delay = delay
        self._lock = threading.Lock()
        self._channels: dict[str, Channel] = {}
        self._pending: dict[tuple[str, str, str, str], _Batch] = {}
        self._timer: threading.Timer | None = None
        self._stopped = False

    # -- channels ----------------------------------------------------------------------------------

    def channels(self) -> list[Channel]:
        with self._lock:
            return list(self._channels.values())

    def get(self, channel_id: Any) -> Channel | None:
        with self._lock:
            return self._channels.get(str(channel_id))

    def put(self, channel: Channel) -> None:
        with self._lock:
            self._channels[str(channel.channel_id)] = channel

    def remove(self, channel_id: Any) -> bool:
        with self._lock:
            return self._channels.pop(str(channel_id), None) is not None

    # -- changes -----------------------------------------------------------------------------------

    def record_change(
        self,
        module: str,
        operation: str,
        ident: str,
        affected: list[str],
        *,
        resource_uri: str,
    ) -> None:
        now = self.clock.now()
        with self._lock:
            if self._stopped:
                return
            for key, channel in self._channels.items():
                if channel.expiry <= now or not channel.wants(module, operation):
                    continue
                batch = self._pending.setdefault((key, module, operation, resource_uri), _Batch())
                batch.ids.append(ident)
                if operation == "update":
                    batch.affected.append({ident: affected})
            if self._pending and self._timer is None:
                self._timer = threading.Timer(self.delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Send every pending batch now."""
        with self._lock:
            pending, self._pending = self._pending, {}
            timer, self._timer = self._timer, None
            channels = dict(self._channels)
        if timer is not None:
            timer.cancel()
        server_time = int(self.clock.timestamp() * 1000)
        for (key, module, operation, resource_uri), batch in pending.items():
            channel = channels.get(key)
            if channel is None:
                continue
            body = {
                "server_time": server_time,
                "query_params": {},
                "module": module,
                "resource_uri": resource_uri,
                "ids": batch.ids,
                "affected_fields": batch.affected,
                "operation": operation,
                "channel_id": channel.channel_id,
                "token": channel.token,
            }
            self.sender.send(channel.notify_url, body)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
