"""The Xero connector against the Xero emulator as a contract subject."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.contract.connectors.subject import Subject
from tests.integration.connectors.xero.emulator import xero


@contextmanager
def subject() -> Iterator[Subject]:
    with xero() as world:
        conn = world.connector()

        def put(fields: dict[str, Any]) -> str:
            return str(world.state.add_contact(**fields)["ContactID"])

        def edit(record_id: str, changes: dict[str, Any]) -> None:
            world.state.edit_contact(record_id, **changes)

        yield Subject(
            name="xero",
            connector=conn,
            module="Contacts",
            make_fields=lambda i: {
                "Name": f"Contract Co {i}",
                "EmailAddress": f"c{i}@example.com",
            },
            # Xero refuses a contact without a name on its own, per element.
            invalid_fields={"EmailAddress": "no-name@example.com"},
            key_field="Name",
            key_of=lambda f: str(f["Name"]),
            put=put,
            edit=edit,
            advance=world.sleep,
            calls=lambda: world.ledger.total("xero"),
            update_field="EmailAddress",
            update_value=lambda i: f"new{i}@example.com",
            read_update=lambda f: f.get("EmailAddress"),
            extra={"missing_ids": [str(uuid.UUID(int=7))]},
        )
