"""Xero's webhooks: the signature check and the thin events, read as records to fetch.

Xero signs the raw body: ``x-xero-signature`` = base64(HMAC-SHA256(body, webhook key)). A good
signature must be answered 200 with an empty body within 5 seconds and a bad one 401; that is
also the "intent to receive" handshake. Events only name what changed: the receiver fetches the
records afterwards (``XeroConnector.get_many``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import defaultdict

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SIGNATURE_HEADER = "x-xero-signature"
# Event categories whose records ledgerbridge syncs, by the module they live in.
_MODULES = {"CONTACT": "Contacts", "INVOICE": "Invoices"}


def signature_valid(body: bytes, signature: str | None, webhook_key: str) -> bool:
    """Whether ``signature`` is Xero's for exactly these bytes (compared in constant time)."""
    if not signature:
        return False
    expected = base64.b64encode(
        hmac.new(webhook_key.encode(), body, hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(expected, signature.strip())


class WebhookEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    resource_url: str = Field(alias="resourceUrl")
    resource_id: str = Field(alias="resourceId")
    event_date_utc: str = Field(alias="eventDateUtc")
    event_type: str = Field(alias="eventType")
    event_category: str = Field(alias="eventCategory")
    tenant_id: str = Field(alias="tenantId")
    tenant_type: str = Field(default="ORGANISATION", alias="tenantType")


class WebhookBatch(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    events: tuple[WebhookEvent, ...] = ()
    first_event_sequence: int = Field(default=0, alias="firstEventSequence")
    last_event_sequence: int = Field(default=0, alias="lastEventSequence")
    entropy: str = ""

    @classmethod
    def parse(cls, body: bytes) -> WebhookBatch:
        """The batch in a verified body; ``ValueError`` when it is not one."""
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            raise ValueError(f"not a Xero webhook batch: {exc.error_count()} problems") from exc

    def changed(self, tenant_id: str) -> dict[str, list[str]]:
        """Ids to fetch per module, for one tenant, each once, in the order they came."""
        wanted: dict[str, dict[str, None]] = defaultdict(dict)
        for event in self.events:
            module = _MODULES.get(event.event_category.upper())
            if module is not None and event.tenant_id.lower() == tenant_id.lower():
                wanted[module][event.resource_id] = None
        return {module: list(ids) for module, ids in wanted.items()}
