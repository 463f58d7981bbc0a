"""Bindings: bulk reads and writes, the one-binding-per-record rule, statement counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ledgerbridge.domain.bindings import Binding
from ledgerbridge.domain.errors import StateError
from ledgerbridge.domain.records import Side
from ledgerbridge.store import StatementCounter, Store
from ledgerbridge.store.bindings import _GET_MANY
from tests.integration.store.samples import make_integration


def _b(n: int, **changes: object) -> Binding:
    values: dict[str, object] = {
        "crm_id": f"crm-{n}",
        "books_id": f"books-{n}",
        "base": {"Name": f"Account {n}"},
        "crm_hash": f"ch{n}",
        "books_hash": f"bh{n}",
    }
    values.update(changes)
    return Binding(**values)  # type: ignore[arg-type]


def test_insert_and_get_many_on_both_sides(store: Store) -> None:
    iid = make_integration(store)
    saved = store.bindings.insert_many(iid, "accounts", [_b(1), _b(2), _b(3)])
    assert [b.crm_id for b in saved] == ["crm-1", "crm-2", "crm-3"]
    assert all(b.id is not None for b in saved)
    assert len({b.id for b in saved}) == 3

    by_crm = store.bindings.get_many(iid, "accounts", Side.CRM, ["crm-1", "crm-3", "crm-9"])
    assert by_crm == {"crm-1": saved[0], "crm-3": saved[2]}
    by_books = store.bindings.get_many(iid, "accounts", Side.BOOKS, ["books-2", "books-2"])
    assert by_books == {"books-2": saved[1]}
    assert store.bindings.get_many(iid, "accounts", Side.CRM, []) == {}
    assert store.bindings.get_many(iid, "invoices", Side.CRM, ["crm-1"]) == {}
    assert store.bindings.insert_many(iid, "accounts", []) == []


def test_values_round_trip(store: Store) -> None:
    iid = make_integration(store)
    plus_two = timezone(timedelta(hours=2))
    crm_time = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=plus_two)
    binding = _b(
        1,
        base={
            "Amount": Decimal("10.10"),
            "Due": date(2026, 3, 31),
            "At": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            "Lines": [{"Qty": 2}],
            "Flag": None,
        },
        crm_modified_at=crm_time,
        books_modified_at=None,
        extra={"number": "INV-0001"},
    )
    (saved,) = store.bindings.insert_many(iid, "accounts", [binding])
    got = store.bindings.get_many(iid, "accounts", Side.CRM, ["crm-1"])["crm-1"]
    assert got.crm_modified_at == crm_time
    assert got.crm_modified_at is not None
    assert got.crm_modified_at.tzinfo == UTC
    assert got.books_modified_at is None
    # JSON holds Decimals and dates as strings; they come back as strings.
    assert got.base == {
        "Amount": "10.10",
        "Due": "2026-03-31",
        "At": "2026-03-01T09:00:00+00:00",
        "Lines": [{"Qty": 2}],
        "Flag": None,
    }
    assert got.extra == {"number": "INV-0001"}
    assert got.id == saved.id


def test_naive_datetimes_are_refused(store: Store) -> None:
    iid = make_integration(store)
    naive = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(sa.exc.StatementError) as info:
        store.bindings.insert_many(iid, "accounts", [_b(1, crm_modified_at=naive)])
    assert isinstance(info.value.orig, ValueError)
    assert store.bindings.count(iid) == 0


def test_unique_violations_are_refused(store: Store) -> None:
    iid = make_integration(store)
    store.bindings.insert_many(iid, "accounts", [_b(1), _b(2)])

    with pytest.raises(StateError, match=r"flow accounts: .*crm ids crm-2") as info:
        store.bindings.insert_many(iid, "accounts", [_b(3), _b(2, books_id="books-new")])
    assert "books" not in str(info.value).split("crm ids")[1]
    with pytest.raises(StateError, match=r"flow accounts: .*books ids books-1"):
        store.bindings.insert_many(iid, "accounts", [_b(4, books_id="books-1")])
    with pytest.raises(StateError, match=r"crm ids crm-5"):
        store.bindings.insert_many(iid, "accounts", [_b(5), _b(5, books_id="books-x")])
    # Nothing of a refused batch is stored.
    assert store.bindings.count(iid, "accounts") == 2
    assert store.bindings.get_many(iid, "accounts", Side.CRM, ["crm-3", "crm-4", "crm-5"]) == {}

    # The same record may be bound in another flow and in another integration.
    store.bindings.insert_many(iid, "invoices", [_b(1)])
    other = store.integrations.create(
        store.integrations.config("acme").model_copy(update={"name": "other"})
    ).id
    store.bindings.insert_many(other, "accounts", [_b(1)])
    assert store.bindings.count(iid) == 3
    assert store.bindings.count(other) == 1


def test_update_many(store: Store) -> None:
    iid = make_integration(store)
    first, second = store.bindings.insert_many(iid, "accounts", [_b(1), _b(2)])
    when = datetime(2026, 5, 5, tzinfo=UTC)
    changed = Binding(
        id=first.id,
        crm_id="crm-1",
        books_id="books-1b",
        base={"Name": "Renamed"},
        crm_hash="new-c",
        books_hash="new-b",
        crm_modified_at=when,
        books_modified_at=when,
        extra={"number": "7"},
    )
    store.bindings.update_many(iid, "accounts", [changed])
    got = store.bindings.get_many(iid, "accounts", Side.CRM, ["crm-1", "crm-2"])
    assert got["crm-1"] == changed
    assert got["crm-2"] == second
    assert store.bindings.get_many(iid, "accounts", Side.BOOKS, ["books-1"]) == {}

    clash = Binding(
        id=second.id, crm_id="crm-1", books_id="books-2", base={}, crm_hash="", books_hash=""
    )
    with pytest.raises(StateError, match="crm ids crm-1"):
        store.bindings.update_many(iid, "accounts", [clash])
    with pytest.raises(StateError, match="never stored"):
        store.bindings.update_many(iid, "accounts", [_b(9)])
    store.bindings.update_many(iid, "accounts", [])
    assert store.bindings.get_many(iid, "accounts", Side.CRM, ["crm-2"])["crm-2"] == second


def test_delete_count_and_iterate(store: Store) -> None:
    iid = make_integration(store)
    saved = store.bindings.insert_many(iid, "accounts", [_b(n) for n in range(23)])
    store.bindings.insert_many(iid, "invoices", [_b(n) for n in range(4)])
    assert store.bindings.count(iid) == 27
    assert store.bindings.count(iid, "accounts") == 23

    walked = list(store.bindings.iter_all(iid, "accounts", chunk=5))
    assert walked == saved
    assert list(store.bindings.iter_all(iid, "accounts", chunk=23)) == saved
    assert list(store.bindings.iter_all(iid, "products")) == []

    doomed = [b.id for b in saved[:10] if b.id is not None]
    # Ids of another flow are left alone.
    assert store.bindings.delete_many(iid, "invoices", doomed) == 0
    assert store.bindings.delete_many(iid, "accounts", doomed) == 10
    assert store.bindings.delete_many(iid, "accounts", []) == 0
    assert store.bindings.count(iid, "accounts") == 13
    assert [b.crm_id for b in store.bindings.iter_all(iid, "accounts", chunk=4)] == [
        f"crm-{n}" for n in range(10, 23)
    ]


def _fill(store: Store, iid: int, flow: str, start: int, stop: int) -> None:
    batch = 5000
    for offset in range(start, stop, batch):
        store.bindings.insert_many(
            iid, flow, [_b(n) for n in range(offset, min(offset + batch, stop))]
        )


def test_get_many_statement_count_independent_of_table_size(store: Store) -> None:
    iid = make_integration(store)
    wanted = [f"crm-{n}" for n in range(0, 1000, 2)] + [f"crm-{n}" for n in range(1000, 1300)]

    _fill(store, iid, "accounts", 0, 1000)
    with StatementCounter(store.engine) as small:
        found_small = store.bindings.get_many(iid, "accounts", Side.CRM, wanted)
    assert small.count == 2  # 800 ids: one SELECT per 500
    assert len(found_small) == 500

    _fill(store, iid, "accounts", 1000, 20000)
    with StatementCounter(store.engine) as large:
        found_large = store.bindings.get_many(iid, "accounts", Side.CRM, wanted)
    assert large.count == small.count
    assert len(found_large) == 800

    with StatementCounter(store.engine) as exact:
        store.bindings.get_many(iid, "accounts", Side.BOOKS, [f"books-{n}" for n in range(1500)])
    assert exact.count == 3


def test_insert_many_is_bulk(store: Store) -> None:
    iid = make_integration(store)
    with StatementCounter(store.engine) as counter:
        saved = store.bindings.insert_many(iid, "accounts", [_b(n) for n in range(900)])
    assert len(saved) == 900
    # insertmanyvalues sends at most a few multi-row statements, never one per row.
    assert counter.count <= 3
    with StatementCounter(store.engine) as counter:
        store.bindings.update_many(iid, "accounts", saved)
    assert counter.count <= 3


def test_get_many_plan_uses_the_unique_index(store: Store) -> None:
    """No statistics yet (a freshly filled table): the lookup still goes through the index."""
    iid = make_integration(store)
    _fill(store, iid, "accounts", 0, 3000)
    with StatementCounter(store.engine) as counter:
        store.bindings.get_many(iid, "accounts", Side.BOOKS, ["books-1", "books-2"])
    (statement,) = counter.statements
    assert "FROM bindings" in statement
    query = _GET_MANY[Side.BOOKS].params(
        integration_id=iid, flow="accounts", ids=["books-1", "books-2"]
    )
    with store.engine.connect() as conn:
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN " if conn.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        text = "\n".join(str(row) for row in conn.exec_driver_sql(explain + sql))
    if store.engine.dialect.name == "postgresql":
        assert "Index Scan using uq_bindings_books_id_integration_id_flow" in text, text
    else:
        # SQLite names the index of a table-level UNIQUE constraint itself.
        assert "USING INDEX sqlite_autoindex_bindings" in text, text
        assert "books_id=? AND integration_id=? AND flow=?" in text, text
