"""Batch writes: per-record results, codes and messages, and creates whose answer was lost."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ledgerbridge.domain.records import Draft, Patch
from tests.contract.connectors.subjects.zoho_crm import CrmWorld, crm_world
from tests.integration.connectors.zoho_crm.transports import (
    AnswerLoser,
    Recorder,
    RefuseBefore,
    first_n,
)


def test_a_mixed_batch_gives_each_record_its_own_result(
    recorder: tuple[CrmWorld, Recorder],
) -> None:
    world, rec = recorder
    taken = world.state.create("Contacts", {"Last_Name": "Taken", "Email": "taken@x.test"})["id"]
    drafts = [
        Draft("ok", {"Last_Name": "Fine", "Email": "fine@x.test"}),
        Draft("no-name", {"First_Name": "Nameless"}),
        Draft("dup", {"Last_Name": "Again", "Email": "taken@x.test"}),
        Draft("bad", {"Last_Name": "Bad", "Email": "not an email"}),
        Draft("ok2", {"Last_Name": "Fine Too"}),
    ]
    results = world.crm.create_many("Contacts", drafts)
    assert [r.ref for r in results] == [d.ref for d in drafts]
    assert [r.ok for r in results] == [True, False, False, False, True]
    errors = {r.ref: r.error for r in results if r.error}
    assert (errors["no-name"].code, errors["no-name"].field) == ("mandatory_missing", "Last_Name")
    assert errors["no-name"].message == "required field not found"
    assert (errors["dup"].code, errors["dup"].duplicate_id) == ("duplicate", taken)
    assert (errors["bad"].code, errors["bad"].field) == ("invalid", "Email")
    [post] = rec.to("POST", "/crm/v8/Contacts")
    assert post.json()["trigger"] == []
    assert post.headers["authorization"].startswith("Zoho-oauthtoken ")
    assert world.state.workflow_runs == 0


def test_creates_go_one_hundred_a_call(recorder: tuple[CrmWorld, Recorder]) -> None:
    world, rec = recorder
    drafts = [Draft(f"r{i}", {"Account_Name": f"Batch {i}"}) for i in range(250)]
    results = world.crm.create_many("Accounts", drafts)
    assert all(r.ok for r in results) and len({r.id for r in results}) == 250
    assert [len(s.json()["data"]) for s in rec.to("POST", "/crm/v8/Accounts")] == [100, 100, 50]
    assert world.state.count("Accounts") == 250


def test_updates_report_a_missing_record_as_not_found(world: CrmWorld) -> None:
    rid = world.state.create("Contacts", {"Last_Name": "Before"})["id"]
    results = world.crm.update_many(
        "Contacts",
        [Patch(rid, {"Last_Name": "After"}), Patch("6051205000099999999", {"Last_Name": "X"})],
    )
    assert (results[0].ref, results[0].ok, results[0].id) == (rid, True, rid)
    assert results[1].error is not None and results[1].error.code == "not_found"
    assert world.state.get("Contacts", rid)["Last_Name"] == "After"  # type: ignore[index]


@pytest.fixture
def losing() -> Iterator[tuple[CrmWorld, AnswerLoser, list[Recorder]]]:
    made: list[AnswerLoser] = []
    recs: list[Recorder] = []

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        loser = AnswerLoser(inner, first_n("POST", "/crm/v8/Contacts", 1))
        made.append(loser)
        rec = Recorder(loser)
        recs.append(rec)
        return rec

    with crm_world(wrap=wrap) as world:
        yield world, made[0], recs


def test_a_create_applied_but_unanswered_is_found_not_repeated(
    losing: tuple[CrmWorld, AnswerLoser, list[Recorder]],
) -> None:
    world, loser, [rec] = losing
    # one older record shares a name: it must not be taken for a new one
    older = world.state.create("Contacts", {"Last_Name": "Same"})["id"]
    world.clock.advance(600)
    drafts = [Draft(f"r{i}", {"Last_Name": "Same", "Email": f"s{i}@x.test"}) for i in range(3)]
    drafts += [Draft("x", {"Last_Name": "Other", "Email": "o@x.test"})]
    results = world.crm.create_many("Contacts", drafts)
    assert loser.lost == 1
    assert all(r.ok for r in results)
    assert len(rec.to("POST", "/crm/v8/Contacts")) == 1  # found by lookup, not sent again
    stored = {c["id"]: c for c in world.state.all("Contacts")}
    assert len(stored) == 5 and older not in {r.id for r in results}
    for draft, result in zip(drafts, results, strict=True):
        assert stored[str(result.id)]["Email"] == draft.fields["Email"]


def test_a_create_refused_before_processing_is_sent_again() -> None:
    recs: list[Recorder] = []

    def wrap(inner: httpx.BaseTransport) -> httpx.BaseTransport:
        recs.append(Recorder(RefuseBefore(inner, first_n("POST", "/crm/v8/Accounts", 1))))
        return recs[0]

    with crm_world(wrap=wrap) as world:
        drafts = [Draft("a", {"Account_Name": "Alpha"}), Draft("b", {"Account_Name": "Beta"})]
        results = world.crm.create_many("Accounts", drafts)
        assert [r.ok for r in results] == [True, True]
        assert len(recs[0].to("POST", "/crm/v8/Accounts")) == 2
        assert len(recs[0].to("POST", "/crm/v8/coql")) == 1  # looked up before sending again
        assert sorted(a["Account_Name"] for a in world.state.all("Accounts")) == ["Alpha", "Beta"]
