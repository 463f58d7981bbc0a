"""The mapping editor: fields from both systems, saving what is valid, refusing what is not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledgerbridge.domain.config import Direction, ValueMapTransform
from ledgerbridge.engine.model import NoProgress, SyncRequest
from ledgerbridge.portal.mapping_form import blank_row, rows_of, version
from tests.integration.portal.synced import NAME, Synced, make_synced
from tests.integration.web.live import accounts_config, connect, emulators

PAGE = f"/integrations/{NAME}/flows/people/mapping"


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[Synced]:
    yield from make_synced(tmp_path, start=False)


def form(synced: Synced, page: str = PAGE, **changes: str) -> dict[str, str]:
    """The editor's form as rendered for the stored flow, with ``changes`` typed in."""
    html = synced.client.get(page).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token is not None
    flow_name = page.split("/flows/")[1].split("/", maxsplit=1)[0]
    config = synced.app.store.integrations.get(page.split("/")[2]).flow(flow_name)
    data = {"csrf_token": token.group(1), "version": version(config)}
    for row in rows_of(config):
        p = row.prefix
        data |= {f"{p}-crm": row.crm, f"{p}-books": row.books, f"{p}-direction": row.direction}
        for j, pair in enumerate(row.pairs):
            data |= {f"{p}-m{j}-crm": pair.crm, f"{p}-m{j}-books": pair.books}
    data |= {"new-direction": blank_row().direction, "new-kind": "rename"}
    data |= {k.replace("_", "-"): v for k, v in changes.items()}
    return data


def test_the_editor_lists_both_systems_fields_custom_ones_included(synced: Synced) -> None:
    synced.login()
    synced.crm.put("People", {"Full_Name": "Ann", "Email": "a@x.com", "Shoe_Size__c": 41})
    synced.books.put("Contacts", {"Name": "Ann", "EmailAddress": "a@x.com", "Loyalty": "x"})
    page = synced.client.get(PAGE)
    assert page.status_code == 200
    crm_list = page.text.split('<datalist id="crm-fields">')[1].split("</datalist>")[0]
    books_list = page.text.split('<datalist id="books-fields">')[1].split("</datalist>")[0]
    assert 'value="Shoe_Size__c"' in crm_list and 'value="Full_Name"' in crm_list
    assert 'value="Loyalty"' in books_list
    # Every rule's inputs are labelled; the value map's pairs are there to edit.
    for control in ("r0-crm", "r0-books", "r0-direction", "r0-remove", "r3-m0-crm",
                    "r3-mnew-crm", "new-crm", "new-books", "new-kind"):  # fmt: skip
        assert f'for="{control}"' in page.text and f'id="{control}"' in page.text


def test_a_valid_change_is_saved_and_the_next_run_uses_it(synced: Synced) -> None:
    synced.login()
    answer = synced.client.post(
        PAGE,
        data=form(
            synced,
            r2_remove="on",  # Phone no longer syncs
            r3_mnew_crm="Platinum",
            r3_mnew_books="P",
            new_crm="Shoe_Size__c",
            new_books="ShoeSize",
            new_direction="crm_to_books",
        ),
    )
    assert answer.status_code == 303, answer.text
    assert "saved" in synced.client.get(answer.headers["location"]).text
    flow = synced.integration.flow("people")
    assert [r.key for r in flow.fields] == ["Full_Name", "Email", "Level", "Shoe_Size__c"]
    level = flow.fields[2].transform
    assert isinstance(level, ValueMapTransform) and level.map["Platinum"] == "P"
    assert flow.fields[3].direction is Direction.CRM_TO_BOOKS

    synced.crm.put(
        "People",
        {"Full_Name": "Ann", "Email": "a@x.com", "Phone": "555", "Level": "Platinum",
         "Shoe_Size__c": 41},
    )  # fmt: skip
    row = synced.integration
    synced.app.engine.run(row, synced.app.systems(row), SyncRequest(), NoProgress())
    (contact,) = synced.books.all("Contacts")
    assert contact.fields["Tier"] == "P"
    assert contact.fields["ShoeSize"] == 41
    assert "Phone" not in contact.fields


def test_errors_are_shown_next_to_their_field_and_nothing_is_saved(synced: Synced) -> None:
    synced.login()
    before = synced.integration.flow("people")
    answer = synced.client.post(
        PAGE,
        data=form(synced, r0_books="", r3_mnew_crm="Gold", r3_mnew_books="X", new_crm="Ok"),
    )
    assert answer.status_code == 422
    html = answer.text
    assert 'id="mapping-errors"' in html
    assert 'id="r0-books-error"' in html and 'aria-describedby="r0-books-error"' in html
    assert 'id="r3-mnew-crm-error"' in html
    # What was typed is shown again.
    assert 'id="new-crm" value="Ok"' in html
    assert synced.integration.flow("people") == before


def test_a_form_from_before_another_change_is_refused(synced: Synced) -> None:
    synced.login()
    stale = form(synced, r2_remove="on")
    assert synced.client.post(PAGE, data=form(synced, r1_remove="on")).status_code == 303
    answer = synced.client.post(PAGE, data=stale)
    assert answer.status_code == 422
    assert "changed elsewhere" in answer.text
    assert [r.key for r in synced.integration.flow("people").fields] == [
        "Full_Name", "Phone", "Level",
    ]  # fmt: skip


def test_someone_else_cannot_open_or_change_the_mapping(synced: Synced) -> None:
    stranger = synced.stranger()
    assert stranger.get(PAGE).status_code == 404
    synced.login()
    assert synced.client.get(f"/integrations/{NAME}/flows/nope/mapping").status_code == 404


def test_fields_are_checked_against_the_real_systems_metadata(tmp_path: Path) -> None:
    """Against the Zoho CRM and Xero emulators: a field neither system has is refused."""
    with emulators() as emu:
        for synced in make_synced(tmp_path, start=False, memory=False):
            connect(synced.app, emu)
            synced.app.store.integrations.create(accounts_config(), owner_id=synced.owner.id)
            synced.login()
            page = "/integrations/live/flows/accounts/mapping"
            html = synced.client.get(page).text
            assert 'value="Account_Name"' in html and 'value="EmailAddress"' in html
            answer = synced.client.post(
                page, data=form(synced, page, new_crm="No_Such_Field", new_books="Name2")
            )
            assert answer.status_code == 422, answer.text
            assert 'id="new-crm-error"' in answer.text
            assert "No_Such_Field" not in [
                r.crm for r in synced.app.store.integrations.get("live").flow("accounts").fields
            ]
            # Types are compared too: a text field does not go into a url field.
            typed = synced.client.post(
                page, data=form(synced, page, new_crm="Website", new_books="Website")
            )
            assert typed.status_code == 422
            assert "is url" in typed.text
            ok = synced.client.post(page, data=form(synced, page, r1_direction="crm_to_books"))
            assert ok.status_code == 303, ok.text
            saved = synced.app.store.integrations.get("live").flow("accounts")
            assert saved.fields[1].direction is Direction.CRM_TO_BOOKS
