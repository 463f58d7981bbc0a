"""Xero's settings records as typed values: tenants, the organisation, tax rates, accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ledgerbridge.connectors.dates import parse_datetime


class _XeroModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


def _when(value: Any) -> Any:
    return parse_datetime(value) if isinstance(value, str) and value else value


class Tenant(_XeroModel):
    """One organisation the user connected to the app (``GET /connections``)."""

    connection_id: str = Field(alias="id")
    tenant_id: str = Field(alias="tenantId")
    tenant_type: str = Field(alias="tenantType")
    tenant_name: str | None = Field(default=None, alias="tenantName")
    created_at: datetime | None = Field(default=None, alias="createdDateUtc")
    updated_at: datetime | None = Field(default=None, alias="updatedDateUtc")

    _dates = field_validator("created_at", "updated_at", mode="before")(_when)


class Organisation(_XeroModel):
    organisation_id: str = Field(alias="OrganisationID")
    name: str = Field(alias="Name")
    base_currency: str = Field(alias="BaseCurrency")
    legal_name: str | None = Field(default=None, alias="LegalName")
    country_code: str | None = Field(default=None, alias="CountryCode")
    short_code: str | None = Field(default=None, alias="ShortCode")
    edition: str | None = Field(default=None, alias="Edition")
    org_class: str | None = Field(default=None, alias="Class")
    timezone: str | None = Field(default=None, alias="Timezone")
    pays_tax: bool | None = Field(default=None, alias="PaysTax")
    is_demo: bool = Field(default=False, alias="IsDemoCompany")

    @property
    def multi_currency(self) -> bool:
        # Xero offers multi-currency on the Premium / Ultimate / Comprehensive plans only.
        plan = (self.org_class or "").upper()
        return plan.startswith(("PREMIUM", "ULTIMATE", "COMPREHENSIVE"))


class TaxRate(_XeroModel):
    tax_type: str = Field(alias="TaxType")
    name: str = Field(alias="Name")
    status: str = Field(default="ACTIVE", alias="Status")
    effective_rate: float = Field(default=0.0, alias="EffectiveRate")
    display_rate: float = Field(default=0.0, alias="DisplayTaxRate")
    report_tax_type: str | None = Field(default=None, alias="ReportTaxType")
    can_apply_to_revenue: bool = Field(default=False, alias="CanApplyToRevenue")
    can_apply_to_expenses: bool = Field(default=False, alias="CanApplyToExpenses")


class Account(_XeroModel):
    account_id: str = Field(alias="AccountID")
    name: str = Field(alias="Name")
    code: str | None = Field(default=None, alias="Code")
    type: str = Field(alias="Type")
    status: str = Field(default="ACTIVE", alias="Status")
    account_class: str | None = Field(default=None, alias="Class")
    tax_type: str | None = Field(default=None, alias="TaxType")
    currency_code: str | None = Field(default=None, alias="CurrencyCode")
    system_account: str | None = Field(default=None, alias="SystemAccount")
    enable_payments: bool = Field(default=False, alias="EnablePaymentsToAccount")


class BrandingTheme(_XeroModel):
    branding_theme_id: str = Field(alias="BrandingThemeID")
    name: str = Field(alias="Name")
    type: str | None = Field(default=None, alias="Type")
    sort_order: int = Field(default=0, alias="SortOrder")
    created_at: datetime | None = Field(default=None, alias="CreatedDateUTC")

    _dates = field_validator("created_at", mode="before")(_when)
