"""Contacts of the Zoho CRM + Xero recipe: gathered under their account as one Xero contact."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem
from ledgerbridge.store import Store
from tests.e2e.zoho_xero.world import Pair, outcome, zoho_xero


def _account(w: Pair, name: str) -> dict[str, Any]:
    return w.crm.create("Accounts", {"Account_Name": name, "Add_to_Xero": True})


def _contact(
    w: Pair,
    account: dict[str, Any] | None,
    first: str,
    last: str,
    email: str | None,
    *,
    primary: bool = False,
) -> dict[str, Any]:
    fields: dict[str, Any] = {"First_Name": first, "Last_Name": last, "Primary_Contact": primary}
    if email is not None:
        fields["Email"] = email
    if account is not None:
        fields["Account_Name"] = {"id": account["id"]}
    return w.crm.create("Contacts", fields)


def _xero_contact(w: Pair, account: dict[str, Any]) -> dict[str, Any]:
    partner = w.partner("accounts", account["id"])
    assert partner is not None, account
    found = w.xero.get("contacts", partner)
    assert found is not None
    return found


def _persons(contact: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (p.get("FirstName", ""), p.get("LastName", ""), p.get("EmailAddress", ""))
        for p in contact.get("ContactPersons") or []
    ]


def _contact_items(w: Pair) -> list[RunItem]:
    return [i for i in w.reports[-1].items if i.flow == "contacts"]


def _writes(w: Pair) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for flow, sides in w.reports[-1].counts.by_flow.items():
        for side, counts in sides.items():
            busy = {k: v for k, v in counts.items() if k != "unchanged" and v}
            if busy:
                out.setdefault(flow, {})[side] = busy
    return out


def test_primary_contact_fills_the_xero_contact_and_the_others_become_persons(
    store: Store,
) -> None:
    with zoho_xero(store) as w:
        acme = _account(w, "Acme Ltd")
        _contact(w, acme, "Ann", "Lee", "ann@acme.test", primary=True)
        _contact(w, acme, "Bob", "Ray", "bob@acme.test")
        _contact(w, acme, "Cy", "Dunn", "cy@acme.test")

        first = w.sync()
        assert first.failures == []
        made = _xero_contact(w, acme)
        assert (made["FirstName"], made["LastName"], made["EmailAddress"]) == (
            "Ann",
            "Lee",
            "ann@acme.test",
        )
        assert _persons(made) == [("Bob", "Ray", "bob@acme.test"), ("Cy", "Dunn", "cy@acme.test")]
        assert first.counts.by_flow["accounts"]["crm"] == {"created": 1}

        w.sync()
        assert _writes(w) == {}


def test_a_changed_contact_syncs_its_account_again(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = _account(w, "Acme Ltd")
        ann = _contact(w, acme, "Ann", "Lee", "ann@acme.test", primary=True)
        bob = _contact(w, acme, "Bob", "Ray", "bob@acme.test")
        w.sync()

        w.crm.edit("Contacts", bob["id"], {"Email": "robert@acme.test"})
        w.crm.edit("Contacts", ann["id"], {"Last_Name": "Lee-Smith"})
        again = w.sync()
        assert again.failures == []
        # Two contacts changed, one account updated once.
        assert again.counts.by_flow["accounts"]["crm"] == {"updated": 1}
        made = _xero_contact(w, acme)
        assert made["LastName"] == "Lee-Smith"
        assert _persons(made) == [("Bob", "Ray", "robert@acme.test")]
        assert w.xero.count("contacts") == 1

        w.sync()
        assert _writes(w) == {}


def test_messy_contacts_are_reported_one_by_one(store: Store) -> None:
    with zoho_xero(store) as w:
        big = _account(w, "Big Co")
        _contact(w, big, "Pat", "Prime", "pat@big.test", primary=True)
        extra = [_contact(w, big, f"P{n}", f"Person{n}", f"p{n}@big.test") for n in range(1, 8)]
        nameless = _account(w, "No Primary Pty")
        _contact(w, nameless, "Una", "One", "una@np.test")
        _contact(w, nameless, "Dee", "Two", "dee@np.test")
        no_mail = _contact(w, big, "Mo", "Mail", None)
        orphan = _contact(w, None, "Or", "Phan", "orphan@nowhere.test")

        first = w.sync()
        # Seven others, five fit: the two past the fifth are named on the account's item.
        big_item = outcome(first, Side.CRM, big["id"])
        assert big_item.outcome is Outcome.CREATED
        for left_out in extra[5:]:
            assert left_out["id"] in big_item.reason
        assert "only 5 Contacts fit" in big_item.reason
        made = _xero_contact(w, big)
        assert len(made["ContactPersons"]) == 5
        assert made["EmailAddress"] == "pat@big.test"

        # Several contacts, none primary: the earliest stands in, and the run says so.
        np_item = outcome(first, Side.CRM, nameless["id"])
        assert "none is marked Primary_Contact" in np_item.reason
        assert "No Primary Pty" in np_item.reason
        np_made = _xero_contact(w, nameless)
        assert np_made["EmailAddress"] == "una@np.test"
        assert _persons(np_made) == [("Dee", "Two", "dee@np.test")]

        by_id = {i.record_id: i for i in _contact_items(w)}
        assert by_id[no_mail["id"]].outcome is Outcome.FAILED
        assert "Contact has no Email" in by_id[no_mail["id"]].reason
        assert by_id[orphan["id"]].outcome is Outcome.SKIPPED
        assert "Contact has no Account" in by_id[orphan["id"]].reason
        assert set(by_id) == {no_mail["id"], orphan["id"]}
        assert all(p[2] != "" for p in _persons(made))

        w.sync()
        assert _writes(w) == {}
        assert w.xero.count("contacts") == 2


def test_a_deleted_contact_leaves_its_accounts_contact_persons(store: Store) -> None:
    with zoho_xero(store) as w:
        acme = _account(w, "Acme Ltd")
        _contact(w, acme, "Ann", "Lee", "ann@acme.test", primary=True)
        bob = _contact(w, acme, "Bob", "Ray", "bob@acme.test")
        _contact(w, acme, "Cy", "Dunn", "cy@acme.test")
        w.sync()
        assert len(_persons(_xero_contact(w, acme))) == 2
        w.sync()
        assert _writes(w) == {}

        # The tombstone names no account: the one stored when Bob was last read is synced.
        w.crm.delete("Contacts", bob["id"])
        again = w.sync()

        assert again.failures == []
        assert again.counts.by_flow["accounts"]["crm"] == {"updated": 1}
        assert _persons(_xero_contact(w, acme)) == [("Cy", "Dunn", "cy@acme.test")]
        w.sync()
        assert _writes(w) == {}
