"""The in-memory connector behaves like a real paged, batched, validating API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from ledgerbridge.connectors.base import Capabilities, Connector
from ledgerbridge.connectors.memory import (
    MemoryConnector,
    ModuleRules,
    TickingClock,
    trim_strings,
)
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Draft, Page, Patch, Record

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def caps(
    *,
    page_size: int = 200,
    batch_size: int = 100,
    lookup_batch: int = 100,
    idempotency: bool = True,
) -> Capabilities:
    return Capabilities(
        page_size=page_size,
        batch_size=batch_size,
        lookup_batch=lookup_batch,
        idempotency=idempotency,
        webhooks=False,
    )


def make(**kwargs: Any) -> MemoryConnector:
    kwargs.setdefault("clock", TickingClock(START))
    kwargs.setdefault(
        "modules",
        {
            "Contacts": ModuleRules(required=("Name",), unique=("Name",), id_prefix="C-"),
            "Items": ModuleRules(required=("Code",), unique=("Code",)),
            "Invoices": ModuleRules(),
        },
    )
    return MemoryConnector("xero", **kwargs)


def read_all(conn: MemoryConnector, module: str, since: datetime | None = None) -> list[Record]:
    return [r for page in conn.read_changes(module, since) for r in page.records]


def names(records: list[Record]) -> list[str]:
    return [r.fields["Name"] for r in records]


@pytest.fixture
def conn() -> MemoryConnector:
    return make()


# -- the clock -------------------------------------------------------------------------------


def test_ticking_clock_strictly_increases_and_advances() -> None:
    clock = TickingClock(START, step=timedelta(seconds=1))
    assert clock() == START
    assert clock() == START + timedelta(seconds=1)
    assert clock.peek() == START + timedelta(seconds=2)
    clock.advance(timedelta(hours=1))
    assert clock() == START + timedelta(hours=1, seconds=2)
    assert clock.peek().tzinfo is not None


def test_ticking_clock_refuses_naive_start_zero_step_and_going_back() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TickingClock(datetime(2025, 1, 1))  # noqa: DTZ001 - the naive value is the point
    with pytest.raises(ValueError, match="positive"):
        TickingClock(START, step=timedelta(0))
    with pytest.raises(ValueError, match="forward"):
        TickingClock(START).advance(timedelta(seconds=-1))


# -- the Protocol and direct access ----------------------------------------------------------


def test_is_a_connector_with_default_capabilities() -> None:
    conn = MemoryConnector()
    assert isinstance(conn, Connector)
    assert conn.system == "memory"
    assert conn.capabilities == Capabilities(
        page_size=200, batch_size=100, lookup_batch=100, idempotency=True, webhooks=False
    )


def test_put_assigns_prefixed_counter_ids_and_counts_no_calls(conn: MemoryConnector) -> None:
    first = conn.put("Contacts", {"Name": "Ada"})
    second = conn.put("Contacts", {"Name": "Bob"})
    assert (first.id, second.id) == ("C-1", "C-2")
    assert first.modified_at < second.modified_at
    assert conn.count("Contacts") == 2
    assert conn.record("Contacts", "C-1") == first
    assert [r.id for r in conn.all("Contacts")] == ["C-1", "C-2"]
    assert sum(conn.calls.values()) == 0


def test_put_with_an_explicit_id_is_skipped_by_the_counter(conn: MemoryConnector) -> None:
    conn.put("Items", {"Code": "A"}, id="2")
    assert conn.put("Items", {"Code": "B"}).id == "1"
    assert conn.put("Items", {"Code": "C"}).id == "3"
    with pytest.raises(ValueError, match="already has"):
        conn.put("Items", {"Code": "D"}, id="3")


def test_uuid_ids_are_reproducible() -> None:
    rules = {"Contacts": ModuleRules(id_style="uuid")}
    one = make(modules=rules)
    two = make(modules=rules)
    ids = [one.put("Contacts", {"Name": str(i)}).id for i in range(3)]
    assert ids == [two.put("Contacts", {"Name": str(i)}).id for i in range(3)]
    assert len(set(ids)) == 3
    assert all(len(i) == 36 and i[14] == "4" for i in ids)


def test_edit_merges_and_clears_and_delete_leaves_nothing_live(conn: MemoryConnector) -> None:
    rec = conn.put("Contacts", {"Name": "Ada", "Phone": "1", "Address": {"City": "Oslo"}})
    edited = conn.edit("Contacts", rec.id, {"Phone": None, "Address": {"Street": "Main"}})
    assert edited.fields == {"Name": "Ada", "Address": {"Street": "Main"}}
    assert edited.modified_at > rec.modified_at
    conn.delete("Contacts", rec.id)
    assert conn.record("Contacts", rec.id) is None
    assert conn.count("Contacts") == 0
    assert conn.all("Contacts") == []
    with pytest.raises(KeyError):
        conn.edit("Contacts", rec.id, {"Phone": "2"})
    with pytest.raises(KeyError):
        conn.delete("Contacts", rec.id)


def test_a_configured_system_refuses_unknown_modules(conn: MemoryConnector) -> None:
    with pytest.raises(ConfigError, match="no module 'Leads'"):
        conn.put("Leads", {"Name": "x"})
    with pytest.raises(ConfigError):
        conn.read_changes("Leads", None)
    with pytest.raises(ConfigError):
        conn.find_many("Leads", "Name", ["x"])
    open_system = MemoryConnector(clock=TickingClock(START))
    assert open_system.put("Leads", {"Name": "x"}).id == "1"


def test_describe_reports_currency_modules_and_fields(conn: MemoryConnector) -> None:
    conn.put("Items", {"Code": "A", "Price": 1.5, "Qty": 3, "Sold": True, "Lines": [], "T": {}})
    org = conn.describe()
    assert org.base_currency == "USD"
    assert [m.name for m in org.modules] == ["Contacts", "Items", "Invoices"]
    items = {f.name: f for f in org.modules[1].fields}
    assert items["Code"].required
    assert not items["Price"].required
    kinds = {name: f.type for name, f in items.items()}
    assert kinds == {
        "Code": "text",
        "Price": "decimal",
        "Qty": "number",
        "Sold": "boolean",
        "Lines": "subform",
        "T": "lookup",
    }
    assert conn.calls["describe"] == 1
    assert make(base_currency="NZD").describe().base_currency == "NZD"


# -- the change feed -------------------------------------------------------------------------


def test_pages_hold_page_size_records_ascending_one_call_each() -> None:
    conn = make(capabilities=caps(page_size=3))
    for i in range(7):
        conn.put("Contacts", {"Name": f"n{i}"})
    pages = list(conn.read_changes("Contacts", None))
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert [p.next_token is None for p in pages] == [False, False, True]
    assert conn.calls["read_changes"] == 3
    records = [r for p in pages for r in p.records]
    assert names(records) == [f"n{i}" for i in range(7)]
    keys = [(r.modified_at, r.id) for r in records]
    assert keys == sorted(keys)


def test_a_full_last_page_needs_no_extra_call() -> None:
    conn = make(capabilities=caps(page_size=3))
    for i in range(6):
        conn.put("Contacts", {"Name": f"n{i}"})
    pages = list(conn.read_changes("Contacts", None))
    assert [len(p.records) for p in pages] == [3, 3]
    assert pages[-1].next_token is None
    assert conn.calls["read_changes"] == 2


def test_nothing_changed_is_one_call_with_an_empty_page(conn: MemoryConnector) -> None:
    rec = conn.put("Contacts", {"Name": "Ada"})
    pages = list(conn.read_changes("Contacts", rec.modified_at + timedelta(microseconds=1)))
    assert pages == [Page(records=[], next_token=None)]
    assert conn.calls["read_changes"] == 1


def test_reading_is_lazy_until_the_first_page_is_asked_for(conn: MemoryConnector) -> None:
    pages = conn.read_changes("Contacts", None)
    assert conn.calls["read_changes"] == 0
    conn.put("Contacts", {"Name": "late"})
    assert names(next(pages).records) == ["late"]


def test_since_includes_records_modified_exactly_then(conn: MemoryConnector) -> None:
    recs = [conn.put("Contacts", {"Name": f"n{i}"}) for i in range(5)]
    assert names(read_all(conn, "Contacts", recs[2].modified_at)) == ["n2", "n3", "n4"]
    just_after = recs[2].modified_at + timedelta(microseconds=1)
    assert names(read_all(conn, "Contacts", just_after)) == ["n3", "n4"]
    assert names(read_all(conn, "Contacts", START - timedelta(days=1))) == [
        f"n{i}" for i in range(5)
    ]


def test_since_must_be_timezone_aware(conn: MemoryConnector) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        conn.read_changes("Contacts", datetime(2025, 1, 1))  # noqa: DTZ001 - the point


def test_an_edited_record_moves_to_the_end_and_comes_once(conn: MemoryConnector) -> None:
    a = conn.put("Contacts", {"Name": "a"})
    conn.put("Contacts", {"Name": "b"})
    conn.edit("Contacts", a.id, {"Name": "a2"})
    conn.edit("Contacts", a.id, {"Name": "a3"})
    assert names(read_all(conn, "Contacts")) == ["b", "a3"]


def test_deleted_records_come_as_tombstones_since_then(conn: MemoryConnector) -> None:
    a = conn.put("Contacts", {"Name": "a"})
    b = conn.put("Contacts", {"Name": "b"})
    cut = conn.put("Contacts", {"Name": "c"}).modified_at
    conn.delete("Contacts", a.id)
    changes = read_all(conn, "Contacts", cut)
    assert [(r.id, r.deleted) for r in changes] == [("C-3", False), (a.id, True)]
    assert changes[1].fields == {}
    assert changes[1].modified_at > cut
    # Deleted before ``since``: nothing to report.
    assert read_all(conn, "Contacts", changes[1].modified_at + timedelta(seconds=1)) == []
    # A full read lists the live records only.
    assert [r.id for r in read_all(conn, "Contacts")] == [b.id, "C-3"]


def test_fields_limit_what_comes_back(conn: MemoryConnector) -> None:
    conn.put("Contacts", {"Name": "a", "Phone": "1", "Email": "a@x.io"})
    [page] = conn.read_changes("Contacts", None, fields=["Email", "Name", "Missing"])
    assert page.records[0].id == "C-1"
    assert page.records[0].fields == {"Email": "a@x.io", "Name": "a"}


def test_equal_times_come_in_id_order_across_page_breaks() -> None:
    conn = make(clock=lambda: START, capabilities=caps(page_size=2))
    for id in ["e", "b", "d", "a", "c"]:
        conn.put("Invoices", {"N": id}, id=id)
    pages = list(conn.read_changes("Invoices", START))
    assert [[r.id for r in p.records] for p in pages] == [["a", "b"], ["c", "d"], ["e"]]
    assert all(r.modified_at == START for p in pages for r in p.records)


def test_a_clock_going_back_never_makes_the_feed_go_back() -> None:
    times = iter([START, START + timedelta(seconds=5), START + timedelta(seconds=1)])
    conn = make(clock=lambda: next(times))
    conn.put("Invoices", {"N": 1})
    second = conn.put("Invoices", {"N": 2})
    third = conn.put("Invoices", {"N": 3})
    assert third.modified_at == second.modified_at
    assert [r.fields["N"] for r in read_all(conn, "Invoices", second.modified_at)] == [2, 3]


def test_a_record_changed_between_pages_comes_again_later() -> None:
    conn = make(capabilities=caps(page_size=2))
    recs = [conn.put("Contacts", {"Name": f"n{i}"}) for i in range(4)]
    pages = conn.read_changes("Contacts", None)
    first = next(pages)
    assert names(first.records) == ["n0", "n1"]
    conn.edit("Contacts", recs[0].id, {"Name": "n0 again"})
    conn.edit("Contacts", recs[3].id, {"Name": "n3 again"})
    rest = [r for p in pages for r in p.records]
    assert names(rest) == ["n2", "n0 again", "n3 again"]


def test_a_reader_keeps_its_place_when_the_log_is_compacted() -> None:
    conn = make(capabilities=caps(page_size=2))
    recs = [conn.put("Invoices", {"N": i}) for i in range(6)]
    pages = conn.read_changes("Invoices", None)
    assert [r.fields["N"] for r in next(pages).records] == [0, 1]
    for n in range(10_000):
        conn.edit("Invoices", recs[4].id, {"N": 100 + n})
    conn.reset_calls()
    rest = [r.fields["N"] for p in pages for r in p.records]
    assert rest == [2, 3, 5, 10_099]
    # Compaction dropped most of the 10,000 superseded entries before the rest was read.
    assert conn.entries_scanned < 5_000


# -- get_many and find_many ------------------------------------------------------------------


def test_get_many_chunks_ids_and_leaves_out_missing_and_deleted() -> None:
    conn = make(capabilities=caps(lookup_batch=2))
    ids = [conn.put("Contacts", {"Name": f"n{i}"}).id for i in range(4)]
    conn.delete("Contacts", ids[1])
    found = conn.get_many("Contacts", [ids[3], "nope", ids[0], ids[3], ids[1]])
    assert [r.id for r in found] == [ids[3], ids[0]]
    assert conn.calls["get_many"] == 2  # four distinct ids, two per call
    assert conn.get_many("Contacts", []) == []
    assert conn.calls["get_many"] == 2


def test_find_many_compares_trimmed_text_without_case() -> None:
    conn = make(normalize=None)
    conn.put("Contacts", {"Name": "Ada", "Email": " Ada@Example.COM "})
    conn.put("Contacts", {"Name": "Bob", "Email": "bob@example.com"})
    conn.put("Contacts", {"Name": "Cy", "Email": "BOB@example.com"})
    found = conn.find_many("Contacts", "Email", ["ada@example.com", "  Bob@Example.com", "zed"])
    assert names(found) == ["Ada", "Bob", "Cy"]
    assert conn.calls["find_many"] == 1


def test_find_many_splits_values_into_lookup_batches() -> None:
    conn = make(capabilities=caps(lookup_batch=100))
    for i in range(250):
        conn.put("Items", {"Code": f"c{i}"})
    found = conn.find_many("Items", "Code", [f"C{i}" for i in range(250)] + ["c0", ""])
    assert len(found) == 250
    assert conn.calls["find_many"] == 3
    assert conn.find_many("Items", "Code", []) == []
    assert conn.calls["find_many"] == 3


def test_find_many_follows_dotted_paths_into_lookups_and_lists(conn: MemoryConnector) -> None:
    conn.put("Invoices", {"Number": "INV-1", "Contact": {"ContactID": "abc-1"}})
    conn.put("Invoices", {"Number": "INV-2", "Contact": {"ContactID": "abc-2"}})
    conn.put(
        "Invoices",
        {"Number": "INV-3", "People": [{"Email": "x@y.io"}, {"Email": "z@y.io"}], "Seq": 7},
    )
    assert [
        r.fields["Number"] for r in conn.find_many("Invoices", "Contact.ContactID", ["ABC-2"])
    ] == ["INV-2"]
    assert [r.id for r in conn.find_many("Invoices", "People.Email", ["z@y.io"])] == ["3"]
    assert [r.id for r in conn.find_many("Invoices", "Seq", ["7"])] == ["3"]


def test_find_many_sees_later_edits_and_deletes(conn: MemoryConnector) -> None:
    a = conn.put("Contacts", {"Name": "Ada", "Email": "a@x.io"})
    b = conn.put("Contacts", {"Name": "Bob", "Email": "b@x.io"})
    assert [r.id for r in conn.find_many("Contacts", "Email", ["a@x.io"])] == [a.id]
    conn.edit("Contacts", a.id, {"Email": "new@x.io"})
    conn.put("Contacts", {"Name": "Cy", "Email": "a@x.io"})
    conn.delete("Contacts", b.id)
    assert names(conn.find_many("Contacts", "Email", ["a@x.io", "new@x.io", "b@x.io"])) == [
        "Cy",
        "Ada",
    ]


# -- writes ----------------------------------------------------------------------------------


def test_create_many_splits_batches_and_answers_in_input_order() -> None:
    conn = make(capabilities=caps(batch_size=2))
    drafts = [Draft(ref=f"r{i}", fields={"Name": f"  n{i} "}) for i in range(5)]
    results = conn.create_many("Contacts", drafts)
    assert conn.calls["create_many"] == 3
    assert [r.ref for r in results] == ["r0", "r1", "r2", "r3", "r4"]
    assert all(r.ok and r.error is None for r in results)
    assert [r.id for r in results] == ["C-1", "C-2", "C-3", "C-4", "C-5"]
    first = results[0].record
    assert first is not None
    assert first.fields == {"Name": "n0"}
    assert first == conn.record("Contacts", "C-1")
    assert conn.create_many("Contacts", []) == []
    assert conn.calls["create_many"] == 3


def test_each_written_record_takes_a_fresh_time(conn: MemoryConnector) -> None:
    results = conn.create_many(
        "Items", [Draft(ref=str(i), fields={"Code": str(i)}) for i in range(3)]
    )
    times = [r.record.modified_at for r in results if r.record is not None]
    assert len(times) == 3
    assert times == sorted(set(times))


def test_a_batch_answers_each_record_on_its_own(conn: MemoryConnector) -> None:
    conn.put("Contacts", {"Name": "Taken Ltd"})
    results = conn.create_many(
        "Contacts",
        [
            Draft(ref="ok", fields={"Name": "Fresh"}),
            Draft(ref="blank", fields={"Name": "   ", "Email": "x@y.io"}),
            Draft(ref="none", fields={"Email": "x@y.io"}),
            Draft(ref="dup", fields={"Name": " taken LTD "}),
            Draft(ref="twin", fields={"Name": "FRESH"}),
            Draft(ref="ok2", fields={"Name": "Other"}),
        ],
    )
    by_ref = {r.ref: r for r in results}
    assert [r.ref for r in results] == ["ok", "blank", "none", "dup", "twin", "ok2"]
    assert by_ref["ok"].ok
    assert by_ref["ok2"].ok
    for ref in ("blank", "none"):
        error = by_ref[ref].error
        assert error is not None
        assert (error.code, error.field) == ("mandatory_missing", "Name")
        assert by_ref[ref].id is None
    dup = by_ref["dup"].error
    assert dup is not None
    assert (dup.code, dup.field, dup.duplicate_id) == ("duplicate", "Name", "C-1")
    assert dup.message == (
        "The Name 'taken LTD' is already assigned to another record (C-1). "
        "The Name must be unique across all active Contacts."
    )
    twin = by_ref["twin"].error
    assert twin is not None
    assert twin.duplicate_id == by_ref["ok"].id
    assert sorted(names(conn.all("Contacts"))) == ["Fresh", "Other", "Taken Ltd"]


def test_a_unique_value_is_free_again_once_its_record_is_deleted(conn: MemoryConnector) -> None:
    rec = conn.put("Items", {"Code": "A1"})
    conn.delete("Items", rec.id)
    [result] = conn.create_many("Items", [Draft(ref="x", fields={"Code": "a1"})])
    assert result.ok


def test_update_many_merges_clears_and_replaces_nested_values_whole() -> None:
    conn = make(capabilities=caps(batch_size=1))
    rec = conn.put(
        "Contacts",
        {"Name": "Ada", "Phone": "1", "Address": {"City": "Oslo", "Zip": "1"}, "Tags": ["a", "b"]},
    )
    results = conn.update_many(
        "Contacts",
        [Patch(id=rec.id, fields={"Phone": None, "Address": {"City": " Bergen "}, "Tags": ["c"]})],
    )
    assert conn.calls["update_many"] == 1
    [result] = results
    assert result.ok
    assert (result.ref, result.id) == (rec.id, rec.id)
    stored = conn.record("Contacts", rec.id)
    assert stored is not None
    assert stored.fields == {"Name": "Ada", "Address": {"City": "Bergen"}, "Tags": ["c"]}
    assert result.record == stored
    assert stored.modified_at > rec.modified_at


def test_update_many_answers_each_patch_on_its_own() -> None:
    conn = make(capabilities=caps(batch_size=2))
    ada = conn.put("Contacts", {"Name": "Ada"})
    bob = conn.put("Contacts", {"Name": "Bob"})
    gone = conn.put("Contacts", {"Name": "Gone"})
    conn.delete("Contacts", gone.id)
    results = conn.update_many(
        "Contacts",
        [
            Patch(id=ada.id, fields={"Name": "ADA", "Phone": "9"}),  # its own name: fine
            Patch(id=bob.id, fields={"Name": " ada "}),
            Patch(id="C-99", fields={"Phone": "1"}),
            Patch(id=gone.id, fields={"Phone": "1"}),
            Patch(id=bob.id, fields={"Name": None}),
            Patch(id=bob.id, fields={"Phone": "5"}),
        ],
    )
    assert conn.calls["update_many"] == 3
    codes = [None if r.error is None else r.error.code for r in results]
    assert codes == [None, "duplicate", "not_found", "not_found", "mandatory_missing", None]
    dup = results[1].error
    assert dup is not None
    assert dup.duplicate_id == ada.id
    assert "'ada'" in dup.message
    assert [r.ref for r in results] == [ada.id, bob.id, "C-99", gone.id, bob.id, bob.id]
    assert names(conn.all("Contacts")) == ["ADA", "Bob"]


def test_an_update_is_checked_only_on_what_it_sends(conn: MemoryConnector) -> None:
    # Two records that a person created with one name (the screens do not stop them).
    conn.put("Items", {"Code": "X"})
    twin = conn.put("Items", {"Code": "x"})
    [result] = conn.update_many("Items", [Patch(id=twin.id, fields={"Price": 5})])
    assert result.ok


# -- idempotency -----------------------------------------------------------------------------


def test_a_replayed_create_returns_the_first_answer_without_writing(conn: MemoryConnector) -> None:
    draft = Draft(ref="r1", fields={"Name": "Ada"}, idempotency_key="k1")
    [first] = conn.create_many("Contacts", [draft])
    [again] = conn.create_many(
        "Contacts", [Draft(ref="r2", fields={"Name": "Ada"}, idempotency_key="k1")]
    )
    assert again.ok
    assert again.ref == "r2"
    assert (again.id, again.record) == (first.id, first.record)
    assert conn.count("Contacts") == 1
    assert conn.calls["create_many"] == 2


def test_a_refused_record_can_be_sent_again_with_its_key(conn: MemoryConnector) -> None:
    taken = conn.put("Contacts", {"Name": "Ada"})
    draft = Draft(ref="r", fields={"Name": "Ada"}, idempotency_key="k")
    [refused] = conn.create_many("Contacts", [draft])
    assert not refused.ok
    conn.delete("Contacts", taken.id)
    [created] = conn.create_many("Contacts", [draft])
    assert created.ok


def test_a_replayed_update_does_not_write_again(conn: MemoryConnector) -> None:
    rec = conn.put("Contacts", {"Name": "Ada"})
    patch = Patch(id=rec.id, fields={"Phone": "1"}, idempotency_key="u1")
    [first] = conn.update_many("Contacts", [patch])
    conn.edit("Contacts", rec.id, {"Phone": "2"})
    [again] = conn.update_many("Contacts", [patch])
    assert again == first
    stored = conn.record("Contacts", rec.id)
    assert stored is not None
    assert stored.fields["Phone"] == "2"


def test_keys_are_ignored_by_a_system_without_idempotency() -> None:
    conn = make(capabilities=caps(idempotency=False))
    draft = Draft(ref="r", fields={"Code": "A"}, idempotency_key="k")
    conn.create_many("Invoices", [draft])
    conn.create_many("Invoices", [draft])
    assert conn.count("Invoices") == 2


def test_keys_are_per_module(conn: MemoryConnector) -> None:
    conn.create_many("Items", [Draft(ref="r", fields={"Code": "A"}, idempotency_key="k")])
    conn.create_many("Invoices", [Draft(ref="r", fields={"N": 1}, idempotency_key="k")])
    assert (conn.count("Items"), conn.count("Invoices")) == (1, 1)


# -- normalisation and copies ----------------------------------------------------------------


def test_text_is_trimmed_on_the_way_in_by_default(conn: MemoryConnector) -> None:
    rec = conn.put(
        "Contacts", {"Name": " Ada ", "Persons": [{"Email": " a@x.io "}], "Age": 3, "Gone": None}
    )
    assert rec.fields == {"Name": "Ada", "Persons": [{"Email": "a@x.io"}], "Age": 3}
    assert trim_strings("Contacts", {"a": {"b": [" c "]}}) == {"a": {"b": ["c"]}}


def test_normalisation_can_be_switched_off_or_replaced() -> None:
    raw = make(normalize=None)
    assert raw.put("Contacts", {"Name": " Ada "}).fields == {"Name": " Ada "}

    def upper_codes(module: str, fields: dict[str, Any]) -> dict[str, Any]:
        if module == "Items" and "Code" in fields:
            fields["Code"] = str(fields["Code"]).upper()
        return fields

    custom = make(normalize=upper_codes)
    [result] = custom.create_many("Items", [Draft(ref="r", fields={"Code": "ab-1"})])
    assert result.record is not None
    assert result.record.fields == {"Code": "AB-1"}


def test_values_are_copied_on_the_way_in_and_out(conn: MemoryConnector) -> None:
    lines = [{"Item": {"id": "1"}, "Qty": 2}]
    fields: dict[str, Any] = {"Number": "INV-1", "Lines": lines, "Pair": ("a", "b")}
    rec = conn.put("Invoices", fields)
    lines[0]["Qty"] = 99
    fields["Number"] = "changed"
    assert rec.fields["Lines"] == [{"Item": {"id": "1"}, "Qty": 2}]
    assert rec.fields["Pair"] == ["a", "b"]  # as JSON would carry it

    def mutate(record: Record | None) -> None:
        assert record is not None
        # The record is frozen but its fields are a plain dict: a careless caller may write.
        writable = cast(dict[str, Any], record.fields)
        writable["Lines"][0]["Item"]["id"] = "hacked"
        writable["Number"] = "hacked"

    mutate(rec)
    mutate(conn.record("Invoices", rec.id))
    mutate(conn.all("Invoices")[0])
    mutate(conn.get_many("Invoices", [rec.id])[0])
    mutate(conn.find_many("Invoices", "Number", ["INV-1"])[0])
    mutate(read_all(conn, "Invoices")[0])
    [created] = conn.create_many(
        "Invoices", [Draft(ref="r", fields={"Number": "INV-2", "Lines": [{"Item": {"id": "2"}}]})]
    )
    mutate(created.record)
    stored = conn.record("Invoices", rec.id)
    assert stored is not None
    assert stored.fields == {
        "Number": "INV-1",
        "Lines": [{"Item": {"id": "1"}, "Qty": 2}],
        "Pair": ["a", "b"],
    }
    other = conn.record("Invoices", "2")
    assert other is not None
    assert other.fields == {"Number": "INV-2", "Lines": [{"Item": {"id": "2"}}]}


def test_reset_calls_forgets_counts(conn: MemoryConnector) -> None:
    conn.put("Contacts", {"Name": "a"})
    list(conn.read_changes("Contacts", None))
    conn.get_many("Contacts", ["C-1"])
    assert conn.calls == {"read_changes": 1, "get_many": 1}
    assert conn.entries_scanned == 1
    conn.reset_calls()
    assert sum(conn.calls.values()) == 0
    assert conn.entries_scanned == 0
