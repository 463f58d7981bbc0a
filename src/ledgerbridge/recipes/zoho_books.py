"""Zoho CRM <-> Zoho Books: customers, individuals, vendors and items.

Zoho Books keeps customers and vendors, business and individual, in one ``contacts`` module;
each flow here is limited to its own kind by a view on ``contact_type`` and
``customer_sub_type``, and writes that kind on every record it creates. Zoho ERP serves the
same API under ``/erp/v3``, so this recipe serves it unchanged.

The builder takes options (``integration create --recipe zoho_books --option KEY=VALUE``);
:data:`OPTIONS` lists them with their values, and a bad one is refused naming the choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ledgerbridge.domain.config import (
    ComputedTransform,
    ConflictPolicy,
    ConstantTransform,
    Direction,
    DuplicatePolicy,
    FieldRule,
    FigureRule,
    FlowConfig,
    IntegrationConfig,
    KeyKind,
    MatchKey,
    RelatedConfig,
    RequiredRule,
    ViewCondition,
    ViewFilter,
    ViewOperator,
    WriteBack,
)
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.related import PRIMARY

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
    # Receivables: outstanding receivables and total sales on the CRM account, refreshed after
    # every run that touched the customer (read from Books, never mapped back).
    figures=(
        FigureRule(figure="receivables_outstanding", crm="Outstanding_Receivables"),
        FigureRule(figure="sales_total", crm="Total_Sales"),
    ),
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
    write_back=(_BOOKS_ID,),
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


# -- options -------------------------------------------------------------------------------------

_POLICIES = ("clone", "overwrite", "skip")
_EXTENTS = ("both", "crm_only", "books_only")
_YES_NO = ("yes", "no")

# Each option, its allowed values (the first is the default) and what it means.
OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "customers": (
        ("accounts", "contacts", "accounts_and_contacts"),
        "Accounts as business customers, Contacts as individual customers, or both",
    ),
    "contacts_without_account": (
        ("no", "yes"),
        "with customers=accounts_and_contacts: also sync contacts that have no account, as "
        "individual customers",
    ),
    "customer_duplicates": (
        ("overwrite", "clone", "skip"),
        "a customer found by display name: link and overwrite it, create another, or skip",
    ),
    "customer_extent": (
        ("both", "crm_only"),
        "customers both ways (CRM first) or fetched from the CRM only",
    ),
    "vendors": (("yes", "no"), "sync Vendors with Books vendors"),
    "vendor_duplicates": (("overwrite", "clone", "skip"), "as customer_duplicates, for vendors"),
    "vendor_extent": (("both", "crm_only"), "as customer_extent, for vendors"),
    "items": (("yes", "no"), "sync Products with Books items"),
    "item_match": (("name", "sku"), "find duplicate items by Name or by SKU = Product Code"),
    "item_duplicates": (
        ("overwrite", "clone", "skip"),
        "an item found by its key: overwrite, clone (by name only) or skip",
    ),
    "item_extent": (
        ("both", "books_only", "crm_only"),
        "items both ways (Books first), from Books only, or from the CRM only",
    ),
    "archive": (
        ("no", "yes"),
        "a record deleted in the CRM marks its Books contact or item inactive",
    ),
    "organization": (
        ("1",),
        "which Books organisation of this CRM this is: 1 syncs both ways, 2 and up CRM -> "
        "Books only, each writing its ids back to Books_ID_<n>",
    ),
}


@dataclass(frozen=True, slots=True)
class BooksOptions:
    """The recipe's options, checked."""

    customers: str = "accounts"
    contacts_without_account: bool = False
    customer_duplicates: DuplicatePolicy = DuplicatePolicy.OVERWRITE
    customer_extent: str = "both"
    vendors: bool = True
    vendor_duplicates: DuplicatePolicy = DuplicatePolicy.OVERWRITE
    vendor_extent: str = "both"
    items: bool = True
    item_match: str = "name"
    item_duplicates: DuplicatePolicy = DuplicatePolicy.OVERWRITE
    item_extent: str = "both"
    archive: bool = False
    organization: int = 1


def parse_options(raw: Mapping[str, str] | None) -> BooksOptions:
    """Check ``raw`` against :data:`OPTIONS`; a bad key or value names what is allowed."""
    values: dict[str, str] = {}
    for key, value in (raw or {}).items():
        name = key.strip().lower().replace("-", "_")
        text = str(value).strip().lower()
        if name not in OPTIONS:
            raise ConfigError(
                f"zoho_books has no option {key!r}; its options are: {', '.join(OPTIONS)}"
            )
        allowed = OPTIONS[name][0]
        if name == "organization":
            if not text.isdigit() or int(text) < 1:
                raise ConfigError(
                    f"option organization must be a whole number from 1 (the first Books "
                    f"organisation of this CRM), not {value!r}"
                )
        elif text not in allowed:
            raise ConfigError(
                f"option {name} cannot be {value!r}; choose one of: {', '.join(allowed)}"
            )
        values[name] = text
    opts = BooksOptions(
        customers=values.get("customers", "accounts"),
        contacts_without_account=values.get("contacts_without_account") == "yes",
        customer_duplicates=DuplicatePolicy(values.get("customer_duplicates", "overwrite")),
        customer_extent=values.get("customer_extent", "both"),
        vendors=values.get("vendors", "yes") == "yes",
        vendor_duplicates=DuplicatePolicy(values.get("vendor_duplicates", "overwrite")),
        vendor_extent=values.get("vendor_extent", "both"),
        items=values.get("items", "yes") == "yes",
        item_match=values.get("item_match", "name"),
        item_duplicates=DuplicatePolicy(values.get("item_duplicates", "overwrite")),
        item_extent=values.get("item_extent", "both"),
        archive=values.get("archive") == "yes",
        organization=int(values.get("organization", "1")),
    )
    if opts.contacts_without_account and opts.customers != "accounts_and_contacts":
        raise ConfigError(
            "option contacts_without_account applies to customers=accounts_and_contacts only"
        )
    return opts


_EXTENT_DIRECTION = {
    "both": Direction.BOTH,
    "crm_only": Direction.CRM_TO_BOOKS,
    "books_only": Direction.BOOKS_TO_CRM,
}


def books_id_field(organization: int) -> str:
    """The CRM field an organisation's ids are written to: two orgs never share one."""
    return "Books_ID" if organization == 1 else f"Books_ID_{organization}"


def _for_org(flow: FlowConfig, opts: BooksOptions, extent: str) -> FlowConfig:
    """Direction, write-back field and archiving of one flow for the chosen options."""
    direction = _EXTENT_DIRECTION[extent]
    if opts.organization > 1:
        # Only the first organisation writes to the CRM: two would fight over every field.
        if direction is Direction.BOOKS_TO_CRM:
            raise ConfigError(
                f"flow {flow.name}: organisation {opts.organization} is not the CRM's first "
                "Books organisation, so it can only receive CRM records (crm_only)"
            )
        direction = Direction.CRM_TO_BOOKS
    field = books_id_field(opts.organization)
    write_back = tuple(
        wb.model_copy(update={"field": field}) if wb.field == "Books_ID" else wb
        for wb in flow.write_back
    )
    return flow.model_copy(
        update={
            "direction": direction,
            "write_back": write_back,
            "propagate_deletes": opts.archive,
            # One organisation's figures on the CRM record; a second's would overwrite them.
            "figures": flow.figures if opts.organization == 1 else (),
        }
    )


def _customer_flows(opts: BooksOptions) -> list[FlowConfig]:
    customers = CUSTOMERS.model_copy(
        update={
            "duplicate_policy": opts.customer_duplicates,
            "enabled": opts.customers in ("accounts", "accounts_and_contacts"),
        }
    )
    individuals = INDIVIDUALS.model_copy(
        update={
            "duplicate_policy": opts.customer_duplicates,
            "enabled": opts.customers == "contacts" or opts.contacts_without_account,
        }
    )
    if opts.contacts_without_account:
        # Contacts of an account are its contact persons; only those with none are people.
        no_account = ViewFilter(
            side=Side.CRM,
            conditions=(ViewCondition(field="Account_Name", operator=ViewOperator.IS_EMPTY),),
        )
        individuals = individuals.model_copy(update={"views": (*individuals.views, no_account)})
    if opts.customers == "accounts_and_contacts":
        customers = _with_contact_person(customers)
    return [
        _for_org(customers, opts, opts.customer_extent),
        _for_org(individuals, opts, opts.customer_extent),
    ]


def _with_contact_person(flow: FlowConfig) -> FlowConfig:
    """Every contact of an account becomes a contact person of its Books customer.

    Books replaces the whole ``contact_persons`` list on an update, so the full list is sent
    each time, the primary contact first and flagged (exactly one; with several contacts and
    none ticked Primary_Contact the earliest stands in, and the run says so). The connector
    keeps each person's ``contact_person_id``, so Books updates its people rather than
    recreating them. A changed contact syncs its account again.
    """
    contacts = RelatedConfig(
        name="contacts",
        crm_module="Contacts",
        parent_field="Account_Name",
        primary_field="Primary_Contact",
        fields=("First_Name", "Last_Name", "Email", "Primary_Contact"),
        orphan_message="Contact has no Account: it syncs as an individual customer only with "
        "contacts_without_account=yes",
    )
    one_way = Direction.CRM_TO_BOOKS
    persons = FieldRule(
        crm="@contacts.all",
        books="contact_persons",
        direction=one_way,
        children=(
            FieldRule(crm="First_Name", books="first_name", direction=one_way),
            FieldRule(crm="Last_Name", books="last_name", direction=one_way),
            FieldRule(crm="Email", books="email", direction=one_way),
            FieldRule(crm=PRIMARY, books="is_primary_contact", direction=one_way),
        ),
    )
    return flow.model_copy(update={"related": (contacts,), "fields": (*flow.fields, persons)})


def _item_flow(opts: BooksOptions) -> FlowConfig:
    items = ITEMS
    if opts.item_match == "sku":
        # The SKU is unique in Books: the key says so, and refuses clone.
        items = items.model_copy(
            update={
                "match_keys": (
                    MatchKey(crm="Product_Code", books="sku", kind=KeyKind.CODE, unique=True),
                ),
                "required": (
                    *ITEMS.required,
                    RequiredRule(
                        side=Side.CRM,
                        field="Product_Code",
                        message="Product has no Product Code: items are matched by SKU, so "
                        "give it the item's SKU",
                    ),
                ),
            }
        )
    if opts.item_duplicates is DuplicatePolicy.CLONE and opts.item_match == "sku":
        raise ConfigError(
            "items matched by SKU cannot be cloned: Books keeps SKUs unique; choose "
            "item_duplicates=overwrite or skip, or item_match=name"
        )
    items = items.model_copy(
        update={"duplicate_policy": opts.item_duplicates, "enabled": opts.items}
    )
    return _for_org(items, opts, opts.item_extent)


def zoho_books_config(
    name: str = "zoho-books",
    crm_connection: str = "crm",
    books_connection: str = "books",
    options: Mapping[str, str] | None = None,
) -> IntegrationConfig:
    opts = parse_options(options)
    vendors = VENDORS.model_copy(
        update={"duplicate_policy": opts.vendor_duplicates, "enabled": opts.vendors}
    )
    return IntegrationConfig(
        name=name,
        recipe="zoho_books",
        crm_connection=crm_connection,
        books_connection=books_connection,
        flows=(
            *_customer_flows(opts),
            _for_org(vendors, opts, opts.vendor_extent),
            _item_flow(opts),
        ),
    )
