"""Module and field metadata of the emulated Zoho CRM organisation (its layout).

The layout is what a fresh Zoho CRM org with the usual integration custom fields looks like.
Two fields are unique here that a fresh org leaves non-unique: ``Products.Product_Code`` and
``Contacts.Email``; writes that repeat them are refused with ``DUPLICATE_DATA`` (real orgs can
mark any text field unique, and many do exactly these). ``Accounts.Account_Name`` is not unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT = "text"
TEXTAREA = "textarea"
EMAIL = "email"
PHONE = "phone"
WEBSITE = "website"
BOOLEAN = "boolean"
INTEGER = "integer"
DOUBLE = "double"
CURRENCY = "currency"
DATE = "date"
DATETIME = "datetime"
PICKLIST = "picklist"
LOOKUP = "lookup"
OWNERLOOKUP = "ownerlookup"
SUBFORM = "subform"
AUTONUMBER = "autonumber"
BIGINT = "bigint"

_JSON_TYPES = {
    TEXT: "string",
    TEXTAREA: "string",
    EMAIL: "string",
    PHONE: "string",
    WEBSITE: "string",
    BOOLEAN: "boolean",
    INTEGER: "integer",
    DOUBLE: "double",
    CURRENCY: "double",
    DATE: "string",
    DATETIME: "string",
    PICKLIST: "string",
    LOOKUP: "jsonobject",
    OWNERLOOKUP: "jsonobject",
    SUBFORM: "jsonarray",
    AUTONUMBER: "string",
    BIGINT: "string",
}

#: fields every module has, set by the server
SYSTEM_FIELDS = ("id", "Created_Time", "Modified_Time", "Created_By", "Modified_By", "Owner")


@dataclass
class FieldDef:
    """One field of a module's layout."""

    api_name: str
    data_type: str
    label: str = ""
    mandatory: bool = False
    custom: bool = False
    read_only: bool = False
    unique: bool = False
    length: int = 255
    lookup_module: str | None = None
    pick_list: tuple[str, ...] = ()
    field_id: str = ""

    @property
    def json_type(self) -> str:
        return _JSON_TYPES[self.data_type]

    @property
    def field_label(self) -> str:
        return self.label or self.api_name.replace("_", " ")


@dataclass
class ModuleDef:
    """One module: its names, its name field (shown in lookups) and its fields."""

    api_name: str
    singular: str
    plural: str
    name_field: str
    module_id: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    #: mandatory groups checked on insert, in answer order
    mandatory: tuple[str, ...] = ()
    #: fields a plain upsert checks for duplicates, in order
    duplicate_check: tuple[str, ...] = ()
    auto_number: tuple[str, str, int] | None = None  # (field, prefix, first number)
    line_items: str | None = None

    def add(self, fdef: FieldDef) -> None:
        self.fields[fdef.api_name] = fdef


def _base_fields(module: ModuleDef) -> None:
    module.add(FieldDef("id", BIGINT, "Record Id", read_only=True))
    module.add(FieldDef("Owner", OWNERLOOKUP, "Record Owner"))
    module.add(FieldDef("Created_Time", DATETIME, read_only=True))
    module.add(FieldDef("Modified_Time", DATETIME, read_only=True))
    module.add(FieldDef("Created_By", OWNERLOOKUP, read_only=True))
    module.add(FieldDef("Modified_By", OWNERLOOKUP, read_only=True))
    module.add(FieldDef("Description", TEXTAREA, length=32000))


def _xero_fields(module: ModuleDef, *, invoice: bool = False) -> None:
    module.add(FieldDef("Add_to_Xero", BOOLEAN, "Add to Xero", custom=True))
    module.add(FieldDef("Xero_ID", TEXT, "Xero ID", custom=True))
    module.add(FieldDef("Add_to_Books", BOOLEAN, "Add to Books", custom=True))
    module.add(FieldDef("Books_ID", TEXT, "Books ID", custom=True))
    if invoice:
        module.add(FieldDef("Xero_Invoice_No", TEXT, "Xero Invoice No.", custom=True))
        module.add(FieldDef("Xero_Invoice_URL", WEBSITE, "Xero Invoice URL", custom=True))
        module.add(
            FieldDef(
                "Branding_Theme",
                PICKLIST,
                "Branding Theme",
                custom=True,
                pick_list=("-None-", "Standard", "Special Projects", "Very orange invoice!"),
            )
        )
        module.add(
            FieldDef(
                "Xero_Status",
                PICKLIST,
                "Xero Status",
                custom=True,
                pick_list=("-None-", "DRAFT", "SUBMITTED", "AUTHORISED", "PAID", "VOIDED"),
            )
        )
        module.add(FieldDef("Amount_Paid", CURRENCY, "Amount Paid", custom=True))
        module.add(FieldDef("Amount_Due", CURRENCY, "Amount Due", custom=True))


def _address(module: ModuleDef, *prefixes: str) -> None:
    for prefix in prefixes:
        for part in ("Street", "City", "State", "Code", "Country"):
            module.add(FieldDef(f"{prefix}_{part}", TEXT))


def default_layout() -> dict[str, ModuleDef]:
    """The six modules an accounting integration touches, with their integration fields."""
    modules: dict[str, ModuleDef] = {}

    accounts = ModuleDef(
        "Accounts",
        "Account",
        "Accounts",
        "Account_Name",
        "6051205000000002175",
        mandatory=("Account_Name",),
        duplicate_check=("Account_Name",),
    )
    _base_fields(accounts)
    accounts.add(FieldDef("Account_Name", TEXT, mandatory=True))
    accounts.add(FieldDef("Account_Number", TEXT, length=40))
    accounts.add(FieldDef("Phone", PHONE, length=30))
    accounts.add(FieldDef("Website", WEBSITE))
    accounts.add(
        FieldDef(
            "Account_Type",
            PICKLIST,
            pick_list=("-None-", "Customer", "Vendor", "Partner", "Prospect", "Other"),
        )
    )
    accounts.add(FieldDef("Currency", PICKLIST, pick_list=("USD", "EUR", "GBP", "AUD", "NZD")))
    _address(accounts, "Billing", "Shipping")
    _xero_fields(accounts)
    accounts.add(
        FieldDef("Outstanding_Receivables", CURRENCY, "Outstanding Receivables", custom=True)
    )
    accounts.add(FieldDef("Total_Sales", CURRENCY, "Total Sales", custom=True))
    modules["Accounts"] = accounts

    contacts = ModuleDef(
        "Contacts",
        "Contact",
        "Contacts",
        "Full_Name",
        "6051205000000002179",
        mandatory=("Last_Name",),
        duplicate_check=("Email",),
    )
    _base_fields(contacts)
    contacts.add(FieldDef("First_Name", TEXT, length=40))
    contacts.add(FieldDef("Last_Name", TEXT, mandatory=True, length=80))
    contacts.add(FieldDef("Full_Name", TEXT, read_only=True))
    contacts.add(FieldDef("Email", EMAIL, unique=True, length=100))
    contacts.add(FieldDef("Secondary_Email", EMAIL, length=100))
    contacts.add(FieldDef("Phone", PHONE, length=30))
    contacts.add(FieldDef("Mobile", PHONE, length=30))
    contacts.add(FieldDef("Title", TEXT, length=100))
    contacts.add(FieldDef("Account_Name", LOOKUP, lookup_module="Accounts"))
    contacts.add(FieldDef("Vendor_Name", LOOKUP, lookup_module="Vendors"))
    # Which of an account's (or vendor's) contacts is its main one (a custom checkbox).
    contacts.add(FieldDef("Primary_Contact", BOOLEAN, "Primary Contact", custom=True))
    _address(contacts, "Mailing")
    _xero_fields(contacts)
    modules["Contacts"] = contacts

    vendors = ModuleDef(
        "Vendors",
        "Vendor",
        "Vendors",
        "Vendor_Name",
        "6051205000000002191",
        mandatory=("Vendor_Name",),
        duplicate_check=("Vendor_Name",),
    )
    _base_fields(vendors)
    vendors.add(FieldDef("Vendor_Name", TEXT, mandatory=True, length=120))
    vendors.add(FieldDef("Email", EMAIL, length=100))
    vendors.add(FieldDef("Phone", PHONE, length=30))
    vendors.add(FieldDef("Website", WEBSITE))
    vendors.add(FieldDef("Currency", PICKLIST, pick_list=("USD", "EUR", "GBP", "AUD", "NZD")))
    _address(vendors, "Billing")
    vendors.add(FieldDef("Street", TEXT))
    vendors.add(FieldDef("City", TEXT))
    vendors.add(FieldDef("Zip_Code", TEXT))
    vendors.add(FieldDef("Country", TEXT))
    _xero_fields(vendors)
    modules["Vendors"] = vendors

    products = ModuleDef(
        "Products",
        "Product",
        "Products",
        "Product_Name",
        "6051205000000002185",
        mandatory=("Product_Name",),
        duplicate_check=("Product_Name",),
    )
    _base_fields(products)
    products.add(FieldDef("Product_Name", TEXT, mandatory=True, length=120))
    products.add(FieldDef("Product_Code", TEXT, unique=True, length=40))
    products.add(FieldDef("Unit_Price", CURRENCY))
    products.add(FieldDef("Taxable", BOOLEAN))
    products.add(
        FieldDef("Tax", PICKLIST, pick_list=("-None-", "Sales Tax", "VAT", "GST", "Exempt"))
    )
    products.add(FieldDef("Product_Active", BOOLEAN))
    products.add(
        FieldDef(
            "Product_Category",
            PICKLIST,
            pick_list=("-None-", "Hardware", "Software", "Services"),
        )
    )
    products.add(FieldDef("Qty_in_Stock", DOUBLE))
    products.add(FieldDef("Vendor_Name", LOOKUP, lookup_module="Vendors"))
    _xero_fields(products)
    modules["Products"] = products

    invoices = ModuleDef(
        "Invoices",
        "Invoice",
        "Invoices",
        "Subject",
        "6051205000000002195",
        mandatory=("Subject", "Account_Name", "Invoiced_Items"),
        duplicate_check=(),
        auto_number=("Invoice_Number", "INV-", 1001),
        line_items="Invoiced_Items",
    )
    _base_fields(invoices)
    _order_fields(invoices, "Invoiced_Items")
    invoices.add(FieldDef("Invoice_Number", AUTONUMBER, read_only=True))
    invoices.add(FieldDef("Invoice_Date", DATE))
    invoices.add(FieldDef("Due_Date", DATE))
    invoices.add(FieldDef("Account_Name", LOOKUP, mandatory=True, lookup_module="Accounts"))
    invoices.add(FieldDef("Contact_Name", LOOKUP, lookup_module="Contacts"))
    invoices.add(
        FieldDef(
            "Status",
            PICKLIST,
            pick_list=("Created", "Approved", "Delivered", "Paid", "Cancelled"),
        )
    )
    _xero_fields(invoices, invoice=True)
    modules["Invoices"] = invoices

    orders = ModuleDef(
        "Purchase_Orders",
        "Purchase Order",
        "Purchase Orders",
        "Subject",
        "6051205000000002199",
        mandatory=("Subject", "Vendor_Name", "Purchase_Items"),
        duplicate_check=(),
        auto_number=("PO_Number", "PO-", 1001),
        line_items="Purchase_Items",
    )
    _base_fields(orders)
    _order_fields(orders, "Purchase_Items")
    orders.add(FieldDef("PO_Number", AUTONUMBER, read_only=True))
    orders.add(FieldDef("PO_Date", DATE))
    orders.add(FieldDef("Due_Date", DATE))
    orders.add(FieldDef("Vendor_Name", LOOKUP, mandatory=True, lookup_module="Vendors"))
    orders.add(FieldDef("Contact_Name", LOOKUP, lookup_module="Contacts"))
    orders.add(
        FieldDef(
            "Status",
            PICKLIST,
            pick_list=("Created", "Approved", "Delivered", "Cancelled"),
        )
    )
    _xero_fields(orders, invoice=True)
    modules["Purchase_Orders"] = orders

    for module in modules.values():
        for index, fdef in enumerate(module.fields.values()):
            fdef.field_id = f"{module.module_id[:13]}{300000 + index:06d}"
    return modules


def _order_fields(module: ModuleDef, items: str) -> None:
    module.add(FieldDef("Subject", TEXT, mandatory=True))
    module.add(FieldDef(items, SUBFORM, items.replace("_", " "), mandatory=True))
    module.add(FieldDef("Sub_Total", CURRENCY, read_only=True))
    module.add(FieldDef("Tax", CURRENCY, read_only=True))
    module.add(FieldDef("Discount", CURRENCY))
    module.add(FieldDef("Adjustment", CURRENCY))
    module.add(FieldDef("Grand_Total", CURRENCY, read_only=True))
    module.add(FieldDef("Currency", PICKLIST, pick_list=("USD", "EUR", "GBP", "AUD", "NZD")))
    module.add(FieldDef("Exchange_Rate", DOUBLE))
    module.add(FieldDef("Terms_and_Conditions", TEXTAREA, length=32000))


def _minified(api_name: str | None, ident: str | None) -> dict[str, Any]:
    return {"api_name": api_name, "id": ident}


def field_json(module: ModuleDef, fdef: FieldDef, modules: dict[str, ModuleDef]) -> dict[str, Any]:
    """The ``/settings/fields`` shape of one field (every key the v8 schema requires)."""
    lookup: dict[str, Any] | None = None
    if fdef.data_type == LOOKUP and fdef.lookup_module:
        target = modules[fdef.lookup_module]
        lookup = {
            "display_label": fdef.field_label,
            "api_name": fdef.api_name,
            "module": {"api_name": target.api_name, "id": target.module_id},
            "id": fdef.field_id,
            "query_details": {},
            "revalidate_filter_during_edit": False,
            "show_fields": [],
        }
    pick_list = [
        {
            "display_value": value,
            "actual_value": value,
            "sequence_number": number,
            "type": "used",
            "id": f"{fdef.field_id[:13]}{400000 + number:06d}",
            "colour_code": None,
            "reference_value": value,
        }
        for number, value in enumerate(fdef.pick_list, start=1)
    ]
    auto_number: dict[str, Any] = {
        "prefix": None,
        "suffix": None,
        "start_number": None,
        "starting_number_length": 0,
    }
    if module.auto_number is not None and module.auto_number[0] == fdef.api_name:
        auto_number = {
            "prefix": module.auto_number[1],
            "suffix": "",
            "start_number": module.auto_number[2],
            "starting_number_length": len(str(module.auto_number[2])),
        }
    minified_module = {"api_name": module.api_name, "id": module.module_id}
    empty_module = _minified(None, None)
    return {
        "associated_module": minified_module,
        "data_type": fdef.data_type,
        "operation_type": {
            "web_update": not fdef.read_only,
            "api_create": not fdef.read_only,
            "web_create": not fdef.read_only,
            "api_update": not fdef.read_only,
        },
        "system_mandatory": fdef.mandatory,
        "webhook": True,
        "sequence_number": 1,
        "blueprint_supported": False,
        "virtual_field": False,
        "field_read_only": fdef.read_only,
        "customizable_properties": [],
        "read_only": fdef.read_only,
        "custom_field": fdef.custom,
        "businesscard_supported": False,
        "filterable": fdef.data_type != SUBFORM,
        "visible": True,
        "available_in_user_layout": True,
        "display_field": fdef.api_name == module.name_field,
        "pick_list_values_sorted_lexically": False,
        "sortable": fdef.data_type != SUBFORM,
        "layout_associations": [
            {"api_name": "Standard", "name": "Standard", "id": f"{module.module_id[:13]}091055"}
        ],
        "separator": False,
        "searchable": fdef.data_type not in (SUBFORM, BOOLEAN),
        "enable_colour_code": False,
        "mass_update": not fdef.read_only,
        "json_type": fdef.json_type,
        "created_source": "default" if not fdef.custom else "crm",
        "type": "used",
        "display_label": fdef.field_label,
        "field_label": fdef.field_label,
        "column_name": fdef.api_name.upper(),
        "api_name": fdef.api_name,
        "display_type": -1,
        "ui_type": 1,
        "colour_code_enabled_by_system": None,
        "length": fdef.length,
        "decimal_place": 2 if fdef.data_type in (CURRENCY, DOUBLE) else None,
        "quick_sequence_number": "1",
        "email_parser": {"fields_update_supported": False, "record_operations_supported": False},
        "rollup_summary": None,
        "refer_from_field": {"id": None, "api_name": None},
        "created_time": None,
        "modified_time": None,
        "show_type": 7,
        "category": 0,
        "id": fdef.field_id,
        "multi_module_lookup": None,
        "sharing_properties": {},
        "currency": {} if fdef.data_type == CURRENCY else None,
        "file_upolad_optionlist": [],
        "lookup": lookup,
        "profiles": [],
        "view_type": {
            "view": True,
            "edit": not fdef.read_only,
            "quick_create": False,
            "create": True,
        },
        "unique": {"casesensitive": False} if fdef.unique else None,
        "sub_module": empty_module,
        "subform": {"module": fdef.api_name} if fdef.data_type == SUBFORM else None,
        "external": {"show": False, "type": None},
        "formula": None,
        "convert_mapping": {},
        "multiselectlookup": None,
        "multiuserlookup": {
            "display_label": None,
            "linking_module": empty_module,
            "connected_module": empty_module,
            "lookup_apiname": None,
            "api_name": None,
            "connectedfield_apiname": None,
            "connectedlookup_apiname": None,
            "id": None,
            "record_access": None,
        },
        "autonumber": auto_number,
        "auto_number": auto_number if fdef.data_type == AUTONUMBER else None,
        "pick_list_values": pick_list,
        "crypt": {"mode": None, "status": None},
        "tooltip": {"name": "", "value": ""},
        "history_tracking": {"module": {}, "duration_configured_field": empty_module},
        "association_details": {"related_field": empty_module, "lookup_field": empty_module},
        "allowed_modules": [],
        "additional_column": None,
        "common.picklist": None,
        "hipaa_compliance_enabled": None,
        "hipaa_compliance": {"restricted_in_export": None, "restricted": None},
        "_update_existing_records": False,
        "number_separator": False,
        "textarea": {"type": "large"} if fdef.data_type == TEXTAREA else {},
        "static_field": False,
    }
