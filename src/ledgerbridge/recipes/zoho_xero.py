"""The Zoho CRM + Xero recipe: accounts and vendors (with their contacts), products, invoices
and purchase orders, and the accounts' key figures back in the CRM.

Each rule below names the product rule it carries; docs/recipes.md lists them all. Accounts
and vendors share Xero's one list of contacts: each flow's binding is the origin marker, so a
supplier's contact is never taken for a customer's. Contacts are not a flow of their own: they
are gathered under their account or vendor (``related``) and sent as the Xero contact's name,
e-mail and contact persons.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledgerbridge.domain.config import (
    ComputedTransform,
    ConflictPolicy,
    ConstantTransform,
    DefaultTransform,
    Direction,
    DuplicatePolicy,
    FieldRule,
    FigureRule,
    FlowConfig,
    IntegrationConfig,
    KeyKind,
    LookupTransform,
    MatchKey,
    RelatedConfig,
    RequiredRule,
    ValueMapTransform,
    ViewCondition,
    ViewFilter,
    ViewOperator,
    WriteBack,
)
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side

# CRM tax picklist -> Xero tax types of a default (GST) organisation. Each run reads the
# organisation's tax rates: an entry whose tax type it lacks is dropped, and a CRM Tax named
# like an active sales tax rate (its name or tax type) maps to it. A value neither covers fails
# the product with the value named, so no item reaches Xero with a tax rate it refuses.
PRODUCT_TAX = {"GST": "OUTPUT", "Exempt": "EXEMPTOUTPUT"}
# Revenue account the items sell into: Xero requires an account code on sales details.
SALES_ACCOUNT_CODE = "200"
# Purchases go to cost of goods sold.
PURCHASE_ACCOUNT_CODE = "310"


# Only records a person ticked "Add to Xero" on are in scope. A view, not a required rule:
# an unticked record is left alone quietly, and a missing name on it is not reported as a
# failure (required-rule failures are checked before skips).
ADD_TO_XERO = ViewFilter(side=Side.CRM, equals={"Add_to_Xero": True})

# Archived Xero contacts (ours, after a deletion, or archived by a person) are history: never
# matched, never brought back to the CRM as new records.
ACTIVE_CONTACTS = ViewFilter(
    side=Side.BOOKS,
    conditions=(
        ViewCondition(field="ContactStatus", operator=ViewOperator.NOT_EQUAL, value="ARCHIVED"),
    ),
)

# Records Xero sends to the CRM are ticked, so the CRM side of their binding stays in view.
ADDED_FROM_XERO = FieldRule(
    crm="Add_to_Xero", direction=Direction.BOOKS_TO_CRM, transform=ConstantTransform(value=True)
)


# Xero keeps customers and suppliers in one list of contacts. A supplier made in Xero (a bill
# or purchase order made it one, and no sale a customer) bound to nothing is not pulled into
# CRM Accounts: vendors go from the CRM to Xero only. A contact bound to an account keeps
# syncing whatever Xero counts it as.
SUPPLIERS_STAY_IN_XERO = RequiredRule(
    side=Side.BOOKS,
    field="IsCustomer",
    check="true",
    when=(ViewCondition(field="IsSupplier", operator=ViewOperator.EQUALS, value=True),),
    unbound_only=True,
    skip=True,
    message="a supplier in Xero; vendors go from the CRM to Xero only",
)


def _xero_id_write_back() -> WriteBack:
    # Every CRM record we create in Xero (or link to) keeps its Xero ID.
    return WriteBack(to=Side.CRM, field="Xero_ID", source_field="@id")


# Xero keeps five contact persons besides the contact's own name and e-mail.
XERO_CONTACT_PERSONS = 5


def _contacts(parent_field: str, parent: str) -> RelatedConfig:
    """CRM contacts gathered under their account (or vendor) and sent as one Xero contact."""
    return RelatedConfig(
        name="contacts",
        crm_module="Contacts",
        parent_field=parent_field,
        primary_field="Primary_Contact",
        fields=("First_Name", "Last_Name", "Email", "Primary_Contact"),
        required=(
            RequiredRule(
                side=Side.CRM,
                field="Email",
                message="Contact has no Email: it is the unique key of a contact person, "
                "without it Xero would get it again on every sync; add an e-mail",
            ),
        ),
        max_others=XERO_CONTACT_PERSONS,
        orphan_message="Contact has no Account (nor Vendor): a contact syncs as a person of "
        f"its account's (or vendor's) Xero contact; pick its {parent}",
    )


def _person_fields() -> tuple[FieldRule, ...]:
    """The primary contact fills the Xero contact's name and e-mail, the others its persons."""
    one_way = Direction.CRM_TO_BOOKS
    return (
        FieldRule(crm="@contacts.primary.First_Name", books="FirstName", direction=one_way),
        FieldRule(crm="@contacts.primary.Last_Name", books="LastName", direction=one_way),
        FieldRule(crm="@contacts.primary.Email", books="EmailAddress", direction=one_way),
        FieldRule(
            crm="@contacts.others",
            books="ContactPersons",
            direction=one_way,
            max_items=XERO_CONTACT_PERSONS,
            children=(
                FieldRule(crm="First_Name", books="FirstName", direction=one_way),
                FieldRule(crm="Last_Name", books="LastName", direction=one_way),
                FieldRule(crm="Email", books="EmailAddress", direction=one_way),
            ),
        ),
    )


ACCOUNTS = FlowConfig(
    name="accounts",
    crm_module="Accounts",
    books_module="Contacts",
    # Match: binding first (the engine), then ContactNumber = CRM id, then the normalised name.
    match_keys=(
        MatchKey(crm="id", books="ContactNumber", kind=KeyKind.CODE),
        MatchKey(crm="Account_Name", books="Name", kind=KeyKind.NAME),
    ),
    # A name clash is reported, not overwritten: the person picks which record is the partner
    # (rename one, or bind them by hand).
    duplicate_policy=DuplicatePolicy.SKIP,
    conflict_policy=ConflictPolicy.LATEST_WINS,
    fields=(
        FieldRule(crm="Account_Name", books="Name"),
        # ContactNumber carries the CRM id of the account we created it from.
        FieldRule(
            books="ContactNumber",
            direction=Direction.CRM_TO_BOOKS,
            transform=ComputedTransform(template="{id}"),
        ),
        ADDED_FROM_XERO,
        *_person_fields(),
    ),
    related=(_contacts("Account_Name", "Account"),),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Account_Name",
            message="Account has no Account_Name: Xero needs a contact name",
        ),
        SUPPLIERS_STAY_IN_XERO,
    ),
    write_back=(_xero_id_write_back(),),
    views=(ADD_TO_XERO, ACTIVE_CONTACTS),
    # Kept current after every run that touched the account or one of its invoices.
    figures=(
        FigureRule(figure="receivables_outstanding", crm="Outstanding_Receivables"),
        FigureRule(figure="sales_total", crm="Total_Sales"),
    ),
)

VENDORS = FlowConfig(
    name="vendors",
    crm_module="Vendors",
    books_module="Contacts",
    match_keys=(
        MatchKey(crm="id", books="ContactNumber", kind=KeyKind.CODE),
        MatchKey(crm="Vendor_Name", books="Name", kind=KeyKind.NAME),
    ),
    duplicate_policy=DuplicatePolicy.SKIP,
    # Xero contacts are one list for customers and suppliers; the vendor flow only reads the
    # CRM side, so a Xero customer is never pulled into CRM Vendors.
    direction=Direction.CRM_TO_BOOKS,
    fields=(
        FieldRule(crm="Vendor_Name", books="Name"),
        FieldRule(
            books="ContactNumber",
            direction=Direction.CRM_TO_BOOKS,
            transform=ComputedTransform(template="{id}"),
        ),
        *_person_fields(),
    ),
    related=(_contacts("Vendor_Name", "Vendor"),),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Vendor_Name",
            message="Vendor has no Vendor_Name: Xero needs a contact name",
        ),
    ),
    write_back=(_xero_id_write_back(),),
    views=(ADD_TO_XERO, ACTIVE_CONTACTS),
)

PRODUCTS = FlowConfig(
    name="products",
    crm_module="Products",
    books_module="Items",
    # Product_Code is the unique key on both sides (Xero's item Code).
    match_keys=(MatchKey(crm="Product_Code", books="Code", kind=KeyKind.CODE),),
    duplicate_policy=DuplicatePolicy.OVERWRITE,
    conflict_policy=ConflictPolicy.LATEST_WINS,
    fields=(
        FieldRule(crm="Product_Name", books="Name"),
        FieldRule(crm="Product_Code", books="Code"),
        # Xero refuses a null price; an unpriced product is sold at 0 until someone prices it.
        FieldRule(
            crm="Unit_Price", books="SalesDetails.UnitPrice", transform=DefaultTransform(value=0)
        ),
        # A tax that maps to no valid Xero rate fails the product with the value named.
        FieldRule(
            crm="Tax",
            books="SalesDetails.TaxType",
            direction=Direction.CRM_TO_BOOKS,
            transform=ValueMapTransform(map=PRODUCT_TAX, catalogue="tax_rates"),
        ),
        # The GL account code the item sells into.
        FieldRule(
            books="SalesDetails.AccountCode",
            direction=Direction.CRM_TO_BOOKS,
            transform=ConstantTransform(value=SALES_ACCOUNT_CODE),
        ),
        ADDED_FROM_XERO,
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Product_Name",
            message="Product has no Product_Name: Xero needs an item name",
        ),
        RequiredRule(
            side=Side.CRM,
            field="Product_Code",
            message="Product has no Product_Code: it is the unique key Xero matches items by; "
            "give it a unique code",
        ),
        RequiredRule(
            side=Side.CRM,
            field="Taxable",
            check="true",
            message="Product is not marked Taxable: Xero needs a tax rate on every sold item; "
            "tick Taxable and pick a Tax",
        ),
        RequiredRule(
            side=Side.CRM,
            field="Tax",
            check="one_of",
            values=tuple(PRODUCT_TAX),
            message="Product has no Tax that maps to a Xero tax rate: pick one of "
            + ", ".join(PRODUCT_TAX),
        ),
    ),
    write_back=(_xero_id_write_back(),),
    views=(ADD_TO_XERO,),
)

INVOICES = FlowConfig(
    name="invoices",
    crm_module="Invoices",
    books_module="Invoices",
    # CRM invoice number <-> Xero InvoiceNumber.
    match_keys=(MatchKey(crm="Invoice_Number", books="InvoiceNumber", kind=KeyKind.CODE),),
    duplicate_policy=DuplicatePolicy.SKIP,
    conflict_policy=ConflictPolicy.CRM_WINS,
    # The account (and every product on the lines) is synced first.
    depends_on=("accounts", "products"),
    direction=Direction.BOTH,
    # Invoices start in the CRM (their lines need CRM products); Xero sends its answers back.
    creates=Direction.CRM_TO_BOOKS,
    fields=(
        FieldRule(crm="Invoice_Number", books="InvoiceNumber", direction=Direction.CRM_TO_BOOKS),
        FieldRule(crm="Subject", books="Reference"),
        # The invoice's own dates, not the day it reached Xero: they set its period and terms.
        FieldRule(crm="Invoice_Date", books="Date"),
        FieldRule(crm="Due_Date", books="DueDate"),
        FieldRule(
            crm="Account_Name",
            books="Contact",
            transform=LookupTransform(flow="accounts", crm_id_path="id", books_id_path="ContactID"),
        ),
        FieldRule(
            books="Type",
            direction=Direction.CRM_TO_BOOKS,
            transform=ConstantTransform(value="ACCREC"),
        ),
        # From Xero: status, amount paid, amount due.
        FieldRule(crm="Xero_Status", books="Status", direction=Direction.BOOKS_TO_CRM),
        FieldRule(crm="Amount_Paid", books="AmountPaid", direction=Direction.BOOKS_TO_CRM),
        FieldRule(crm="Amount_Due", books="AmountDue", direction=Direction.BOOKS_TO_CRM),
        # Every line needs a product bound by the products flow (so it has a code and a tax):
        # an unbound product fails the invoice with the product named.
        FieldRule(
            crm="Invoiced_Items",
            books="LineItems",
            direction=Direction.CRM_TO_BOOKS,
            children=(
                FieldRule(
                    crm="Product_Name",
                    books="ItemCode",
                    direction=Direction.CRM_TO_BOOKS,
                    transform=LookupTransform(
                        flow="products", crm_id_path="id", books_key="Code", books_id_path=""
                    ),
                ),
                FieldRule(crm="Quantity", books="Quantity", direction=Direction.CRM_TO_BOOKS),
                FieldRule(crm="List_Price", books="UnitAmount", direction=Direction.CRM_TO_BOOKS),
                FieldRule(crm="Description", books="Description", direction=Direction.CRM_TO_BOOKS),
            ),
        ),
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Account_Name",
            message="Invoice has no Account: pick the customer account on the invoice",
        ),
    ),
    # Write back Xero ID and Xero Invoice No.
    write_back=(
        _xero_id_write_back(),
        WriteBack(to=Side.CRM, field="Xero_Invoice_No", source_field="InvoiceNumber"),
    ),
    views=(ADD_TO_XERO, ViewFilter(side=Side.BOOKS, equals={"Type": "ACCREC"})),
    # Derived in Xero, written to the CRM after each run that read the invoice: the online
    # invoice link (once approved) and the branding theme's name.
    figures=(
        FigureRule(figure="online_invoice_url", crm="Xero_Invoice_URL"),
        FigureRule(figure="branding_theme", crm="Branding_Theme"),
    ),
)

PURCHASE_ORDERS = FlowConfig(
    name="purchase_orders",
    crm_module="Purchase_Orders",
    books_module="PurchaseOrders",
    match_keys=(MatchKey(crm="PO_Number", books="PurchaseOrderNumber", kind=KeyKind.CODE),),
    duplicate_policy=DuplicatePolicy.SKIP,
    conflict_policy=ConflictPolicy.CRM_WINS,
    # The vendor (and the products) first.
    depends_on=("vendors", "products"),
    direction=Direction.BOTH,
    # Orders start in the CRM (their lines need CRM products); Xero sends its status back. An
    # order made in Xero is reported, not half-copied into a CRM that requires lines.
    creates=Direction.CRM_TO_BOOKS,
    fields=(
        FieldRule(crm="PO_Number", books="PurchaseOrderNumber", direction=Direction.CRM_TO_BOOKS),
        FieldRule(crm="Subject", books="Reference"),
        FieldRule(crm="PO_Date", books="Date"),
        FieldRule(crm="Due_Date", books="DeliveryDate"),
        FieldRule(
            crm="Vendor_Name",
            books="Contact",
            direction=Direction.CRM_TO_BOOKS,
            transform=LookupTransform(flow="vendors", crm_id_path="id", books_id_path="ContactID"),
        ),
        FieldRule(crm="Xero_Status", books="Status", direction=Direction.BOOKS_TO_CRM),
        FieldRule(
            crm="Purchase_Items",
            books="LineItems",
            direction=Direction.CRM_TO_BOOKS,
            children=(
                FieldRule(
                    crm="Product_Name",
                    books="ItemCode",
                    direction=Direction.CRM_TO_BOOKS,
                    transform=LookupTransform(
                        flow="products", crm_id_path="id", books_key="Code", books_id_path=""
                    ),
                ),
                FieldRule(crm="Quantity", books="Quantity", direction=Direction.CRM_TO_BOOKS),
                FieldRule(crm="List_Price", books="UnitAmount", direction=Direction.CRM_TO_BOOKS),
                FieldRule(
                    books="AccountCode",
                    direction=Direction.CRM_TO_BOOKS,
                    transform=ConstantTransform(value=PURCHASE_ACCOUNT_CODE),
                ),
            ),
        ),
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Vendor_Name",
            message="Purchase order has no Vendor: pick the vendor on the order",
        ),
    ),
    write_back=(
        _xero_id_write_back(),
        WriteBack(to=Side.CRM, field="Xero_Invoice_No", source_field="PurchaseOrderNumber"),
    ),
    views=(ADD_TO_XERO,),
    figures=(FigureRule(figure="branding_theme", crm="Branding_Theme"),),
)


# Options of the recipe: values (the first is the default) and meaning.
OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "archive": (
        ("no", "yes"),
        "an account or vendor deleted in the CRM archives its Xero contact "
        "(ContactStatus ARCHIVED); without it the contact is kept and the deletion reported",
    ),
}


def zoho_xero_config(
    name: str = "zoho-xero",
    crm_connection: str = "crm",
    books_connection: str = "xero",
    options: Mapping[str, str] | None = None,
) -> IntegrationConfig:
    chosen = {k: v[0][0] for k, v in OPTIONS.items()}
    for key, value in (options or {}).items():
        if key not in OPTIONS:
            raise ConfigError(
                f"zoho_xero has no option {key!r}; its options are: {', '.join(OPTIONS)}"
            )
        allowed = OPTIONS[key][0]
        if value not in allowed:
            raise ConfigError(
                f"option {key} cannot be {value!r}; choose one of: {', '.join(allowed)}"
            )
        chosen[key] = value
    archive = chosen["archive"] == "yes"
    contacts = tuple(
        f.model_copy(update={"propagate_deletes": archive}) for f in (ACCOUNTS, VENDORS)
    )
    return IntegrationConfig(
        name=name,
        recipe="zoho_xero",
        crm_connection=crm_connection,
        books_connection=books_connection,
        flows=(*contacts, PRODUCTS, INVOICES, PURCHASE_ORDERS),
    )
