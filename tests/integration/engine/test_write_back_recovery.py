"""A run that dies between a create and its write-back still writes it back later."""

from __future__ import annotations

from typing import Any

import pytest

from ledgerbridge.connectors.faults import SimulatedCrash
from ledgerbridge.domain.records import Side
from tests.integration.engine.conftest import BuildWorld


def test_write_back_owed_by_a_crashed_run_is_written_by_the_next(build: BuildWorld) -> None:
    w = build()  # the starter recipe writes the accounting id back to CRM accounts (Books_ID)
    acme = w.crm.put("Accounts", {"Account_Name": "Acme Ltd", "Email": "a@acme.test"})
    original = w.crm.update_many

    def die_before_writing(module: str, patches: Any) -> Any:
        raise SimulatedCrash("the process died before the write-back")

    w.crm.update_many = die_before_writing  # type: ignore[method-assign]
    with pytest.raises(SimulatedCrash):
        w.sync()
    w.crm.update_many = original  # type: ignore[method-assign]
    partner = w.partner("accounts", Side.CRM, acme.id)
    assert partner is not None  # created and bound before the crash
    record = w.crm.record("Accounts", acme.id)
    assert record is not None and "Books_ID" not in record.fields
    w.sync()
    record = w.crm.record("Accounts", acme.id)
    assert record is not None and record.fields.get("Books_ID") == partner.id
    assert w.sizes("accounts") == (1, 1)
    # Settled: a further run writes nothing.
    before = w.write_total()
    w.sync()
    assert w.write_total() == before
