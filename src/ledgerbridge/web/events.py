"""Webhook payloads read as the records each integration's flows must sync."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ledgerbridge.domain.config import FlowConfig
from ledgerbridge.domain.records import Side
from ledgerbridge.jobs.dispatch import RecordChange

# Zoho CRM notification operations; ``delete`` is reported, never carried to the books.
_ZOHO_CHANGES = frozenset({"insert", "update", "create", "edit"})
_ZOHO_DELETES = frozenset({"delete"})


class ZohoNotification(BaseModel):
    """What a Zoho CRM notification channel posts: which records of a module changed how."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    module: str
    ids: tuple[str, ...] = ()
    operation: str
    channel_id: str | int | None = None
    token: str | None = None
    server_time: int | None = None
    affected_fields: tuple[Mapping[str, tuple[str, ...]], ...] = Field(default=())

    @field_validator("ids", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        # Record ids are 19-digit numbers; some senders write them as JSON numbers.
        if isinstance(value, list | tuple):
            return tuple(str(v) if isinstance(v, int) else v for v in value)
        return value

    @classmethod
    def parse(cls, body: bytes) -> ZohoNotification:
        try:
            return cls.model_validate_json(body)
        except ValidationError as exc:
            raise ValueError(f"not a Zoho CRM notification: {exc.error_count()} problems") from exc


@dataclass(frozen=True, slots=True)
class Intake:
    """The records a webhook names, and deletes it reported but did not propagate."""

    changes: tuple[RecordChange, ...] = ()
    deleted: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()  # modules or operations no flow of the integration syncs


def listening_flows(flows: Sequence[FlowConfig], side: Side, module: str) -> list[FlowConfig]:
    """Enabled flows whose ``side`` module is ``module`` and whose changes there are read."""
    wanted = module.casefold()
    out: list[FlowConfig] = []
    for flow in flows:
        name = flow.crm_module if side is Side.CRM else flow.books_module
        if flow.enabled and name.casefold() == wanted and flow.direction.reads(side):
            out.append(flow)
    return out


def xero_intake(flows: Sequence[FlowConfig], changed: Mapping[str, Sequence[str]]) -> Intake:
    """``changed`` is ``WebhookBatch.changed(tenant)``: ids per Xero module."""
    changes: dict[RecordChange, None] = {}
    ignored: list[str] = []
    for module, ids in changed.items():
        targets = listening_flows(flows, Side.BOOKS, module)
        if not targets:
            ignored.append(module)
        for flow in targets:
            for record_id in ids:
                changes[RecordChange(flow.name, Side.BOOKS, record_id)] = None
    return Intake(tuple(changes), ignored=tuple(ignored))


def zoho_intake(flows: Sequence[FlowConfig], note: ZohoNotification) -> Intake:
    operation = note.operation.casefold()
    if operation in _ZOHO_DELETES:
        return Intake(deleted=note.ids)
    targets = listening_flows(flows, Side.CRM, note.module)
    if operation not in _ZOHO_CHANGES or not targets:
        return Intake(ignored=(f"{note.module}.{operation}",))
    changes = {
        RecordChange(flow.name, Side.CRM, record_id): None
        for flow in targets
        for record_id in note.ids
    }
    return Intake(tuple(changes))
