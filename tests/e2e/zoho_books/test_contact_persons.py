"""Every contact of an account as a contact person of its Books customer
(customers=accounts_and_contacts)."""

from __future__ import annotations

from typing import Any

from ledgerbridge.domain.runs import Outcome, RunStatus
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.store import Store
from tests.e2e.zoho_books.world import BooksSyncWorld, books_sync_world


def _config() -> Any:
    return zoho_books_config("zb", options={"customers": "accounts_and_contacts"})


def _persons(w: BooksSyncWorld, contact_id: str) -> list[dict[str, Any]]:
    return list(w.books_state.get(w.org_id, "contacts", contact_id)["contact_persons"])


def _person(first: str, account: str, *, primary: bool = False) -> dict[str, Any]:
    return {
        "First_Name": first,
        "Last_Name": "Lee",
        "Email": f"{first.lower()}@acme.test",
        "Account_Name": {"id": account},
        "Primary_Contact": primary,
    }


def test_all_contacts_become_persons_with_one_primary_and_keep_their_ids(store: Store) -> None:
    with books_sync_world(store, _config()) as w:
        acme = w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        w.crm_put("Contacts", _person("Ann", acme))
        w.crm_put("Contacts", _person("Bo", acme, primary=True))
        w.crm_put("Contacts", _person("Cy", acme))

        report = w.sync(["customers"])

        assert report.status is RunStatus.SUCCEEDED, report.error
        (customer,) = w.books_all("contacts")
        people = _persons(w, customer["contact_id"])
        assert sorted(p["email"] for p in people) == [
            "ann@acme.test",
            "bo@acme.test",
            "cy@acme.test",
        ]
        assert [p["email"] for p in people if p["is_primary_contact"]] == ["bo@acme.test"]
        ids = {p["email"]: p["contact_person_id"] for p in people}

        # Another contact joins: the whole list goes again and nobody is recreated.
        w.crm_put("Contacts", _person("Di", acme))
        again = w.sync(["customers"])

        assert again.status is RunStatus.SUCCEEDED, again.error
        people = _persons(w, customer["contact_id"])
        assert len(people) == 4
        after = {p["email"]: p["contact_person_id"] for p in people}
        assert {k: after[k] for k in ids} == ids
        assert [p["email"] for p in people if p["is_primary_contact"]] == ["bo@acme.test"]


def test_with_no_primary_the_earliest_stands_in_and_the_run_says_so(store: Store) -> None:
    with books_sync_world(store, _config()) as w:
        acme = w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        w.crm_put("Contacts", _person("Ann", acme))
        w.clock.advance(5)
        w.crm_put("Contacts", _person("Bo", acme))

        report = w.sync(["customers"])

        assert report.status is RunStatus.SUCCEEDED, report.error
        (customer,) = w.books_all("contacts")
        people = _persons(w, customer["contact_id"])
        assert len(people) == 2
        assert [p["email"] for p in people if p["is_primary_contact"]] == ["ann@acme.test"]
        (item,) = [i for i in report.items if i.label == "Acme Ltd"]
        assert "none is marked Primary_Contact" in item.reason
        assert "Ann Lee" in item.reason


def test_a_deleted_contact_leaves_its_customers_contact_persons(store: Store) -> None:
    with books_sync_world(store, _config()) as w:
        acme = w.crm_put("Accounts", {"Account_Name": "Acme Ltd"})
        w.crm_put("Contacts", _person("Ann", acme, primary=True))
        bo = w.crm_put("Contacts", _person("Bo", acme))
        w.sync(["customers"])
        (customer,) = w.books_all("contacts")
        assert len(_persons(w, customer["contact_id"])) == 2
        settled = w.sync(["customers"])
        assert settled.total(Outcome.UPDATED) == 0

        w.crm_state.delete("Contacts", bo)
        again = w.sync(["customers"])

        assert again.status is RunStatus.SUCCEEDED, again.error
        assert [p["email"] for p in _persons(w, customer["contact_id"])] == ["ann@acme.test"]
