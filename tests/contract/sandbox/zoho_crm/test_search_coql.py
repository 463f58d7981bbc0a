"""Search by criteria, email and word; COQL queries and their errors."""

from __future__ import annotations

import pytest

from ledgerbridge.sandbox.zoho_crm.criteria import escape_value
from tests.contract.sandbox.zoho_crm.conftest import Crm, account, contact

AWKWARD_NAMES = [
    'The "Quoted" Co',
    "O'Brien & Sons",
    "Smith (UK) Ltd",
    "Jones, Jones, and Partners",
    "Back\\slash Trading",
    "Москва Торг",
    "東京商事株式会社",
    "Ünïcödé GmbH",
]


def search(crm: Crm, module: str, **params: object) -> list[dict[str, object]]:
    answer = crm.get(f"/{module}/search", params={"per_page": 200, **params})
    if answer.status_code == 204:
        return []
    assert answer.status_code == 200, answer.text
    data: list[dict[str, object]] = answer.json()["data"]
    return data


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_escaped_names_match_exactly_once(crm: Crm, name: str) -> None:
    crm.insert("Accounts", *(account(other) for other in AWKWARD_NAMES))
    found = search(crm, "Accounts", criteria=f"(Account_Name:equals:{escape_value(name)})")
    assert [record["Account_Name"] for record in found] == [name]


def test_equals_is_case_insensitive_for_every_script(crm: Crm) -> None:
    crm.insert("Accounts", account("Москва Торг"), account("ACME"))
    assert len(search(crm, "Accounts", criteria="(Account_Name:equals:москва торг)")) == 1
    assert len(search(crm, "Accounts", criteria="(Account_Name:equals:acme)")) == 1


@pytest.mark.parametrize(
    "criteria", ["(Account_Name:equals:Smith (UK) Ltd)", "(Account_Name:equals:Jones, Jones)"]
)
def test_unescaped_parentheses_and_commas_are_invalid(crm: Crm, criteria: str) -> None:
    crm.insert("Accounts", account("Smith (UK) Ltd"))
    answer = crm.get("/Accounts/search", params={"criteria": criteria, "per_page": 10})
    assert answer.status_code == 400
    assert answer.json()["code"] == "INVALID_QUERY"
    assert answer.json()["message"] == "Invalid query formed"


def test_or_of_emails_in_one_call(crm: Crm) -> None:
    crm.insert(
        "Contacts",
        contact("A", "a@b.test"),
        contact("X", "x@y.test"),
        contact("Other", "other@z.test"),
    )
    found = search(crm, "Contacts", criteria="((Email:equals:A@B.test)or(Email:equals:x@y.test))")
    assert sorted(str(record["Last_Name"]) for record in found) == ["A", "X"]


def test_more_than_ten_criteria_are_refused(crm: Crm) -> None:
    crm.insert("Contacts", contact("A", "a@b.test"))
    ten = "(" + "or".join(f"(Email:equals:u{n}@x.test)" for n in range(10)) + ")"
    assert crm.get("/Contacts/search", params={"criteria": ten, "per_page": 5}).status_code == 204
    eleven = "(" + "or".join(f"(Email:equals:u{n}@x.test)" for n in range(11)) + ")"
    answer = crm.get("/Contacts/search", params={"criteria": eleven, "per_page": 5})
    assert answer.status_code == 400
    assert answer.json()["code"] == "CRITERIA_LIMIT_EXCEEDED"


def test_in_takes_at_most_a_hundred_values(crm: Crm) -> None:
    crm.insert("Contacts", contact("A", "u0@x.test"))
    values = ",".join(f"u{n}@x.test" for n in range(101))
    answer = crm.get("/Contacts/search", params={"criteria": f"(Email:in:{values})", "per_page": 5})
    assert answer.status_code == 400
    assert answer.json()["message"] == 'Only 100 values are allowed in "IN" criteria'
    hundred = ",".join(f"u{n}@x.test" for n in range(100))
    found = crm.get("/Contacts/search", params={"criteria": f"(Email:in:{hundred})", "per_page": 5})
    assert found.json()["info"]["count"] == 1


def test_operators_on_text_numbers_booleans_and_lookups(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    crm.insert(
        "Products",
        {"Product_Name": "Widget", "Unit_Price": 10, "Product_Active": True},
        {"Product_Name": "Wrench", "Unit_Price": 25, "Product_Active": False},
        {"Product_Name": "Gadget", "Unit_Price": 40, "Product_Active": True},
    )
    crm.insert("Contacts", contact("Lee", Account_Name={"id": acme}), contact("Loner"))

    def names(module: str, criteria: str) -> list[str]:
        return sorted(
            str(r.get("Product_Name") or r.get("Last_Name"))
            for r in search(crm, module, criteria=criteria)
        )

    assert names("Products", "(Product_Name:starts_with:w)") == ["Widget", "Wrench"]
    assert names("Products", "(Unit_Price:greater_than:10)") == ["Gadget", "Wrench"]
    assert names("Products", "(Unit_Price:between:10,25)") == ["Widget", "Wrench"]
    assert names("Products", "((Product_Active:equals:true)and(Unit_Price:less_than:40))") == [
        "Widget"
    ]
    assert names("Products", "(Product_Name:in:Widget,Gadget)") == ["Gadget", "Widget"]
    assert names("Products", "(Product_Name:not_equal:Widget)") == ["Gadget", "Wrench"]
    assert names("Contacts", "(Account_Name:equals:acme)") == ["Lee"]
    assert names("Contacts", f"(Account_Name.id:equals:{acme})") == ["Lee"]


def test_unknown_field_in_criteria(crm: Crm) -> None:
    answer = crm.get("/Contacts/search", params={"criteria": "(Nope:equals:1)", "per_page": 5})
    assert answer.status_code == 400
    assert answer.json()["details"]["api_name"] == "Nope"


def test_email_and_word_parameters(crm: Crm) -> None:
    crm.insert(
        "Contacts",
        contact("Primary", "Lead@Acme.test"),
        contact("Second", "x@x.test", Secondary_Email="lead@acme.test"),
        contact("Wordy", "w@w.test", Title="Chief Widget Officer", Mobile="+44 7700 900123"),
    )
    assert sorted(str(r["Last_Name"]) for r in search(crm, "Contacts", email="lead@acme.test")) == [
        "Primary",
        "Second",
    ]
    assert [r["Last_Name"] for r in search(crm, "Contacts", word="widget")] == ["Wordy"]
    assert [r["Last_Name"] for r in search(crm, "Contacts", phone="+44 7700 900123")] == ["Wordy"]


def test_search_index_lag(crm: Crm) -> None:
    crm.state.search_lag_seconds = 30
    crm.insert("Accounts", account("Fresh"))
    assert search(crm, "Accounts", criteria="(Account_Name:equals:Fresh)") == []
    crm.clock.advance(31)
    assert len(search(crm, "Accounts", criteria="(Account_Name:equals:Fresh)")) == 1


def test_search_stops_at_two_thousand(crm: Crm) -> None:
    crm.state.bulk_insert("Accounts", (account(f"Bulk {n}") for n in range(2100)))
    criteria = "(Account_Name:starts_with:Bulk)"
    tenth = crm.get("/Accounts/search", params={"criteria": criteria, "per_page": 200, "page": 10})
    assert tenth.json()["info"] == {"per_page": 200, "count": 200, "page": 10, "more_records": True}
    beyond = crm.get("/Accounts/search", params={"criteria": criteria, "per_page": 200, "page": 11})
    assert beyond.status_code == 400
    assert beyond.json()["code"] == "LIMIT_REACHED"


def test_search_without_any_criteria(crm: Crm) -> None:
    answer = crm.get("/Accounts/search", params={"per_page": 10})
    assert answer.status_code == 400
    assert answer.json()["code"] == "EXPECTED_PARAM_MISSING"


def coql(crm: Crm, query: str) -> tuple[int, dict[str, object]]:
    answer = crm.post("/coql", {"select_query": query})
    return answer.status_code, (answer.json() if answer.content else {})


def test_coql_in_where_order_and_limit(crm: Crm) -> None:
    [acme] = crm.insert("Accounts", account("Acme"))
    crm.insert(
        "Contacts",
        contact("A", "a@b.test", Account_Name={"id": acme}),
        contact("X", "x@y.test"),
        contact("N", "n@n.test"),
    )
    status, body = coql(
        crm,
        "select Email, Last_Name, Account_Name, Account_Name.Account_Name from Contacts "
        "where (Email in ('A@B.test', 'x@y.test')) "
        "and Modified_Time >= '2026-03-10T00:00:00+00:00' "
        "order by Last_Name desc limit 0, 200",
    )
    assert status == 200
    data = body["data"]
    assert isinstance(data, list)
    assert [row["Last_Name"] for row in data] == ["X", "A"]
    assert data[1]["Account_Name"] == {"id": acme}
    assert data[1]["Account_Name.Account_Name"] == "Acme"
    assert body["info"] == {"count": 2, "more_records": False}
    _, by_lookup = coql(
        crm, "select Last_Name from Contacts where Account_Name.Account_Name = 'ACME' limit 5"
    )
    assert [row["Last_Name"] for row in by_lookup["data"]] == ["A"]  # type: ignore[attr-defined]
    _, by_id = coql(crm, f"select Last_Name from Contacts where Account_Name = '{acme}'")
    assert [row["Last_Name"] for row in by_id["data"]] == ["A"]  # type: ignore[attr-defined]


def test_coql_like_null_and_escaped_quote(crm: Crm) -> None:
    crm.insert(
        "Contacts",
        contact("O'Brien", "ob@acme.test"),
        contact("Nomail"),
        contact("Other", "o@elsewhere.test"),
    )
    _, body = coql(crm, r"select Last_Name from Contacts where Last_Name = 'o\'brien'")
    assert [row["Last_Name"] for row in body["data"]] == ["O'Brien"]  # type: ignore[attr-defined]
    _, body = coql(crm, "select Last_Name from Contacts where Email like '%@acme.test'")
    assert [row["Last_Name"] for row in body["data"]] == ["O'Brien"]  # type: ignore[attr-defined]
    _, body = coql(crm, "select Last_Name from Contacts where Email is null")
    assert [row["Last_Name"] for row in body["data"]] == ["Nomail"]  # type: ignore[attr-defined]
    _, body = coql(
        crm,
        "select Last_Name from Contacts "
        "where Email not in ('o@elsewhere.test') and Email is not null",
    )
    assert [row["Last_Name"] for row in body["data"]] == ["O'Brien"]  # type: ignore[attr-defined]


def test_coql_paging_with_offset(crm: Crm) -> None:
    # kept small: validating COQL answers resolves refs across spec files for every row
    crm.state.bulk_insert("Accounts", (account(f"N{n:03d}") for n in range(12)))
    _, first = coql(crm, "select Account_Name from Accounts order by Account_Name limit 0, 5")
    _, last = coql(crm, "select Account_Name from Accounts order by Account_Name limit 10, 5")
    assert first["info"] == {"count": 5, "more_records": True}
    assert last["info"] == {"count": 2, "more_records": False}
    assert [row["Account_Name"] for row in last["data"]] == ["N010", "N011"]  # type: ignore[attr-defined]


def test_coql_errors(crm: Crm) -> None:
    crm.insert("Accounts", account("Acme"))
    status, body = coql(crm, "select Account_Name Accounts")
    assert (status, body["code"]) == (400, "SYNTAX_ERROR")
    assert body["details"] == {"line": 1, "column": 21, "near": "Accounts"}
    status, body = coql(crm, "select Account_Name from Accounts limit 0, 2001")
    assert (status, body["code"]) == (400, "LIMIT_EXCEEDED")
    status, body = coql(crm, "select Account_Name from Accounts limit 99000, 2000")
    assert (status, body["code"]) == (400, "LIMIT_EXCEEDED")
    columns = ", ".join(["Account_Name"] * 51)
    status, body = coql(crm, f"select {columns} from Accounts")
    assert (status, body["code"]) == (400, "LIMIT_EXCEEDED")
    status, body = coql(crm, "select Nope from Accounts")
    assert (status, body["code"]) == (400, "INVALID_QUERY")
    assert body["message"] == "column given seems to be invalid"
    assert body["details"]["column_name"] == "Nope"  # type: ignore[index]
    status, body = coql(crm, "select Account_Name from Widgets")
    assert (status, body["code"]) == (400, "INVALID_QUERY")
    status, body = coql(crm, "select Account_Name from Accounts where Account_Name = 'Nobody'")
    assert status == 204
