"""``validate_config`` against the emulators' metadata: the recipe fits, a bad mapping does not."""

from __future__ import annotations

from dataclasses import dataclass

from ledgerbridge.connectors.base import Connector
from ledgerbridge.domain.config import Direction, FieldRule
from ledgerbridge.domain.runs import Outcome
from ledgerbridge.domain.validation import errors
from ledgerbridge.engine.validate import validate_config
from ledgerbridge.recipes.zoho_books import zoho_books_config
from ledgerbridge.store import Store
from tests.e2e.zoho_books.world import BooksSyncWorld, books_sync_world


@dataclass
class _App:
    store: Store
    world: BooksSyncWorld

    def connector(self, name: str) -> Connector:
        return self.world.systems.crm if name == "crm" else self.world.systems.books


def test_every_recipe_option_fits_the_systems_and_a_bad_rule_is_named(store: Store) -> None:
    with books_sync_world(store) as w:
        app = _App(store, w)
        # The field a second organisation writes its ids to, as a person would add it.
        for module in ("Accounts", "Contacts", "Vendors", "Products"):
            w.crm_state.add_custom_field(module, "Books_ID_2")
        for options in (
            {},
            {"customers": "accounts_and_contacts", "contacts_without_account": "yes"},
            {"customers": "contacts", "item_match": "sku"},
        ):
            config = zoho_books_config("other", options=options)
            assert errors(validate_config(app, config)) == [], options

        base = zoho_books_config("bad")
        items = base.flows[-1]
        bad = items.model_copy(
            update={
                "fields": (
                    *items.fields,
                    FieldRule(crm="Unit_Price", books="status", direction=Direction.CRM_TO_BOOKS),
                    FieldRule(crm="Qty_In_Stock", books="reorder_level"),
                )
            }
        )
        config = base.model_copy(update={"flows": (*base.flows[:-1], bad)})
        messages = [str(p) for p in errors(validate_config(app, config))]
        assert any("status is read-only" in m for m in messages), messages
        assert any("reorder_level is not a field of items" in m for m in messages), messages

        # A second Books organisation on this CRM may not sync both ways.
        store.connections.add("books2", "zoho_books", {}, {})
        second = zoho_books_config("two", books_connection="books2")
        problems = [str(p) for p in errors(validate_config(app, second))]
        assert any("only the first may write to the CRM" in p for p in problems), problems
        ok = zoho_books_config("two", books_connection="books2", options={"organization": "2"})
        assert errors(validate_config(app, ok)) == []


def test_a_books_custom_field_is_known_by_its_cf_name_and_an_unknown_one_is_named(
    store: Store,
) -> None:
    with books_sync_world(store) as w:
        w.books_state.add_custom_field(w.org_id, "contact", "Region")
        w.crm_state.add_custom_field("Accounts", "Region")
        app = _App(store, w)
        base = zoho_books_config("cf")
        customers = base.flows[0]

        def with_rule(books: str) -> list[str]:
            rule = FieldRule(crm="Region", books=books)
            flow = customers.model_copy(update={"fields": (*customers.fields, rule)})
            config = base.model_copy(update={"flows": (flow, *base.flows[1:])})
            return [str(p) for p in errors(validate_config(app, config))]

        assert with_rule("cf_region") == []
        problems = with_rule("cf_territory")
        assert any("cf_territory is not a field of contacts" in p for p in problems), problems


def test_a_books_custom_field_value_syncs_from_the_crm(store: Store) -> None:
    base = zoho_books_config("cf")
    customers = base.flows[0]
    flow = customers.model_copy(
        update={"fields": (*customers.fields, FieldRule(crm="Region", books="cf_region"))}
    )
    config = base.model_copy(update={"flows": (flow, *base.flows[1:])})
    with books_sync_world(store, config) as w:
        w.books_state.add_custom_field(w.org_id, "contact", "Region")
        w.crm_state.add_custom_field("Accounts", "Region")
        w.crm_put("Accounts", {"Account_Name": "Acme Ltd", "Region": "North"})

        report = w.sync(["customers"])

        assert report.failures == []
        (listed,) = w.books_all("contacts")
        contact = w.books_state.get(w.org_id, "contacts", listed["contact_id"])
        assert [(f["api_name"], f["value"]) for f in contact["custom_fields"]] == [
            ("cf_region", "North")
        ]
        again = w.sync(["customers"])
        assert again.total(Outcome.UPDATED) == 0
