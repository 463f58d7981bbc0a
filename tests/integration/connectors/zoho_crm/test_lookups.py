"""Lookups by key: search criteria for a few values, COQL ``in`` for many; escaping."""

from __future__ import annotations

import pytest

from tests.contract.connectors.subjects.zoho_crm import CrmWorld
from tests.integration.connectors.zoho_crm.transports import Recorder

AWKWARD = [
    "O'Brien & Sons",
    'The "Quoted" Company',
    "Smith (UK), Ltd",
    "Back\\slash Trading",
    "(Leading) paren",
    "Trailing comma,",
    "Ünïcödé Großhandel GmbH",
    "株式会社テスト",
    "Комета ООО",
    "شركة الاختبار",
]


def _names(records: list) -> set[str]:  # type: ignore[type-arg]
    return {r.fields["Account_Name"] for r in records}


def test_a_few_awkward_names_are_found_in_one_search(recorder: tuple[CrmWorld, Recorder]) -> None:
    world, rec = recorder
    for name in [*AWKWARD, "Smith UK Ltd", "OBrien & Sons"]:
        world.state.create("Accounts", {"Account_Name": name})
    found = world.crm.find_many("Accounts", "Account_Name", AWKWARD)
    assert _names(found) == set(AWKWARD)
    searches = rec.to("GET", "/crm/v8/Accounts/search")
    assert len(searches) == 1
    criteria = str(searches[0].param("criteria"))
    assert "(Account_Name:equals:Smith \\(UK\\)\\, Ltd)" in criteria
    assert "Back\\\\slash" in criteria


@pytest.mark.parametrize("name", AWKWARD)
def test_each_awkward_name_alone(world: CrmWorld, name: str) -> None:
    world.state.create("Accounts", {"Account_Name": name})
    world.state.create("Accounts", {"Account_Name": name + " Other"})
    assert _names(world.crm.find_many("Accounts", "Account_Name", [name])) == {name}


def test_many_keys_go_through_coql_in_fifty_per_call(recorder: tuple[CrmWorld, Recorder]) -> None:
    world, rec = recorder
    plain = [f"Plain Account {i}" for i in range(110)]
    ids = world.state.bulk_insert("Accounts", [{"Account_Name": n} for n in [*plain, *AWKWARD]])
    wanted = [*plain, *AWKWARD, "No Such Account"]
    found = world.crm.find_many("Accounts", "Account_Name", wanted)
    assert sorted(r.id for r in found) == sorted(ids)
    assert _names(found) == set(plain) | set(AWKWARD)
    coql = rec.to("POST", "/crm/v8/coql")
    assert len(coql) == 3  # 121 values, 50 a call
    assert "'O\\'Brien & Sons'" in coql[2].json()["select_query"]
    assert len(rec.to("GET", "/crm/v8/Accounts")) == 2  # the 120 ids, 100 a call


def test_lookup_by_email_finds_every_record_sharing_a_value(world: CrmWorld) -> None:
    world.state.create("Accounts", {"Account_Name": "Twin"})
    world.state.create("Accounts", {"Account_Name": "Twin"})
    assert len(world.crm.find_many("Accounts", "Account_Name", ["Twin"])) == 2
    many = [f"Nobody {i}" for i in range(20)]
    assert len(world.crm.find_many("Accounts", "Account_Name", [*many, "Twin"])) == 2


def test_no_values_cost_no_call(world: CrmWorld) -> None:
    assert world.crm.find_many("Accounts", "Account_Name", ["", "  "]) == []
    assert world.crm.get_many("Accounts", []) == []
    assert world.calls() == 0
