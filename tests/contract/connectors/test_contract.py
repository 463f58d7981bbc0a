"""The connector contract: what the engine relies on, for every connector alike."""

from __future__ import annotations

from datetime import UTC, datetime

from ledgerbridge.connectors.base import Connector
from ledgerbridge.domain.records import Draft, Patch, Record
from tests.contract.connectors.subject import Subject


def _read_all(conn: Connector, module: str, since: datetime | None = None) -> list[Record]:
    out: list[Record] = []
    for page in conn.read_changes(module, since):
        assert len(page.records) <= conn.capabilities.page_size
        out.extend(page.records)
    return out


def test_is_a_connector(subject: Subject) -> None:
    assert isinstance(subject.connector, Connector)
    caps = subject.connector.capabilities
    assert caps.page_size >= 1 and caps.batch_size >= 1 and caps.lookup_batch >= 1


def test_describe_names_a_base_currency(subject: Subject) -> None:
    org = subject.connector.describe()
    assert len(org.base_currency) == 3 and org.base_currency.isupper()


def test_read_changes_pages_every_record_in_time_order(subject: Subject) -> None:
    conn = subject.connector
    n = conn.capabilities.page_size * 2 + 3
    ids = []
    for i in range(n):
        ids.append(subject.put(subject.make_fields(i)))
    records = [r for r in _read_all(conn, subject.module) if r.id in set(ids)]
    assert sorted(r.id for r in records) == sorted(ids)
    times = [r.modified_at for r in records]
    assert times == sorted(times)
    assert all(t.tzinfo is not None and t.utcoffset() is not None for t in times)


def test_read_changes_since_returns_only_newer_records(subject: Subject) -> None:
    conn = subject.connector
    old = subject.put(subject.make_fields(1))
    subject.advance(10)
    new = subject.put(subject.make_fields(2))
    mark = next(r for r in _read_all(conn, subject.module) if r.id == new).modified_at
    subject.advance(10)
    later = subject.put(subject.make_fields(3))
    seen = {r.id for r in _read_all(conn, subject.module, mark)}
    assert new in seen and later in seen
    assert old not in seen


def test_get_many_returns_existing_and_leaves_out_missing(subject: Subject) -> None:
    conn = subject.connector
    n = conn.capabilities.lookup_batch + 2
    ids = [subject.put(subject.make_fields(i)) for i in range(n)]
    got = conn.get_many(subject.module, [*ids, *subject.extra.get("missing_ids", ["999999999"])])
    assert sorted(r.id for r in got) == sorted(ids)


def test_find_many_matches_many_keys_in_few_calls(subject: Subject) -> None:
    conn = subject.connector
    n = conn.capabilities.lookup_batch * 2 + 1
    fields = [subject.make_fields(i) for i in range(n)]
    ids = {subject.put(f) for f in fields}
    keys = [subject.key_of(f) for f in fields]
    before = subject.calls()
    found = conn.find_many(subject.module, subject.key_field, [*keys, "No Such Record 123"])
    used = subject.calls() - before
    assert {r.id for r in found} == ids
    # one call per lookup batch (plus paging), never one per key
    assert used <= 2 * (-(-len(keys) // conn.capabilities.lookup_batch)) + 1


def test_create_many_gives_one_result_per_input_with_mixed_failures(subject: Subject) -> None:
    conn = subject.connector
    n = conn.capabilities.batch_size + 3
    drafts = [Draft(ref=f"r{i}", fields=subject.make_fields(100 + i)) for i in range(n)]
    drafts.insert(2, Draft(ref="bad", fields=subject.invalid_fields))
    results = conn.create_many(subject.module, drafts)
    assert [r.ref for r in results] == [d.ref for d in drafts]
    bad = results[2]
    assert not bad.ok and bad.error is not None and bad.error.message
    good = [r for r in results if r.ref != "bad"]
    assert all(r.ok and r.id for r in good)
    stored = conn.get_many(subject.module, [r.id for r in good if r.id])
    assert len(stored) == n


def test_create_duplicate_of_a_unique_key_is_refused_per_record(subject: Subject) -> None:
    conn = subject.connector
    fields = subject.make_fields(500)
    subject.put(fields)
    results = conn.create_many(
        subject.module,
        [
            Draft(ref="dup", fields=subject.make_fields(500)),
            Draft(ref="ok", fields=subject.make_fields(501)),
        ],
    )
    assert not results[0].ok and results[0].error is not None
    assert results[0].error.code == "duplicate"
    assert results[1].ok


def test_update_many_changes_only_given_fields(subject: Subject) -> None:
    conn = subject.connector
    ids = [subject.put(subject.make_fields(600 + i)) for i in range(3)]
    subject.advance(5)
    patches = [
        Patch(id=rid, fields={subject.update_field: subject.update_value(i)})
        for i, rid in enumerate(ids)
    ]
    patches.append(
        Patch(
            id=subject.extra.get("missing_ids", ["999999999"])[0],
            fields={subject.update_field: "x"},
        )
    )
    results = conn.update_many(subject.module, patches)
    assert [r.ok for r in results] == [True, True, True, False]
    assert results[3].error is not None and results[3].error.code in {"not_found", "invalid"}
    after = {r.id: r for r in conn.get_many(subject.module, ids)}
    for i, rid in enumerate(ids):
        assert subject.read_update(dict(after[rid].fields)) == subject.update_value(i)
        assert subject.key_of(dict(after[rid].fields)) == subject.key_of(
            subject.make_fields(600 + i)
        )


def test_updated_record_reappears_in_the_change_feed(subject: Subject) -> None:
    conn = subject.connector
    rid = subject.put(subject.make_fields(700))
    subject.advance(30)
    mark = datetime.now(UTC) if subject.extra.get("real_time") else None
    subject.edit(rid, {subject.update_field: subject.update_value(700)})
    records = _read_all(conn, subject.module)
    edited = next(r for r in records if r.id == rid)
    since = mark or edited.modified_at
    assert rid in {r.id for r in _read_all(conn, subject.module, since)}
