"""The where-filter parser on its own."""

from __future__ import annotations

import pytest

from ledgerbridge.sandbox.xero.models import CONTACT_FIELDS, INVOICE_FIELDS
from ledgerbridge.sandbox.xero.where import (
    QueryParseError,
    equality_lookup,
    matches,
    parse,
)

ACME = {
    "Name": 'The "Quoted" Co',
    "EmailAddress": "Info@Acme.example",
    "IsCustomer": True,
    "ContactStatus": "ACTIVE",
    "ContactID": "5f19133f-9705-49ad-b247-4914308db7cd",
    "UpdatedDateUTC": "/Date(1893456000000+0000)/",
    "Contact": {"ContactID": "AB19133F-9705-49AD-B247-4914308DB7CD"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Name=="The ""Quoted"" Co"', True),
        ('Name == "the ""quoted"" co"', True),
        ('Name!="The ""Quoted"" Co"', False),
        ('EmailAddress.Contains("acme")', True),
        ('Name.StartsWith("The") && EmailAddress.EndsWith(".example")', True),
        ('Name.ToLower()=="the ""quoted"" co"', True),
        ("IsCustomer==true", True),
        ('IsCustomer==True AND ContactStatus=="ARCHIVED"', False),
        ('(ContactStatus=="ARCHIVED" OR IsCustomer==true) && Name!=null', True),
        ('ContactID==GUID("5F19133F-9705-49AD-B247-4914308DB7CD")', True),
        ('ContactID==Guid.Parse("5f19133f-9705-49ad-b247-4914308db7cd")', True),
        ("UpdatedDateUTC>=DateTime(2030, 1, 1)", True),
        ("UpdatedDateUTC<DateTime(2030, 1, 1, 0, 0, 0)", False),
        ('!(Name=="x")', True),
        ('Name="The ""Quoted"" Co"', True),
    ],
)
def test_filters_match(text: str, expected: bool) -> None:
    assert matches(parse(text, CONTACT_FIELDS, "Contact"), ACME) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('Name=="The \\"Quoted\\" Co"', "Syntax error"),
        ('Name=="unterminated', "Unterminated string literal"),
        ('Name=="a" &&', "Expression expected"),
        ('(Name=="a"', "')' expected"),
        ('Nmae=="a"', "No property or field 'Nmae' exists in type 'Contact'"),
        ('Name.Explode("a")', "No applicable method 'Explode'"),
        ("", "Expression expected"),
        ('Name=="a" #', "Syntax error"),
    ],
)
def test_bad_filters_raise(text: str, message: str) -> None:
    with pytest.raises(QueryParseError) as failure:
        parse(text, CONTACT_FIELDS, "Contact")
    assert message in failure.value.message


def test_nested_paths_on_invoices() -> None:
    node = parse(
        'Contact.ContactID==GUID("ab19133f-9705-49ad-b247-4914308db7cd")',
        INVOICE_FIELDS,
        "Invoice",
    )
    assert matches(node, ACME)
    assert not matches(node, {"Contact": {"ContactID": "something else"}})


def test_backslash_is_an_ordinary_character() -> None:
    node = parse('Name=="C:\\Temp"', CONTACT_FIELDS, "Contact")
    assert matches(node, {"Name": "C:\\Temp"})


def test_fifty_or_terms_parse_and_give_an_index_lookup() -> None:
    names = [f"Contact {n}" for n in range(50)]
    text = " || ".join(f'Name=="{name}"' for name in names)
    node = parse(text, CONTACT_FIELDS, "Contact")
    assert matches(node, {"Name": "contact 49"})
    assert not matches(node, {"Name": "Contact 50"})
    assert equality_lookup(node) == ("Name", names)
    mixed = parse('Name=="a" || EmailAddress=="b"', CONTACT_FIELDS, "Contact")
    assert equality_lookup(mixed) is None
    narrowed = parse('IsCustomer==true && Name=="a"', CONTACT_FIELDS, "Contact")
    assert equality_lookup(narrowed) == ("Name", ["a"])
