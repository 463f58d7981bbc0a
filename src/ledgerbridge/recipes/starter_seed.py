"""Realistic, messy seed data for the starter recipe on two in-memory systems.

Every messy case carries a comment saying what a correct sync must do with it; ``SeedFacts``
holds the expected outcome so the demo and its tests can check the summary.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ledgerbridge.connectors.memory import MemoryConnector

_FIRST = ["Ava", "Liam", "Noah", "Mia", "Zoe", "Omar", "Yuki", "Ivan", "Sofia", "Chen"]
_COMPANY = [
    "Northwind",
    "Blue Harbor",
    "Summit Peak",
    "Redwood",
    "Silverline",
    "Oakridge",
    "Brightwater",
    "Ironclad",
    "Maple Leaf",
    "Sunrise",
]
_SUFFIX = ["Ltd", "LLC", "GmbH", "& Co", "Pty Ltd", "Inc"]
# Names that break naive filters and encodings: quotes, apostrophes, parentheses, scripts.
_AWKWARD = [
    "O'Brien & Sons",
    'The "Quoted" Company',
    "Widgets (EU) Ltd",
    "株式会社サンプル",
    "ООО Ромашка",
    "شركة المثال",
    "Ελληνική Εταιρεία",
]
_RATINGS = ["Hot", "Warm", "Cold"]


@dataclass
class SeedFacts:
    """The known outcome of the first sync of this seed."""

    crm_accounts: int = 0
    books_contacts: int = 0
    linked_by_fetch: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)  # flow -> reasons (substrings)
    created_in_books: dict[str, int] = field(default_factory=dict)
    created_in_crm: dict[str, int] = field(default_factory=dict)

    def fail(self, flow: str, reason: str) -> None:
        self.failures.setdefault(flow, []).append(reason)


def seed_starter(
    crm: MemoryConnector, books: MemoryConnector, *, seed: int = 0, accounts: int = 24
) -> SeedFacts:
    rnd = random.Random(seed)
    facts = SeedFacts()
    account_ids: list[str] = []
    names: list[str] = []
    for i in range(accounts):
        base = f"{_COMPANY[i % len(_COMPANY)]} {_SUFFIX[(i // len(_COMPANY)) % len(_SUFFIX)]}"
        name = base if i < accounts - len(_AWKWARD) else _AWKWARD[i - (accounts - len(_AWKWARD))]
        person = _FIRST[rnd.randrange(len(_FIRST))].lower()
        rec = crm.put(
            "Accounts",
            {
                "Account_Name": name,
                "Email": f"  {person}.{i}@Example.COM "
                if i % 5 == 0
                else f"{person}.{i}@example.com",
                "Phone": f"+1 555 01{i:02d}",
                "Rating": _RATINGS[i % len(_RATINGS)],
            },
        )
        account_ids.append(rec.id)
        names.append(name)
    created_accounts = accounts
    # Missing the required name: must fail with a reason, and the rest go on.
    crm.put("Accounts", {"Email": "nameless@example.com", "Rating": "Warm"})
    facts.fail("accounts", "Account has no Account_Name")
    # A picklist value the value map does not know: fails naming the field and the fix.
    crm.put("Accounts", {"Account_Name": "Lukewarm Leads Ltd", "Rating": "Lukewarm"})
    facts.fail("accounts", "which the value map does not know")
    facts.crm_accounts = accounts + 2
    # Present on both sides before the first sync, written differently: fetch links them.
    for i in range(3):
        books.put(
            "Contacts",
            {
                "Name": "  " + names[i].upper().replace(" ", "  ") + " ",
                "EmailAddress": f"ap@{i}.example.com",
            },
        )
    facts.linked_by_fetch["accounts"] = 3
    created_accounts -= 3
    # Only in the accounting system: created in the CRM by the two-way sync.
    for i in range(4):
        books.put("Contacts", {"Name": f"Books Only Customer {i}", "Tier": "B"})
    facts.books_contacts = 7
    facts.created_in_books["accounts"] = created_accounts
    facts.created_in_crm["accounts"] = 4

    product_ids: list[str] = []
    for i in range(10):
        rec = crm.put(
            "Products",
            {
                "Product_Name": f"Widget {i}",
                "Product_Code": f"W-{100 + i}",
                "Unit_Price": round(5 + i * 1.25, 2),
                "Tax": "VAT 20%" if i % 3 else "Exempt",
            },
        )
        product_ids.append(rec.id)
    # Already an item in the accounting system with the same code: fetch links it.
    books.put("Items", {"Name": "Widget 0 (old name)", "Code": "W-100"})
    facts.linked_by_fetch["products"] = 1
    # No code: the key items are matched by; must fail with that reason.
    crm.put("Products", {"Product_Name": "Mystery Gadget", "Unit_Price": 3})
    facts.fail("products", "Product has no Product_Code")
    facts.created_in_books["products"] = 9

    for i in range(8):
        lines = [
            {
                "Product_Name": {"id": product_ids[(i + j) % len(product_ids)]},
                "Quantity": 1 + j,
                "List_Price": 5 + j,
                "Description": f"Line {j + 1}",
            }
            for j in range(1 + i % 3)
        ]
        crm.put(
            "Invoices",
            {
                "Invoice_Number": f"INV-{1000 + i}",
                "Subject": f"Order {i}",
                "Account_Name": {"id": account_ids[i], "name": names[i]},
                "Invoiced_Items": lines,
            },
        )
    # A line that refers to a product that does not exist: fails naming the missing record.
    crm.put(
        "Invoices",
        {
            "Invoice_Number": "INV-2000",
            "Subject": "Unknown product",
            "Account_Name": {"id": account_ids[0], "name": names[0]},
            "Invoiced_Items": [{"Product_Name": {"id": "999999"}, "Quantity": 1, "List_Price": 9}],
        },
    )
    facts.fail("invoices", "which does not exist")
    # No account on the invoice: fails with the required-field message.
    crm.put("Invoices", {"Invoice_Number": "INV-2001", "Subject": "No customer"})
    facts.fail("invoices", "Invoice has no Account")
    facts.created_in_books["invoices"] = 8
    return facts
