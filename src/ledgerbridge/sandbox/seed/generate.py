"""A deterministic, realistic and deliberately messy seed world for the three emulators.

The same ``seed`` and size always give the same world. The first records of each module are the
hand-made messy cases (present at every size); the rest are drawn from ``random.Random(seed)``
with a share of them present on the CRM side and on an accounting side before the first sync.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.sandbox.seed import vocabulary as v
from ledgerbridge.sandbox.seed.world import (
    BooksSeed,
    Case,
    CrmSeed,
    Expected,
    Match,
    SeedRecord,
    SeedWorld,
    XeroSeed,
)

SIZES = {"small": 24, "medium": 1000}
LARGE_TOTAL = 100_000
# records per unit of ``count`` across the three systems, measured on generated worlds
_RECORDS_PER_UNIT = 7.0
KEY_PREFIX = "seed:"
_FIRST_DAY = date(2026, 1, 5)

# What a correct sync must do with each messy case (``Expected.outcome`` returns these).
OUTCOMES = {
    # two CRM accounts that only look alike: their names differ after normalisation (the
    # period), so a correct sync keeps two accounting contacts and never merges them
    "lookalike_names": "keep both as separate contacts; never merge one into the other",
    # quotes, apostrophes, ampersands, parentheses and commas must survive every API's escaping
    "punctuation_name": "round-trip the name unchanged (Xero where quoting, CRM criteria escaping)",
    # Japanese, Cyrillic, Arabic, Greek and Chinese names
    "non_latin_name": "round-trip the name unchanged, byte for byte",
    # an account whose contacts carry no primary flag: the primary must be chosen deterministically
    "no_primary_contact": "pick the earliest contact as primary and keep the rest as persons",
    # an account with seven contacts: Xero allows five contact persons
    "more_than_five_contacts": "send at most five persons to Xero; report the rest",
    # a CRM contact with no account: it stands alone on the accounting side
    "contact_without_account": "create it as an individual contact, never attach it to an account",
    # a CRM account or contact with no e-mail: Xero would duplicate it on every sync
    "no_email": "fail the record with a reason naming the missing Email; sync the others",
    # an e-mail with odd case and surrounding spaces whose accounting twin is clean
    "odd_email_match": "bind to the record with the same trimmed, case-folded e-mail",
    # one CRM e-mail, two accounting contacts whose e-mails differ from it only in case
    "duplicate_email": "ambiguous match: report it, bind nothing by guess, create no third record",
    # a product with no code: Xero requires Item Code (Zoho Books does not require a SKU)
    "product_without_code": "fail the product to Xero with a reason naming Product_Code",
    # two products whose codes are equal once trimmed
    "colliding_codes": "sync one; fail the other with a reason naming the duplicate code",
    # a product whose Tax has no counterpart in the accounting tax map
    "unmapped_tax": "fail the product with a reason naming the unmapped tax; never guess a rate",
    # an invoice line whose product cannot exist on the other side (no code, or no product at all)
    "unknown_product_line": "fail the invoice with a reason naming the line's product",
    # present on both sides before the first sync (same name, e-mail or code)
    "present_on_both_sides": "bind on the initial match; create nothing new",
    # a CRM account nobody ticked "Add to Xero" on: out of the Xero recipe's scope
    "not_ticked": "leave it alone: never send it to Xero, never report it as failed",
}

# The CRM field each messy case is about, so a test can tell which of a recipe's rules it meets.
CASE_FIELDS = {
    "lookalike_names": "Account_Name",
    "punctuation_name": "Account_Name",
    "non_latin_name": "Account_Name",
    "no_primary_contact": "Contacts",
    "more_than_five_contacts": "Contacts",
    "contact_without_account": "Account_Name",
    "no_email": "Email",
    "odd_email_match": "Email",
    "duplicate_email": "Email",
    "product_without_code": "Product_Code",
    "colliding_codes": "Product_Code",
    "unmapped_tax": "Tax",
    "unknown_product_line": "Product_Name",
    "present_on_both_sides": "",
    "not_ticked": "Add_to_Xero",
}
# Every CRM record the seed makes is ticked "Add to Xero" (the Zoho CRM + Xero recipe syncs
# ticked records only), except the "not_ticked" case.
TICK = {"Add_to_Xero": True}


def generate(seed: int = 0, size: str | None = "small", count: int | None = None) -> SeedWorld:
    """Build the world; ``count`` (records per main module) overrides ``size``."""
    if count is not None:
        if count < 1:
            raise ConfigError(f"count must be at least 1, got {count}")
        units, label = count, f"count={count}"
    elif size == "large":
        units, label = round(LARGE_TOTAL / _RECORDS_PER_UNIT), "large"
    elif size in SIZES:
        units, label = SIZES[size], size
    else:
        raise ConfigError(f"unknown seed size {size!r}; use small, medium or large")
    return _Builder(random.Random(seed), units).build(seed, label)


def key(*parts: str | int) -> str:
    return KEY_PREFIX + ":".join(str(p) for p in parts)


class _Builder:
    def __init__(self, rnd: random.Random, units: int) -> None:
        self.r = rnd
        self.n = units
        self.cases: list[Case] = []
        self.matches: list[Match] = []
        self.crm: dict[str, list[SeedRecord]] = {
            m: [] for m in ("accounts", "contacts", "vendors", "products", "invoices", "orders")
        }
        self.xero: dict[str, list[SeedRecord]] = {
            m: [] for m in ("contacts", "items", "invoices", "orders")
        }
        self.books: dict[str, list[SeedRecord]] = {
            m: [] for m in ("taxes", "contacts", "items", "invoices", "orders")
        }
        self.names: set[str] = set()
        self.emails: set[str] = set()
        self.codes: set[str] = set()
        self.product_names: set[str] = set()
        self.sellable: list[tuple[str, str, float]] = []  # (crm key, code, price)

    # -- helpers -------------------------------------------------------------------------------

    def case(self, name: str, record_key: str) -> None:
        self.cases.append(Case(name, record_key, OUTCOMES[name], CASE_FIELDS[name]))

    def add(self, side: dict[str, list[SeedRecord]], module: str, data: dict[str, Any]) -> str:
        system = "crm" if side is self.crm else "xero" if side is self.xero else "books"
        record_key = key(system, module, len(side[module]))
        side[module].append(SeedRecord(record_key, data))
        return record_key

    def unique_company(self) -> str:
        while True:
            name = " ".join(
                p
                for p in (
                    self.r.choice(v.STEMS),
                    self.r.choice(v.TRADES),
                    self.r.choice(v.SUFFIXES),
                )
                if p
            )
            if name.casefold() in self.names:
                name = f"{name} {len(self.names)}"
            if name.casefold() not in self.names:
                self.names.add(name.casefold())
                return name

    def person(self) -> tuple[str, str, str]:
        first = self.r.choice(v.FIRST_NAMES)
        last = self.r.choice(v.LAST_NAMES)
        local = "".join(
            ch for ch in f"{first}.{last}".lower() if ch.isascii() and (ch.isalnum() or ch == ".")
        )
        email = f"{local}{len(self.emails)}@{self.r.choice(v.DOMAINS)}"
        self.emails.add(email)
        return first, last, email

    def day(self, spread: int = 300) -> date:
        return _FIRST_DAY + timedelta(days=self.r.randint(0, spread))

    def price(self) -> float:
        return round(self.r.uniform(5, 900), 2)

    # -- CRM accounts and contacts ---------------------------------------------------------------

    def crm_account(self, name: str, **extra: Any) -> str:
        self.names.add(name.casefold())
        data: dict[str, Any] = {
            "Account_Name": name,
            "Account_Type": "Customer",
            **TICK,
            **extra,
        }
        return self.add(self.crm, "accounts", data)

    def crm_contact(
        self,
        account: str | None,
        first: str,
        last: str,
        email: str | None,
        **extra: Any,
    ) -> str:
        data: dict[str, Any] = {"First_Name": first, "Last_Name": last, **TICK, **extra}
        if email is not None:
            data["Email"] = email
        if account is not None:
            data["Account_Name"] = {"id": account}
        return self.add(self.crm, "contacts", data)

    def twin_contact(
        self,
        crm_key: str,
        name: str,
        email: str | None,
        *,
        xero: bool,
        books: bool,
        vendor: bool = False,
        module: str = "Accounts",
    ) -> None:
        """The same customer or supplier already keyed in on an accounting side."""
        xero_key = books_key = None
        if xero:
            xero_data: dict[str, Any] = {"Name": name}
            if email:
                xero_data["EmailAddress"] = email
            xero_key = self.add(self.xero, "contacts", xero_data)
        if books:
            books_data: dict[str, Any] = {
                "contact_name": name,
                "company_name": name if module != "Contacts" else "",
                "contact_type": "vendor" if vendor else "customer",
                "customer_sub_type": "individual" if module == "Contacts" else "business",
            }
            if email:
                books_data["email"] = email
            books_key = self.add(self.books, "contacts", books_data)
        self.matches.append(Match(module, crm_key, xero_key, books_key, email or name))
        self.case("present_on_both_sides", crm_key)

    def special_accounts(self) -> None:
        acme = self.crm_account("Acme Ltd", Phone="+64 9 555 0100")
        self.crm_contact(acme, "Wile", "Coyote", "wile@acme.example")
        self.twin_contact(acme, "Acme Ltd", "wile@acme.example", xero=True, books=True)
        lookalike = self.crm_account("ACME  Ltd.", Website="https://acme-ltd.example")
        self.crm_contact(lookalike, "Road", "Runner", "road.runner@acme-ltd.example")
        self.case("lookalike_names", acme)
        self.case("lookalike_names", lookalike)
        for name in (
            "O'Brien & Sons",
            'The "Quoted" Co',
            "Widgets (EU) Ltd",
            "Smith, Jones, and Partners",
        ):
            account = self.crm_account(name)
            first, last, email = self.person()
            self.crm_contact(account, first, last, email)
            self.case("punctuation_name", account)
            if name == "O'Brien & Sons":
                self.twin_contact(account, name, email, xero=True, books=False)
        for company, (first, last) in zip(v.NON_LATIN_COMPANIES, v.NON_LATIN_PEOPLE, strict=True):
            account = self.crm_account(company)
            _, _, email = self.person()
            self.crm_contact(account, first, last, email)
            self.case("non_latin_name", account)
        books_twin = self.crm["accounts"][-5]
        self.twin_contact(
            books_twin.key,
            books_twin.data["Account_Name"],
            self.crm["contacts"][-5].data["Email"],
            xero=False,
            books=True,
        )
        trio = self.crm_account("Three Heads Ltd")
        for _ in range(3):
            self.crm_contact(trio, *self.person())
        self.case("no_primary_contact", trio)
        crowd = self.crm_account("Many Hands Ltd")
        for _ in range(7):
            self.crm_contact(crowd, *self.person())
        self.case("more_than_five_contacts", crowd)
        quiet = self.crm_account("Quiet Partners Ltd")
        self.case("no_email", quiet)
        aside = self.crm_account("Not Yet Ltd", Add_to_Xero=False)
        self.crm_contact(aside, *self.person())
        self.case("not_ticked", aside)

    def special_contacts(self) -> None:
        loner = self.crm_contact(None, "Lone", "Ranger", "lone.ranger@example.com")
        self.case("contact_without_account", loner)
        account = self.crm["accounts"][0].key
        for first, last in (("Nomail", "Person"), ("Silent", "Bob")):
            self.case("no_email", self.crm_contact(account, first, last, None))
        odd = self.crm_contact(None, "Mary", "O'Neil", "  Mary.ONeil@Example.COM ")
        self.case("odd_email_match", odd)
        self.twin_contact(
            odd,
            "Mary O'Neil",
            "mary.oneil@example.com",
            xero=True,
            books=True,
            module="Contacts",
        )
        shared = self.crm_contact(account, "Dee", "Upe", "dup.email@example.com")
        self.case("duplicate_email", shared)
        for name, email in (
            ("Dee Upe Trading", "dup.email@example.com"),
            ("Upe Dee Holdings", "DUP.Email@example.com"),
        ):
            self.names.add(name.casefold())
            xero = self.add(self.xero, "contacts", {"Name": name, "EmailAddress": email})
            books = self.add(
                self.books,
                "contacts",
                {"contact_name": name, "company_name": name, "email": email},
            )
            self.case("duplicate_email", xero)
            self.case("duplicate_email", books)

    def accounts(self) -> None:
        self.special_accounts()
        self.special_contacts()
        while len(self.crm["accounts"]) < self.n:
            name = self.unique_company()
            extra: dict[str, Any] = {}
            if self.r.random() < 0.5:
                extra["Phone"] = f"+1 555 {self.r.randint(1000, 9999)}"
            account = self.crm_account(name, **extra)
            contacts = self.r.choice((0, 1, 1, 2, 2, 3))
            first_email: str | None = None
            for _ in range(contacts):
                first, last, email = self.person()
                if self.r.random() < 0.08:
                    self.case("no_email", self.crm_contact(account, first, last, None))
                    continue
                self.crm_contact(account, first, last, email)
                first_email = first_email or email
            if contacts == 0:
                self.case("no_email", account)
            roll = self.r.random()
            if roll < 0.2:
                self.twin_contact(account, name, first_email, xero=True, books=roll < 0.12)
            elif roll < 0.3:
                self.twin_contact(account, name, first_email, xero=False, books=True)
        for _ in range(max(1, self.n // 10)):
            first, last, email = self.person()
            loner = self.crm_contact(None, first, last, email)
            self.case("contact_without_account", loner)

    def vendors(self) -> None:
        for index in range(max(4, self.n // 4)):
            name = self.unique_company()
            _, _, email = self.person()
            vendor = self.add(self.crm, "vendors", {"Vendor_Name": name, "Email": email, **TICK})
            if index % 3 == 0:
                self.twin_contact(
                    vendor, name, email, xero=True, books=True, vendor=True, module="Vendors"
                )

    # -- products ------------------------------------------------------------------------------

    def product(self, name: str, code: str | None, tax: str = "VAT", **extra: Any) -> str:
        self.product_names.add(name.casefold())
        price = self.price()
        data: dict[str, Any] = {
            "Product_Name": name,
            "Unit_Price": price,
            "Taxable": tax != "-None-",
            "Tax": tax,
            "Product_Active": True,
            **TICK,
            **extra,
        }
        if code is not None:
            data["Product_Code"] = code
            self.codes.add(code.strip().casefold())
        product = self.add(self.crm, "products", data)
        if code is not None and tax in _BOOKS_TAX:
            self.sellable.append((product, code, price))
        return product

    def twin_item(self, crm_key: str, name: str, code: str, price: float, tax: str) -> None:
        xero_key = self.add(
            self.xero,
            "items",
            {
                "Code": code,
                "Name": name[:50],
                "Description": name,
                "SalesDetails": {"UnitPrice": price, "AccountCode": "200", "TaxType": "OUTPUT"},
            },
        )
        books_key = self.add(
            self.books,
            "items",
            {"name": name, "sku": code, "rate": price, "tax_id": _BOOKS_TAX[tax]},
        )
        self.matches.append(Match("Products", crm_key, xero_key, books_key, code))
        self.case("present_on_both_sides", crm_key)

    def products(self) -> None:
        self.case("product_without_code", self.product("Consulting hour (ad hoc)", None))
        first = self.product("Widget Standard", "WID-100")
        second = self.product("Widget Classic", " WID-100 ")
        self.case("colliding_codes", first)
        self.case("colliding_codes", second)
        self.case("unmapped_tax", self.product("Export Crate", "CRATE-1", tax="Exempt"))
        self.case("punctuation_name", self.product('Gadget "Pro" 2\'', "GAD-PRO"))
        self.case("non_latin_name", self.product("ボールベアリング", "BRG-JP"))
        matched = self.product("Sprocket Max", "SPR-MAX", tax="GST")
        self.twin_item(matched, "Sprocket Max", "SPR-MAX", self.sellable[-1][2], "GST")
        count = 0
        while len(self.crm["products"]) < max(8, self.n // 2):
            count += 1
            name = f"{self.r.choice(v.PRODUCT_WORDS)} {self.r.choice(v.PRODUCT_KINDS)} {count}"
            code = f"{name.split(maxsplit=1)[0][:3].upper()}-{count:05d}"
            if self.r.random() < 0.05:
                self.case("product_without_code", self.product(name, None))
                continue
            tax = self.r.choice(("VAT", "VAT", "GST", "Sales Tax"))
            product = self.product(name, code, tax=tax)
            if self.r.random() < 0.3:
                self.twin_item(product, name, code, self.sellable[-1][2], tax)

    # -- documents -----------------------------------------------------------------------------

    def invoices(self) -> None:
        accounts = [a.key for a in self.crm["accounts"]]
        no_code = self.crm["products"][0].key
        for index in range(self.n):
            lines = []
            for _ in range(self.r.randint(1, 4)):
                product, _, price = self.r.choice(self.sellable)
                lines.append(
                    {
                        "Product_Name": {"id": product},
                        "Quantity": self.r.randint(1, 10),
                        "List_Price": price,
                    }
                )
            if index == 0:
                lines.append({"Product_Name": {"id": no_code}, "Quantity": 1, "List_Price": 80})
            day = self.day()
            invoice = self.add(
                self.crm,
                "invoices",
                {
                    "Subject": f"Order {index + 1}",
                    "Account_Name": {"id": self.r.choice(accounts)},
                    "Invoice_Date": day.isoformat(),
                    "Due_Date": (day + timedelta(days=30)).isoformat(),
                    "Status": self.r.choice(("Created", "Approved", "Delivered")),
                    "Invoiced_Items": lines,
                    **TICK,
                },
            )
            if index == 0:
                self.case("unknown_product_line", invoice)
        vendors = [x.key for x in self.crm["vendors"]]
        for index in range(max(3, self.n // 4)):
            product, _, price = self.r.choice(self.sellable)
            self.add(
                self.crm,
                "orders",
                {
                    "Subject": f"Restock {index + 1}",
                    "Vendor_Name": {"id": self.r.choice(vendors)},
                    "PO_Date": self.day().isoformat(),
                    "Status": "Created",
                    **TICK,
                    "Purchase_Items": [
                        {
                            "Product_Name": {"id": product},
                            "Quantity": self.r.randint(5, 50),
                            "List_Price": price,
                        }
                    ],
                },
            )

    def accounting_only(self) -> None:
        """Customers, items and documents keyed in on the accounting sides alone."""
        for _ in range(max(2, self.n // 10)):
            name = self.unique_company()
            _, _, email = self.person()
            self.add(self.xero, "contacts", {"Name": name, "EmailAddress": email})
            other = self.unique_company()
            self.add(
                self.books,
                "contacts",
                {"contact_name": other, "company_name": other, "email": email},
            )
        for index in range(max(2, self.n // 20)):
            code = f"ACC-{index:05d}"
            if code.casefold() in self.codes:
                continue
            price = self.price()
            self.add(
                self.xero,
                "items",
                {
                    "Code": code,
                    "Name": f"Accounting item {index}",
                    "SalesDetails": {"UnitPrice": price, "AccountCode": "200"},
                },
            )
            self.add(
                self.books, "items", {"name": f"Books item {index}", "sku": code, "rate": price}
            )

    def accounting_documents(self) -> None:
        customers = [c.key for c in self.xero["contacts"]]
        codes = [i.data["Code"] for i in self.xero["items"]]
        for index in range(max(2, self.n // 2)):
            lines: list[dict[str, Any]] = []
            for _ in range(self.r.randint(1, 3)):
                lines.append(
                    {
                        "Description": "Goods",
                        "Quantity": self.r.randint(1, 5),
                        "UnitAmount": self.price(),
                        "ItemCode": self.r.choice(codes),
                        "AccountCode": "200",
                    }
                )
            if index == 0:
                lines.append(
                    {
                        "Description": "Freight (no item)",
                        "Quantity": 1,
                        "UnitAmount": 45.0,
                        "AccountCode": "200",
                    }
                )
            day = self.day()
            invoice = self.add(
                self.xero,
                "invoices",
                {
                    "Type": "ACCREC",
                    "Contact": {"ContactID": self.r.choice(customers)},
                    "Date": day.isoformat(),
                    "DueDate": (day + timedelta(days=20)).isoformat(),
                    "Status": self.r.choice(("DRAFT", "AUTHORISED")),
                    "LineItems": lines,
                },
            )
            if index == 0:
                self.case("unknown_product_line", invoice)
        for _index in range(max(1, self.n // 8)):
            self.add(
                self.xero,
                "orders",
                {
                    "Contact": {"ContactID": self.r.choice(customers)},
                    "Date": self.day().isoformat(),
                    "LineItems": [
                        {
                            "Description": "Stock",
                            "Quantity": self.r.randint(5, 20),
                            "UnitAmount": self.price(),
                            "AccountCode": "310",
                        }
                    ],
                },
            )
        self.books_documents()

    def books_documents(self) -> None:
        customers = [
            c.key for c in self.books["contacts"] if c.data.get("contact_type") != "vendor"
        ]
        vendors = [c.key for c in self.books["contacts"] if c.data.get("contact_type") == "vendor"]
        items = [i.key for i in self.books["items"]]
        for index in range(max(2, self.n // 2)):
            lines: list[dict[str, Any]] = [
                {"item_id": self.r.choice(items), "quantity": self.r.randint(1, 5)}
                for _ in range(self.r.randint(1, 3))
            ]
            if index == 0:
                lines.append({"name": "Freight", "description": "no item", "rate": 45.0})
            day = self.day()
            invoice = self.add(
                self.books,
                "invoices",
                {
                    "customer_id": self.r.choice(customers),
                    "date": day.isoformat(),
                    "due_date": (day + timedelta(days=15)).isoformat(),
                    "status": self.r.choice(("draft", "sent")),
                    "line_items": lines,
                },
            )
            if index == 0:
                self.case("unknown_product_line", invoice)
        for _index in range(max(1, self.n // 8) if vendors else 0):
            self.add(
                self.books,
                "orders",
                {
                    "vendor_id": self.r.choice(vendors),
                    "date": self.day().isoformat(),
                    "line_items": [
                        {"item_id": self.r.choice(items), "quantity": self.r.randint(5, 20)}
                    ],
                },
            )

    def taxes(self) -> None:
        for name, pct in (("VAT", 20.0), ("GST", 10.0), ("Sales Tax", 8.25)):
            record = self.add(self.books, "taxes", {"tax_name": name, "tax_percentage": pct})
            assert record == _BOOKS_TAX[name]

    def build(self, seed: int, label: str) -> SeedWorld:
        self.taxes()
        self.accounts()
        self.vendors()
        self.products()
        self.invoices()
        self.accounting_only()
        self.accounting_documents()
        crm = CrmSeed(
            accounts=tuple(self.crm["accounts"]),
            contacts=tuple(self.crm["contacts"]),
            vendors=tuple(self.crm["vendors"]),
            products=tuple(self.crm["products"]),
            invoices=tuple(self.crm["invoices"]),
            purchase_orders=tuple(self.crm["orders"]),
        )
        xero = XeroSeed(
            contacts=tuple(self.xero["contacts"]),
            items=tuple(self.xero["items"]),
            invoices=tuple(self.xero["invoices"]),
            purchase_orders=tuple(self.xero["orders"]),
        )
        books = BooksSeed(
            taxes=tuple(self.books["taxes"]),
            contacts=tuple(self.books["contacts"]),
            items=tuple(self.books["items"]),
            invoices=tuple(self.books["invoices"]),
            purchase_orders=tuple(self.books["orders"]),
        )
        expected = Expected(tuple(self.cases), tuple(self.matches))
        return SeedWorld(seed, label, crm, xero, books, expected)


# Zoho Books taxes by the CRM Tax picklist value; "Exempt" deliberately maps nowhere.
_BOOKS_TAX = {
    "VAT": key("books", "taxes", 0),
    "GST": key("books", "taxes", 1),
    "Sales Tax": key("books", "taxes", 2),
}
