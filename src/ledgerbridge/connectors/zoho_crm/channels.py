"""Notification channels (``/actions/watch``): what Zoho CRM calls back, and until when."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ledgerbridge.connectors.dates import parse_datetime

# Zoho lets a channel live at most a week; renew before that.
MAX_CHANNEL_LIFE = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Channel:
    channel_id: str
    events: tuple[str, ...]
    notify_url: str
    token: str | None
    expiry: datetime

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "channel_id": int(self.channel_id) if self.channel_id.isdigit() else self.channel_id,
            "events": list(self.events),
            "notify_url": self.notify_url,
            "channel_expiry": expiry_text(self.expiry),
        }
        if self.token is not None:
            out["token"] = self.token
        return out


@dataclass(frozen=True, slots=True)
class ChannelAnswer:
    """Zoho's answer for one channel: ``ok`` with the expiry it granted, or its refusal."""

    channel_id: str
    ok: bool
    message: str
    expiry: datetime | None = None


def expiry_text(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValueError("a channel expiry must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def channel_answer(channel_id: str, raw: Mapping[str, Any]) -> ChannelAnswer:
    ok = str(raw.get("status")) == "success"
    expiry = None
    details = raw.get("details") or {}
    events = details.get("events") if isinstance(details, Mapping) else None
    if ok and isinstance(events, list) and events and isinstance(events[0], Mapping):
        stamp = events[0].get("channel_expiry")
        expiry = parse_datetime(str(stamp)) if stamp else None
    message = str(raw.get("message") or raw.get("code") or "")
    if not ok and isinstance(details, Mapping) and details.get("api_name"):
        message = f"{message} ({details['api_name']})"
    return ChannelAnswer(channel_id, ok, message, expiry)


def listed_channel(raw: Mapping[str, Any]) -> Channel:
    return Channel(
        channel_id=str(raw["channel_id"]),
        events=tuple(str(e) for e in raw.get("events") or ()),
        notify_url=str(raw.get("notify_url") or ""),
        token=str(raw["token"]) if raw.get("token") is not None else None,
        expiry=parse_datetime(str(raw["channel_expiry"])),
    )
