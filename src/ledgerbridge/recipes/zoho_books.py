"""Zoho CRM <-> Zoho Books: customers, individuals, vendors and items.

Zoho Books keeps customers and vendors, business and individual, in one ``contacts`` module;
each flow here is limited to its own kind by a view on ``contact_type`` and
``customer_sub_type``, and writes that kind on every record it creates. Zoho ERP serves the
same API under ``/erp/v3``, so this recipe serves it unchanged.
"""

from __future__ import annotations

from ledgerbridge.domain.config import (
    ComputedTransform,
    ConflictPolicy,
    ConstantTransform,
    Direction,
    DuplicatePolicy,
    FieldRule,
    FlowConfig,
    IntegrationConfig,
    KeyKind,
    MatchKey,
    RequiredRule,
    ViewFilter,
    WriteBack,
)
from ledgerbridge.domain.records import Side

# The Books field every flow writes its partner's id back to, so a person sees the link.
_BOOKS_ID = WriteBack(to=Side.CRM, field="Books_ID", source_field="@id")


def _kind(contact_type: str, sub_type: str | None = None) -> tuple[FieldRule, ...]:
    """Rules that stamp the Books contact kind on what the flow creates (one-way, constant)."""
    rules = [
        FieldRule(
            books="contact_type",
            direction=Direction.CRM_TO_BOOKS,
            transform=ConstantTransform(value=contact_type),
        )
    ]
    if sub_type is not None:
        rules.append(
            FieldRule(
                books="customer_sub_type",
                direction=Direction.CRM_TO_BOOKS,
                transform=ConstantTransform(value=sub_type),
            )
        )
    return tuple(rules)


def _books_view(contact_type: str, sub_type: str | None = None) -> ViewFilter:
    """Only this flow's kind of Books contact is read: vendors never reach the customer flow."""
    equals: dict[str, str] = {"contact_type": contact_type}
    if sub_type is not None:
        equals["customer_sub_type"] = sub_type
    return ViewFilter(side=Side.BOOKS, equals=equals)


# Customers: business customers <-> Accounts. Duplicates found by Account Name against the
# Customer Display Name (contact_name); the user picks clone, overwrite or skip (overwrite by
# default). Both ways, CRM records first.
CUSTOMERS = FlowConfig(
    name="customers",
    crm_module="Accounts",
    books_module="contacts",
    direction=Direction.BOTH,
    first=Side.CRM,
    match_keys=(MatchKey(crm="Account_Name", books="contact_name", kind=KeyKind.NAME),),
    duplicate_policy=DuplicatePolicy.OVERWRITE,
    conflict_policy=ConflictPolicy.LATEST_WINS,
    fields=(
        FieldRule(crm="Account_Name", books="contact_name"),
        # The company name of a business customer is its display name when it is created.
        FieldRule(
            books="company_name",
            direction=Direction.CRM_TO_BOOKS,
            transform=ComputedTransform(template="{Account_Name}"),
        ),
        FieldRule(crm="Phone", books="phone"),
        FieldRule(crm="Website", books="website"),
        # Receivables: outstanding receivables on the CRM record, read from Books only.
        FieldRule(
            crm="Outstanding_Receivables",
            books="outstanding_receivable_amount",
            direction=Direction.BOOKS_TO_CRM,
        ),
        *_kind("customer", "business"),
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Account_Name",
            message="Account has no Account Name: Zoho Books needs a customer display name",
        ),
    ),
    write_back=(_BOOKS_ID,),
    views=(_books_view("customer", "business"),),
    # Deletions are not carried by default: a deleted counterpart is reported, never recreated.
    propagate_deletes=False,
)

# Individual customers <-> Contacts. Off by default: the user chooses Accounts, Contacts or
# both. Contacts are matched by e-mail (display names of people are not unique).
INDIVIDUALS = FlowConfig(
    name="individuals",
    crm_module="Contacts",
    books_module="contacts",
    direction=Direction.BOTH,
    first=Side.CRM,
    match_keys=(MatchKey(crm="Email", books="email", kind=KeyKind.EMAIL),),
    duplicate_policy=DuplicatePolicy.OVERWRITE,
    fields=(
        FieldRule(crm="First_Name", books="first_name"),
        FieldRule(crm="Last_Name", books="last_name"),
        FieldRule(crm="Email", books="email"),
        FieldRule(crm="Phone", books="phone"),
        # Books needs a display name; a person's is their full name.
        FieldRule(
            books="contact_name",
            direction=Direction.CRM_TO_BOOKS,
            transform=ComputedTransform(template="{First_Name} {Last_Name}"),
        ),
        *_kind("customer", "individual"),
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Email",
            message="Contact has no Email: it is how Zoho Books customers are matched, so "
            "without one every sync could create a duplicate",
        ),
    ),
    write_back=(_BOOKS_ID,),
    views=(_books_view("customer", "individual"),),
    enabled=False,
)

# Vendors <-> Books vendors, the same way as customers: matched by Vendor Name against the
# display name, both ways with CRM records first.
VENDORS = FlowConfig(
    name="vendors",
    crm_module="Vendors",
    books_module="contacts",
    direction=Direction.BOTH,
    first=Side.CRM,
    match_keys=(MatchKey(crm="Vendor_Name", books="contact_name", kind=KeyKind.NAME),),
    duplicate_policy=DuplicatePolicy.OVERWRITE,
    fields=(
        FieldRule(crm="Vendor_Name", books="contact_name"),
        FieldRule(
            books="company_name",
            direction=Direction.CRM_TO_BOOKS,
            transform=ComputedTransform(template="{Vendor_Name}"),
        ),
        FieldRule(crm="Email", books="email"),
        FieldRule(crm="Phone", books="phone"),
        FieldRule(crm="Website", books="website"),
        *_kind("vendor"),
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Vendor_Name",
            message="Vendor has no Vendor Name: Zoho Books needs a vendor display name",
        ),
    ),
    views=(_books_view("vendor"),),
)

# Items <-> Products: duplicates by Name (clone, overwrite or skip); both ways with Books
# records first.
ITEMS = FlowConfig(
    name="items",
    crm_module="Products",
    books_module="items",
    direction=Direction.BOTH,
    first=Side.BOOKS,
    match_keys=(MatchKey(crm="Product_Name", books="name", kind=KeyKind.NAME),),
    duplicate_policy=DuplicatePolicy.OVERWRITE,
    fields=(
        FieldRule(crm="Product_Name", books="name"),
        FieldRule(crm="Product_Code", books="sku"),
        FieldRule(crm="Unit_Price", books="rate"),
        FieldRule(crm="Description", books="description"),
    ),
    required=(
        RequiredRule(
            side=Side.CRM,
            field="Product_Name",
            message="Product has no Product Name: Zoho Books needs an item name",
        ),
    ),
    write_back=(_BOOKS_ID,),
)

# Items matched by SKU against Product_Code instead of by name: overwrite or skip only (a
# clone would break the SKU's uniqueness in Books). Off by default; turn on in place of items.
ITEMS_BY_SKU = ITEMS.model_copy(
    update={
        "name": "items_by_sku",
        "match_keys": (MatchKey(crm="Product_Code", books="sku", kind=KeyKind.CODE),),
        "required": (
            *ITEMS.required,
            RequiredRule(
                side=Side.CRM,
                field="Product_Code",
                message="Product has no Product Code: items are matched by SKU, so give it "
                "the item's SKU",
            ),
        ),
        "enabled": False,
    }
)


def zoho_books_config(
    name: str = "zoho-books", crm_connection: str = "crm", books_connection: str = "books"
) -> IntegrationConfig:
    return IntegrationConfig(
        name=name,
        recipe="zoho_books",
        crm_connection=crm_connection,
        books_connection=books_connection,
        flows=(CUSTOMERS, INDIVIDUALS, VENDORS, ITEMS, ITEMS_BY_SKU),
    )
