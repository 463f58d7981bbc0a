"""A small generic recipe for two in-memory systems: accounts, products and invoices.

It exercises every kind of field rule (renames, value maps, defaults, computed fields, lookups,
nested line items) and runs the demo until a real recipe is chosen.
"""

from __future__ import annotations

from ledgerbridge.domain.config import (
    ComputedTransform,
    ConflictPolicy,
    ConstantTransform,
    DefaultTransform,
    Direction,
    DuplicatePolicy,
    FieldRule,
    FlowConfig,
    IntegrationConfig,
    KeyKind,
    LookupTransform,
    MatchKey,
    RequiredRule,
    ValueMapTransform,
    WriteBack,
)
from ledgerbridge.domain.records import Side

ACCOUNTS = FlowConfig(
    name="accounts",
    crm_module="Accounts",
    books_module="Contacts",
    match_keys=(
        MatchKey(crm="id", books="ContactNumber", kind=KeyKind.CODE),
        MatchKey(crm="Account_Name", books="Name", kind=KeyKind.NAME),
    ),
    duplicate_policy=DuplicatePolicy.OVERWRITE,
    conflict_policy=ConflictPolicy.LATEST_WINS,
    fields=(
        FieldRule(crm="Account_Name", books="Name"),
        FieldRule(crm="Email", books="EmailAddress"),
        FieldRule(crm="Phone", books="Phone"),
        FieldRule(
            crm="Rating",
            books="Tier",
            transform=ValueMapTransform(map={"Hot": "A", "Warm": "B", "Cold": "C"}),
        ),
        FieldRule(crm="Currency", books="DefaultCurrency", transform=DefaultTransform(value="USD")),
        FieldRule(
            books="ContactNumber",
            direction=Direction.CRM_TO_BOOKS,
            transform=ComputedTransform(template="{id}"),
        ),
        FieldRule(crm="Balance", books="Balance", direction=Direction.BOOKS_TO_CRM),
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Account_Name",
            message="Account has no Account_Name: the accounting system needs a name",
        ),
    ),
    write_back=(WriteBack(to=Side.CRM, field="Books_ID", source_field="@id"),),
)

PRODUCTS = FlowConfig(
    name="products",
    crm_module="Products",
    books_module="Items",
    match_keys=(MatchKey(crm="Product_Code", books="Code", kind=KeyKind.CODE),),
    duplicate_policy=DuplicatePolicy.OVERWRITE,
    fields=(
        FieldRule(crm="Product_Name", books="Name"),
        FieldRule(crm="Product_Code", books="Code"),
        FieldRule(crm="Unit_Price", books="SalesDetails.UnitPrice"),
        FieldRule(
            crm="Tax",
            books="SalesDetails.TaxType",
            transform=ValueMapTransform(map={"VAT 20%": "OUTPUT2", "Exempt": "EXEMPTOUTPUT"}),
        ),
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Product_Code",
            message="Product has no Product_Code: it is the key the accounting system "
            "matches items by; give it a unique code",
        ),
    ),
)

INVOICES = FlowConfig(
    name="invoices",
    crm_module="Invoices",
    books_module="Invoices",
    match_keys=(MatchKey(crm="Invoice_Number", books="InvoiceNumber", kind=KeyKind.CODE),),
    duplicate_policy=DuplicatePolicy.SKIP,
    conflict_policy=ConflictPolicy.CRM_WINS,
    depends_on=("accounts", "products"),
    fields=(
        FieldRule(crm="Invoice_Number", books="InvoiceNumber"),
        FieldRule(crm="Subject", books="Reference"),
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
        FieldRule(
            crm="Status",
            books="Status",
            direction=Direction.BOOKS_TO_CRM,
            transform=ValueMapTransform(
                map={"Draft": "DRAFT", "Approved": "AUTHORISED", "Paid": "PAID"},
                default_to_crm="Draft",
                has_default_to_crm=True,
            ),
        ),
        FieldRule(
            crm="Invoiced_Items",
            books="LineItems",
            children=(
                FieldRule(
                    crm="Product_Name",
                    books="ItemCode",
                    transform=LookupTransform(
                        flow="products", crm_id_path="id", books_key="Code", books_id_path=""
                    ),
                    direction=Direction.CRM_TO_BOOKS,
                ),
                FieldRule(crm="Quantity", books="Quantity"),
                FieldRule(crm="List_Price", books="UnitAmount"),
                FieldRule(crm="Description", books="Description"),
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
)


def starter_config(
    name: str = "demo", crm_connection: str = "crm", books_connection: str = "books"
) -> IntegrationConfig:
    return IntegrationConfig(
        name=name,
        recipe="starter",
        crm_connection=crm_connection,
        books_connection=books_connection,
        flows=(ACCOUNTS, PRODUCTS, INVOICES),
    )
