"""What the REST API reads and answers, as pydantic models (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from ledgerbridge.domain.config import (
    Direction,
    FieldRule,
    FlowConfig,
    IntegrationConfig,
    ScheduleConfig,
)
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunKind, RunStatus, RunSummary
from ledgerbridge.engine.lifecycle import Keep
from ledgerbridge.engine.model import SyncRequest, Window, WindowKind
from ledgerbridge.store import IntegrationState


class WindowIn(BaseModel):
    """Which changes a run reads: since the last run, the last ``days`` days, or everything."""

    model_config = ConfigDict(extra="forbid")

    kind: WindowKind = WindowKind.SINCE_LAST
    days: int | None = Field(default=None, ge=1, description="With kind `days`: 1 or more.")

    @model_validator(mode="after")
    def _days_with_kind(self) -> Self:
        if self.kind is WindowKind.DAYS and self.days is None:
            raise ValueError('kind "days" needs "days": a whole number, 1 or more')
        if self.kind is not WindowKind.DAYS and self.days is not None:
            raise ValueError(f'"days" goes with kind "days", not "{self.kind.value}"')
        return self

    def window(self) -> Window:
        return Window(self.kind, self.days)


class SyncIn(BaseModel):
    """A run to queue; every field is optional."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "flows": ["accounts"],
                    "direction": "crm_to_books",
                    "window": {"kind": "days", "days": 7},
                    "email_summary": True,
                }
            ]
        },
    )

    flows: list[str] = Field(
        default_factory=list, description="Only these flows; empty: every enabled flow."
    )
    direction: Direction = Direction.BOTH
    window: WindowIn = Field(default_factory=WindowIn)
    email_summary: bool = Field(
        default=False, description="E-mail a summary to the integration's address afterwards."
    )

    def request(self) -> SyncRequest:
        return SyncRequest(
            flows=tuple(dict.fromkeys(self.flows)),
            direction=self.direction,
            window=self.window.window(),
            email_summary=self.email_summary,
        )


_RUN_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "integration": "acme",
    "kind": "manual",
    "status": "partial",
    "dry_run": False,
    "started_at": "2026-11-21T16:02:11Z",
    "finished_at": "2026-11-21T16:03:40Z",
    "request": {"flows": [], "direction": "both", "window": {"kind": "since_last"}},
    "counts": {"accounts": {"crm": {"created": 3, "failed": 1}}},
    "error": None,
}
_ITEM_EXAMPLE: dict[str, Any] = {
    "flow": "accounts",
    "side": "crm",
    "record_id": "5725767000000412001",
    "partner_id": None,
    "outcome": "failed",
    "reason": "Account has no Account_Name: Xero needs a contact name",
    "label": "(no name)",
}


class SyncQueued(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "queued": True,
                    "integration": "acme",
                    "flows": ["accounts"],
                    "direction": "both",
                    "window": {"kind": "days", "days": 7},
                    "email_summary": False,
                }
            ]
        }
    )

    queued: Literal[True] = True
    integration: str
    flows: list[str]
    direction: Direction
    window: WindowIn
    email_summary: bool


class RecordQueued(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "queued": True,
                    "integration": "acme",
                    "flow": "accounts",
                    "side": "crm",
                    "record_id": "5725767000000412001",
                }
            ]
        }
    )

    queued: Literal[True] = True
    integration: str
    flow: str
    side: Side
    record_id: str


class RunOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN_EXAMPLE]})

    id: int
    integration: str
    kind: RunKind
    status: RunStatus
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    request: dict[str, Any]
    counts: dict[str, Any]
    error: str | None

    @classmethod
    def of(cls, run: RunSummary) -> RunOut:
        return cls(
            id=run.id,
            integration=run.integration,
            kind=run.kind,
            status=run.status,
            dry_run=run.dry_run,
            started_at=run.started_at,
            finished_at=run.finished_at,
            request=dict(run.request),
            counts=dict(run.counts),
            error=run.error,
        )


class RunItemOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM_EXAMPLE]})

    flow: str
    side: Side
    record_id: str
    partner_id: str | None
    outcome: Outcome
    reason: str
    label: str

    @classmethod
    def of(cls, item: RunItem) -> RunItemOut:
        return cls(
            flow=item.flow,
            side=item.side,
            record_id=item.record_id,
            partner_id=item.partner_id,
            outcome=item.outcome,
            reason=item.reason,
            label=item.label,
        )


class RunDetail(RunOut):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_RUN_EXAMPLE, "notice": None, "items": [_ITEM_EXAMPLE]}]}
    )

    notice: str | None
    items: list[RunItemOut]


class FieldError(BaseModel):
    field: str = Field(examples=["window.days"])
    message: str = Field(examples=["Input should be greater than or equal to 1"])


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "no integration named 'acme'; `GET /api/v1/integrations` lists "
                    "the ones you can see",
                }
            ]
        }
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(description="What was wrong and what to do about it.")
    errors: list[FieldError] | None = Field(
        default=None, description="With 422: each bad field as a client writes it."
    )


# -- connections -------------------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("a setting is text, a number, true, false or null")


# One error for a bad value (a union would report one per member type).
SettingValue = Annotated[
    Any,
    AfterValidator(_scalar),
    WithJsonSchema({"type": ["string", "number", "boolean", "null"]}),
]
ConnectionNameField = Field(
    pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",
    description="Letters, digits, `_`, `.` or `-`; 1 to 63 characters.",
)


class ConnectionIn(BaseModel):
    """A connection to add: its name, its system and its non-secret settings."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "xero",
                    "system": "xero",
                    "settings": {"client_id": "9F1C...", "tenant_id": "70784a63-..."},
                }
            ]
        },
    )

    name: str = ConnectionNameField
    system: Literal["zoho_crm", "xero", "zoho_books", "memory"]
    settings: dict[str, SettingValue] = Field(default_factory=dict)


class ConnectionSettingsIn(BaseModel):
    """A connection's non-secret settings; they replace the stored ones."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"settings": {"client_id": "1000.AB12", "dc": "eu"}}]},
    )

    settings: dict[str, SettingValue]


class SecretIn(BaseModel):
    """One secret of a connection; it is stored encrypted and never answered back."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"value": "s3cr3t"}]})

    value: str = Field(min_length=1, max_length=4096)


class ConnectionOut(BaseModel):
    """A connection without its secrets: only the names of the secrets that are set are shown."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "xero",
                    "system": "xero",
                    "settings": {"client_id": "9F1C...", "tenant_id": "70784a63-..."},
                    "connected": True,
                    "secrets_set": ["client_secret", "tokens", "webhook_key"],
                    "used_by": ["acme"],
                    "created_at": "2026-11-20T09:30:00Z",
                    "updated_at": "2026-11-21T16:02:11Z",
                }
            ]
        }
    )

    name: str
    system: str
    settings: dict[str, Any]
    connected: bool = Field(description="Whether OAuth tokens are stored (the account is linked).")
    secrets_set: list[str] = Field(description="Names of the secrets that are set, not values.")
    used_by: list[str] = Field(description="Integrations (that you can see) using it.")
    created_at: datetime
    updated_at: datetime


# -- integrations ------------------------------------------------------------------------------


class FlowSummary(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "accounts",
                    "crm_module": "Accounts",
                    "books_module": "Contacts",
                    "direction": "both",
                    "enabled": True,
                    "depends_on": [],
                    "bindings": 412,
                }
            ]
        }
    )

    name: str
    crm_module: str
    books_module: str
    direction: Direction
    enabled: bool
    depends_on: list[str]
    bindings: int = Field(description="Records linked on both sides by this flow.")

    @classmethod
    def of(cls, flow: FlowConfig, bindings: int) -> FlowSummary:
        return cls(
            name=flow.name,
            crm_module=flow.crm_module,
            books_module=flow.books_module,
            direction=flow.direction,
            enabled=flow.enabled,
            depends_on=list(flow.depends_on),
            bindings=bindings,
        )


class IntegrationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "acme",
                    "recipe": "zoho_xero",
                    "state": "active",
                    "crm_connection": "crm",
                    "books_connection": "xero",
                    "notify_email": "books@acme.example",
                    "schedule": {"enabled": True, "interval_minutes": 120},
                    "flows": [
                        {
                            "name": "accounts",
                            "crm_module": "Accounts",
                            "books_module": "Contacts",
                            "direction": "both",
                            "enabled": True,
                            "depends_on": [],
                            "bindings": 412,
                        }
                    ],
                    "created_at": "2026-11-20T09:30:00Z",
                    "updated_at": "2026-11-21T16:02:11Z",
                }
            ]
        }
    )

    name: str
    recipe: str
    state: IntegrationState
    crm_connection: str
    books_connection: str
    notify_email: str | None
    schedule: ScheduleConfig
    flows: list[FlowSummary]
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = Field(
        default_factory=list,
        description="After a change: what may not sync as hoped (a field the system may "
        "refuse, a connection whose fields could not be read).",
    )


class IntegrationCreate(BaseModel):
    """Either a recipe with its options, or a whole config document under ``config``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "acme",
                    "recipe": "zoho_xero",
                    "crm_connection": "crm",
                    "books_connection": "xero",
                    "notify_email": "books@acme.example",
                    "flows": ["accounts", "products", "invoices"],
                },
                {
                    "name": "acme-books",
                    "recipe": "zoho_books",
                    "crm_connection": "crm",
                    "books_connection": "books",
                    "options": {"customers": "accounts_and_contacts", "item_match": "sku"},
                },
                {"config": {"name": "acme", "crm_connection": "crm", "...": "..."}},
            ]
        },
    )

    config: IntegrationConfig | None = Field(
        default=None, description="A whole document as `GET .../config` answers it."
    )
    name: str | None = Field(default=None, description="With a recipe: the new name.")
    recipe: str | None = Field(default=None, description="`zoho_xero`, `zoho_books`, `starter`.")
    crm_connection: str | None = None
    books_connection: str | None = None
    options: dict[str, str] | None = Field(
        default=None,
        description="With a recipe that takes options (`zoho_books`): e.g. "
        '`{"customers": "accounts_and_contacts", "item_match": "sku"}`.',
    )
    notify_email: str | None = None
    schedule: ScheduleConfig | None = None
    flows: list[str] | None = Field(
        default=None,
        description="With a recipe: the flows to enable (the others are kept, disabled); "
        "left out: the recipe's own choice.",
    )

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        recipe_fields = ("name", "recipe", "crm_connection", "books_connection")
        options = (*recipe_fields, "options", "notify_email", "schedule", "flows")
        if self.config is not None:
            extra = [f for f in options if getattr(self, f) is not None]
            if extra:
                raise ValueError(
                    f"give a whole document under config, or a recipe with its options, not "
                    f"both (drop {', '.join(extra)})"
                )
            return self
        missing = [f for f in recipe_fields if getattr(self, f) is None]
        if missing:
            raise ValueError(
                f"a recipe needs name, recipe, crm_connection and books_connection (missing "
                f"{', '.join(missing)}), or give a whole document under config"
            )
        return self


class DeletionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "integration": "acme",
                    "keep": "with-transactions",
                    "bindings_removed": 530,
                    "archived": {"accounts": ["9f1c-77"]},
                    "kept_with_transactions": {"accounts": 211},
                }
            ]
        }
    )

    integration: str
    keep: Keep
    bindings_removed: int
    archived: dict[str, list[str]] = Field(description="Per flow, the accounting ids archived.")
    kept_with_transactions: dict[str, int]


class FieldsIn(BaseModel):
    """A flow's field rules; they replace the current ones."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "fields": [
                        {"crm": "Account_Name", "books": "Name"},
                        {"crm": "Phone", "books": "Phones.0.PhoneNumber"},
                        {
                            "crm": "Account_Type",
                            "books": "IsSupplier",
                            "direction": "crm_to_books",
                            "transform": {"kind": "value_map", "map": {"Vendor": True}},
                        },
                    ]
                }
            ]
        },
    )

    fields: tuple[FieldRule, ...]


class FlowChanged(BaseModel):
    """A flow as saved, with what may not sync as hoped."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "flow": {
                        "name": "accounts",
                        "crm_module": "Accounts",
                        "books_module": "Contacts",
                        "fields": [{"crm": "Account_Name", "books": "Name"}],
                    },
                    "warnings": [],
                }
            ]
        }
    )

    flow: FlowConfig
    warnings: list[str] = Field(default_factory=list)


class ScheduleOut(BaseModel):
    """The automatic sync settings and how a person would read them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "schedule": {
                        "enabled": True,
                        "interval_minutes": None,
                        "times": ["07:00", "13:00"],
                        "timezone": "Europe/London",
                        "flows": [],
                        "direction": "both",
                        "email_summary": True,
                    },
                    "description": "at 07:00, 13:00 (Europe/London), both, e-mail summary",
                }
            ]
        }
    )

    schedule: ScheduleConfig
    description: str = Field(examples=["every 120 minutes, both"])
