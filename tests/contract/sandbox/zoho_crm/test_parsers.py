"""The search criteria and COQL parsers on their own."""

from __future__ import annotations

import pytest

from ledgerbridge.sandbox.zoho_crm.conditions import Comparison, Group, count_comparisons
from ledgerbridge.sandbox.zoho_crm.coql import CoqlLimitError, CoqlSyntaxError, parse_coql
from ledgerbridge.sandbox.zoho_crm.criteria import CriteriaError, escape_value, parse_criteria


def test_single_comparison() -> None:
    assert parse_criteria("(Email:equals:a@b.c)") == Comparison("Email", "equals", ("a@b.c",))


def test_or_of_two_with_outer_parentheses() -> None:
    node = parse_criteria("((Email:equals:a@b.c)or(Email:equals:x@y.z))")
    assert node == Group(
        "or",
        (Comparison("Email", "equals", ("a@b.c",)), Comparison("Email", "equals", ("x@y.z",))),
    )


def test_and_binds_tighter_than_or() -> None:
    node = parse_criteria("(A:equals:1)or(B:equals:2)and(C:equals:3)")
    assert isinstance(node, Group)
    assert node.joiner == "or"
    assert node.items[1] == Group(
        "and", (Comparison("B", "equals", ("2",)), Comparison("C", "equals", ("3",)))
    )


def test_escaped_parentheses_commas_and_backslashes_are_literal() -> None:
    node = parse_criteria(r"(Account_Name:equals:Smith \(UK\)\, Ltd \\ Co)")
    assert node == Comparison("Account_Name", "equals", ("Smith (UK), Ltd \\ Co",))


def test_escape_value_round_trips() -> None:
    name = "O'Neil (Pty), Ltd \\ 東京"
    assert parse_criteria(f"(Account_Name:equals:{escape_value(name)})") == Comparison(
        "Account_Name", "equals", (name,)
    )


@pytest.mark.parametrize(
    "text",
    [
        "(Account_Name:equals:Smith (UK))",
        "(Account_Name:equals:Smith, Ltd)",
        "(Account_Name:equals:Smith",
        "(Account_Name:equal:Smith)",
        "(Account_Name)",
        "(A:equals:1)xor(B:equals:2)",
        "",
        "(A:equals:1))",
    ],
)
def test_malformed_criteria_are_refused(text: str) -> None:
    with pytest.raises(CriteriaError):
        parse_criteria(text)


def test_in_and_between_split_on_unescaped_commas() -> None:
    assert parse_criteria(r"(Email:in:a@b.c,x\,y@z.q)") == Comparison(
        "Email", "in", ("a@b.c", "x,y@z.q")
    )
    assert parse_criteria("(Unit_Price:between:1,5)") == Comparison(
        "Unit_Price", "between", ("1", "5")
    )


def test_comparisons_are_counted_through_groups() -> None:
    text = "(" + "or".join(f"(Email:equals:u{n}@x.y)" for n in range(11)) + ")"
    assert count_comparisons(parse_criteria(text)) == 11


def test_coql_full_query() -> None:
    query = parse_coql(
        "select Email, Last_Name, Account_Name.Account_Name from Contacts "
        "where (Email in ('a@b.c', 'x@y.z')) and Modified_Time >= '2026-01-01T00:00:00+00:00' "
        "order by Modified_Time desc limit 10, 200"
    )
    assert query.fields == ["Email", "Last_Name", "Account_Name.Account_Name"]
    assert query.module == "Contacts"
    assert query.order_by == [("Modified_Time", "desc")]
    assert (query.offset, query.limit) == (10, 200)
    assert query.where == Group(
        "and",
        (
            Comparison("Email", "in", ("a@b.c", "x@y.z")),
            Comparison("Modified_Time", "greater_equal", ("2026-01-01T00:00:00+00:00",)),
        ),
    )


def test_coql_strings_with_escaped_quotes_and_operators() -> None:
    query = parse_coql(
        r"select Last_Name from Contacts where Last_Name = 'O\'Brien' or Email is not null "
        r"or Last_Name not in ('a') or Email like '%@x.com' or First_Name is null limit 5"
    )
    assert isinstance(query.where, Group)
    assert query.where.items[0] == Comparison("Last_Name", "equals", ("O'Brien",))
    assert query.where.items[1] == Comparison("Email", "is_not_null", ())
    assert query.where.items[2] == Comparison("Last_Name", "not_in", ("a",))
    assert query.where.items[3] == Comparison("Email", "like", ("%@x.com",))
    assert query.where.items[4] == Comparison("First_Name", "is_null", ())
    assert (query.offset, query.limit) == (0, 5)


def test_coql_limit_with_offset_keyword() -> None:
    query = parse_coql("select id from Accounts limit 50 offset 100")
    assert (query.offset, query.limit) == (100, 50)


@pytest.mark.parametrize(
    ("text", "near"),
    [
        ("select from Contacts", "from"),
        ("select Email Contacts", "Contacts"),
        ("select Email from Contacts where Email = ", "<end>"),
        ("select Email from Contacts where Email == 'a'", "="),
        ("select Email from Contacts where Email = 'a' order Email", "Email"),
    ],
)
def test_coql_syntax_errors_say_where(text: str, near: str) -> None:
    with pytest.raises(CoqlSyntaxError) as caught:
        parse_coql(text)
    assert caught.value.near == near


def test_coql_unterminated_string() -> None:
    with pytest.raises(CoqlSyntaxError):
        parse_coql("select Email from Contacts where Email = 'abc")


def test_coql_limit_above_two_thousand() -> None:
    with pytest.raises(CoqlLimitError):
        parse_coql("select Email from Contacts limit 0, 2001")
