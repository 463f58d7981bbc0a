"""The Zoho Books modules the connector serves, and what each one's API offers."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import FieldInfo, ModuleInfo


@dataclass(frozen=True, slots=True)
class BooksModule:
    """How one module is addressed, filtered and told apart."""

    name: str  # the path and list key: "contacts"
    singular: str  # the key of one record in answers: "contact"
    id_field: str  # "contact_id"
    label: str
    # list parameters that match one field exactly (case-insensitively for text)
    filters: tuple[str, ...]
    # fields the list answer leaves out; only the record's own GET has them
    detail_fields: tuple[str, ...]
    # read details in the change feed when the caller names no fields: a document without its
    # lines is no document, while a contact's list entry has its primary person already
    details_by_default: bool
    # fields the API keeps unique, in the order a lost create is looked up by
    unique: tuple[str, ...]
    # the reference a numberless document is looked up by after a lost create
    parent: str | None
    fields: tuple[FieldInfo, ...]
    # the ``entity`` whose custom fields ``GET /settings/fields`` lists; None: it has none
    custom_entity: str | None = None


def _f(
    name: str,
    kind: str = "text",
    *,
    required: bool = False,
    read_only: bool = False,
    picklist: tuple[str, ...] = (),
    lookup_module: str | None = None,
) -> FieldInfo:
    return FieldInfo(
        name=name,
        label=name.replace("_", " ").capitalize(),
        type=kind,
        required=required,
        read_only=read_only,
        picklist=picklist,
        lookup_module=lookup_module,
    )


_LINE = "subform"

CONTACTS = BooksModule(
    name="contacts",
    singular="contact",
    id_field="contact_id",
    label="Contacts",
    filters=("contact_name", "company_name", "email"),
    detail_fields=("contact_persons", "billing_address", "shipping_address", "notes"),
    details_by_default=False,
    unique=("contact_name",),
    parent=None,
    custom_entity="contact",
    fields=(
        _f("contact_name", required=True),
        _f("company_name"),
        _f("contact_type", "picklist", picklist=("customer", "vendor")),
        _f("customer_sub_type", "picklist", picklist=("business", "individual")),
        _f("first_name"),
        _f("last_name"),
        _f("email", "email"),
        _f("phone", "phone"),
        _f("website"),
        _f("currency_code", "picklist"),
        _f("payment_terms", "number"),
        _f("contact_persons", _LINE),
        _f("billing_address", "address"),
        _f("shipping_address", "address"),
        _f("notes"),
        _f("outstanding_receivable_amount", "decimal", read_only=True),
        _f("outstanding_payable_amount", "decimal", read_only=True),
        _f("status", "picklist", read_only=True, picklist=("active", "inactive")),
        _f("last_modified_time", "datetime", read_only=True),
    ),
)

ITEMS = BooksModule(
    name="items",
    singular="item",
    id_field="item_id",
    label="Items",
    filters=("name", "sku"),
    detail_fields=(),
    details_by_default=False,
    unique=("sku", "name"),
    parent=None,
    custom_entity="item",
    fields=(
        _f("name", required=True),
        _f("sku"),
        _f("description"),
        _f("rate", "decimal"),
        _f("unit"),
        _f("tax_id", "lookup"),
        _f("product_type", "picklist", picklist=("goods", "service", "digital_service")),
        _f("status", "picklist", read_only=True, picklist=("active", "inactive")),
        _f("last_modified_time", "datetime", read_only=True),
    ),
)

INVOICES = BooksModule(
    name="invoices",
    singular="invoice",
    id_field="invoice_id",
    label="Invoices",
    filters=("invoice_number", "customer_id", "customer_name"),
    detail_fields=("line_items", "payments"),
    details_by_default=True,
    unique=("invoice_number",),
    parent="customer_id",
    fields=(
        _f("invoice_number"),
        _f("customer_id", "lookup", required=True, lookup_module="contacts"),
        _f("customer_name", read_only=True),
        _f("date", "date"),
        _f("due_date", "date"),
        _f("reference_number"),
        _f("line_items", _LINE, required=True),
        _f("status", "picklist", read_only=True),
        _f("currency_code", read_only=True),
        _f("sub_total", "decimal", read_only=True),
        _f("tax_total", "decimal", read_only=True),
        _f("total", "decimal", read_only=True),
        _f("balance", "decimal", read_only=True),
        _f("notes"),
        _f("terms"),
        _f("last_modified_time", "datetime", read_only=True),
    ),
)

PURCHASE_ORDERS = BooksModule(
    name="purchaseorders",
    singular="purchaseorder",
    id_field="purchaseorder_id",
    label="Purchase orders",
    filters=("purchaseorder_number", "vendor_id", "vendor_name"),
    detail_fields=("line_items",),
    details_by_default=True,
    unique=("purchaseorder_number",),
    parent="vendor_id",
    fields=(
        _f("purchaseorder_number"),
        _f("vendor_id", "lookup", required=True, lookup_module="contacts"),
        _f("vendor_name", read_only=True),
        _f("date", "date"),
        _f("delivery_date", "date"),
        _f("reference_number"),
        _f("line_items", _LINE, required=True),
        _f("status", "picklist", read_only=True),
        _f("currency_code", read_only=True),
        _f("sub_total", "decimal", read_only=True),
        _f("total", "decimal", read_only=True),
        _f("notes"),
        _f("last_modified_time", "datetime", read_only=True),
    ),
)

MODULES = {m.name: m for m in (CONTACTS, ITEMS, INVOICES, PURCHASE_ORDERS)}


def module(name: str) -> BooksModule:
    found = MODULES.get(name)
    if found is None:
        raise ConfigError(f"zoho_books has no module {name!r}; use one of {', '.join(MODULES)}")
    return found


def module_info(spec: BooksModule, custom: tuple[FieldInfo, ...] = ()) -> ModuleInfo:
    """The module's fields, with the organisation's custom fields (``cf_<name>``) after them."""
    return ModuleInfo(spec.name, spec.label, (*spec.fields, *custom))
