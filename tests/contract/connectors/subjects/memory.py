"""The in-memory connector as a contract subject."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from ledgerbridge.connectors.base import Capabilities
from ledgerbridge.connectors.memory import MemoryConnector, ModuleRules, TickingClock
from tests.contract.connectors.subject import Subject


@contextmanager
def subject() -> Iterator[Subject]:
    clock = TickingClock()
    conn = MemoryConnector(
        "memory",
        clock=clock,
        capabilities=Capabilities(
            page_size=50, batch_size=25, lookup_batch=20, idempotency=True, webhooks=False
        ),
        modules={"Contacts": ModuleRules(required=("Name",), unique=("Name",))},
    )

    def put(fields: dict[str, Any]) -> str:
        return conn.put("Contacts", fields).id

    def edit(record_id: str, changes: dict[str, Any]) -> None:
        conn.edit("Contacts", record_id, changes)

    yield Subject(
        name="memory",
        connector=conn,
        module="Contacts",
        make_fields=lambda i: {"Name": f"Contract Co {i}", "Email": f"c{i}@example.com"},
        invalid_fields={"Email": "no-name@example.com"},
        key_field="Name",
        key_of=lambda f: str(f["Name"]),
        put=put,
        edit=edit,
        advance=lambda s: clock.advance(timedelta(seconds=s)),
        calls=lambda: sum(conn.calls.values()),
        update_field="Email",
        update_value=lambda i: f"new{i}@example.com",
        read_update=lambda f: f.get("Email"),
    )
