"""Properties of whole syncs under random edits on both sides, on SQLite and PostgreSQL.

* Convergence: after a sync every bound pair holds the same mapped values (modulo the trimming
  a server applies), every record is bound exactly once, nothing is duplicated.
* No echo: a sync right after a sync writes nothing and reports nothing.
* Crash safety: a process dying after any remote write, then a re-run, duplicates nothing and
  loses no change, with no idempotency keys and no match keys to fall back on.

The CRM side keeps text as sent (no trimming) while the accounting side trims, so values read
back differently from how they were written, as they do between real systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledgerbridge.connectors.base import Capabilities
from ledgerbridge.connectors.faults import FaultPlan, SimulatedCrash
from ledgerbridge.connectors.memory import MemoryConnector, TickingClock
from ledgerbridge.domain.config import ConflictPolicy
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunStatus
from ledgerbridge.store import Store
from tests.support.flows import one_flow, people_flow
from tests.support.world import World, wipe

FLOW = "people"
MODULES = {Side.CRM: "People", Side.BOOKS: "Contacts"}

SETTINGS = settings(
    max_examples=30,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Small pools, so keys collide and edits undo each other; spaces differ only around the text.
_PADS = st.sampled_from(["", "", " ", "  "])


def _padded(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda pre, text, post: pre + text + post, _PADS, core, _PADS)


NAMES = _padded(st.sampled_from(["Ann", "Bob Lee", "bob lee", "Cy", "Dee  Dee", "Eve"])) | (
    st.sampled_from(["", " "])
)
EMAILS = st.none() | _padded(st.sampled_from(["ann@x.test", "ANN@x.test", "bob@x.test", "cy@x"]))
NUMBERS = _padded(st.integers(min_value=0, max_value=99).map(str))
PHONES = st.none() | NUMBERS
LEVELS = {
    Side.CRM: st.sampled_from([None, "Gold", "Silver", "Bronze"]),
    Side.BOOKS: st.sampled_from([None, "G", "S", "B"]),
}
NAME_FIELD = {Side.CRM: "Full_Name", Side.BOOKS: "Name"}
EMAIL_FIELD = {Side.CRM: "Email", Side.BOOKS: "EmailAddress"}
LEVEL_FIELD = {Side.CRM: "Level", Side.BOOKS: "Tier"}
SIDES = st.sampled_from([Side.CRM, Side.BOOKS])
GAPS = st.sampled_from([timedelta(milliseconds=5), timedelta(seconds=3), timedelta(seconds=30)])


def _fields(side: Side) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {NAME_FIELD[side]: NAMES},
        optional={
            EMAIL_FIELD[side]: EMAILS,
            "Phone": PHONES,
            LEVEL_FIELD[side]: LEVELS[side],
        },
    )


def _changes(side: Side) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            NAME_FIELD[side]: NAMES,
            EMAIL_FIELD[side]: EMAILS,
            "Phone": PHONES,
            LEVEL_FIELD[side]: LEVELS[side],
        },
    ).filter(bool)


CREATES = SIDES.flatmap(lambda s: st.tuples(st.just(s), _fields(s)))
EDITS = SIDES.flatmap(lambda s: st.tuples(st.just(s), _changes(s)))


def _connectors(capabilities: Capabilities | None = None) -> dict[str, Any]:
    clock = TickingClock()
    crm = MemoryConnector("crm", clock=clock, normalize=None, capabilities=capabilities)
    books = MemoryConnector("books", clock=clock, capabilities=capabilities)
    return {"crm": crm, "books": books, "clock": clock}


def _unique_email(w: World, side: Side, fields: dict[str, Any], rid: str | None) -> dict[str, Any]:
    """``fields`` without an e-mail another record of ``side`` holds.

    Two records sharing a match key on one side are ambiguous: the engine refuses to pick one
    and fails them with a reason for a person, so random edits keep keys unique per side.
    """
    name = EMAIL_FIELD[side]
    email = fields.get(name)
    if email is None:
        return fields
    key = email.strip().casefold()
    taken = {
        str(r.fields.get(name, "")).strip().casefold()
        for r in w.on(side).all(MODULES[side])
        if r.id != rid
    }
    return fields if key not in taken else {k: v for k, v in fields.items() if k != name}


def _quiet(w: World) -> None:
    """A sync right after a sync writes nothing and has nothing to report."""
    writes = w.writes()
    report = w.sync(gap=timedelta(seconds=1))
    assert report.status is RunStatus.SUCCEEDED, report.items
    assert w.writes() == writes, f"an echo was written back: {report.counts.as_dict()}"
    assert report.items == []
    outcomes = {o for sides in report.counts.as_dict().values() for s in sides.values() for o in s}
    assert outcomes <= {Outcome.UNCHANGED.value}, report.counts.as_dict()
    assert w.store.pending.count(w.integration.id) == 0


def _converged(w: World) -> None:
    assert w.mismatches(FLOW) == []
    assert w.binding_problems(FLOW) == []
    crm_count, books_count = w.sizes(FLOW)
    assert crm_count == books_count == len(w.bindings(FLOW))


class SyncMachine(RuleBasedStateMachine):
    """People edit both systems at random; syncs run in between."""

    def __init__(self, store: Store, policy: ConflictPolicy) -> None:
        super().__init__()
        self.store = store
        self.policy = policy
        self.w: World

    @initialize(first=SIDES)
    def start(self, first: Side) -> None:
        wipe(self.store)
        flow = people_flow(conflict=self.policy, first=first)
        self.w = World.build(self.store, one_flow(flow), **_connectors())

    def _ids(self, side: Side) -> list[str]:
        return sorted(r.id for r in self.w.on(side).all(MODULES[side]))

    @rule(made=st.lists(CREATES, min_size=1, max_size=3))
    def create(self, made: list[tuple[Side, dict[str, Any]]]) -> None:
        for side, fields in made:
            self.w.on(side).put(MODULES[side], _unique_email(self.w, side, fields, None))

    @rule(edit=EDITS, pick=st.integers(min_value=0, max_value=1000))
    def edit(self, edit: tuple[Side, dict[str, Any]], pick: int) -> None:
        side, changes = edit
        ids = self._ids(side)
        if ids:
            rid = ids[pick % len(ids)]
            self.w.clock.advance(timedelta(milliseconds=pick % 7))
            self.w.on(side).edit(MODULES[side], rid, _unique_email(self.w, side, changes, rid))

    @rule(
        crm_changes=_changes(Side.CRM),
        books_changes=_changes(Side.BOOKS),
        phones=st.tuples(NUMBERS, NUMBERS),
        books_last=st.booleans(),
        pick=st.integers(min_value=0, max_value=1000),
    )
    def edit_pair(
        self,
        crm_changes: dict[str, Any],
        books_changes: dict[str, Any],
        phones: tuple[str, str],
        books_last: bool,
        pick: int,
    ) -> None:
        """Both people edit the same bound pair (the phone always): the policy has to decide."""
        bindings = self.w.bindings(FLOW)
        if not bindings:
            return
        b = bindings[pick % len(bindings)]
        edits = [
            (Side.CRM, b.crm_id, {**crm_changes, "Phone": phones[0]}),
            (Side.BOOKS, b.books_id, {**books_changes, "Phone": phones[1]}),
        ]
        for side, rid, changes in edits if books_last else reversed(edits):
            if self.w.on(side).record(MODULES[side], rid) is not None:
                self.w.clock.advance(timedelta(milliseconds=1 + pick % 5))
                fields = _unique_email(self.w, side, changes, rid)
                self.w.on(side).edit(MODULES[side], rid, fields)

    @rule(gap=GAPS)
    def sync(self, gap: timedelta) -> None:
        report = self.w.sync(gap=gap)
        assert report.status is not RunStatus.FAILED, report.error

    @precondition(lambda self: len(self.w.reports) > 0)
    @rule()
    def sync_twice(self) -> None:
        self.w.sync(gap=timedelta(seconds=2))
        _converged(self.w)
        _quiet(self.w)

    def teardown(self) -> None:
        if not hasattr(self, "w"):
            return
        self.w.sync()
        _converged(self.w)
        _quiet(self.w)


@pytest.mark.parametrize("policy", list(ConflictPolicy), ids=lambda p: p.value)
def test_syncs_converge_without_duplicates_or_echoes(store: Store, policy: ConflictPolicy) -> None:
    run_state_machine_as_test(lambda: SyncMachine(store, policy), settings=SETTINGS)


# -- crashes ---------------------------------------------------------------------------------

# No idempotency keys and one record per write call: a crash point between any two writes.
NO_KEYS = Capabilities(page_size=3, batch_size=1, lookup_batch=3, idempotency=False, webhooks=False)


@dataclass
class Person:
    """One person as the model knows it: ids on each side once known, the values they hold."""

    ids: dict[Side, str | None]
    expected: dict[str, Any]
    edited_on: Side | None  # the side changed since the last finished sync (no conflicts)


class CrashMachine(RuleBasedStateMachine):
    """Edits on one side per person between syncs; some syncs die after k remote writes."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.people: list[Person] = []
        self.crashes = 0
        self.w: World

    @initialize(first=SIDES)
    def start(self, first: Side) -> None:
        wipe(self.store)
        flow = people_flow(match=False, conflict=ConflictPolicy.CRM_WINS, first=first)
        self.w = World.build(self.store, one_flow(flow), **_connectors(NO_KEYS))

    def _expect(self, person: Person, side: Side) -> None:
        rid = person.ids[side]
        assert rid is not None
        record = self.w.on(side).record(MODULES[side], rid)
        assert record is not None
        person.expected = self.w.mapped(FLOW, side, record)
        person.edited_on = side

    @rule(made=st.lists(CREATES, min_size=2, max_size=5))
    def create(self, made: list[tuple[Side, dict[str, Any]]]) -> None:
        """A few records at once, so one sync has several creates to crash between."""
        for side, fields in made:
            record = self.w.on(side).put(MODULES[side], fields)
            person = Person({side: record.id, side.other: None}, {}, None)
            self._expect(person, side)
            self.people.append(person)

    @rule(edit=EDITS, pick=st.integers(min_value=0, max_value=1000))
    def edit(self, edit: tuple[Side, dict[str, Any]], pick: int) -> None:
        self._edit(edit, pick, bound_only=False)

    @rule(edit=EDITS, pick=st.integers(min_value=0, max_value=1000))
    def edit_bound(self, edit: tuple[Side, dict[str, Any]], pick: int) -> None:
        self._edit(edit, pick, bound_only=True)

    def _edit(self, edit: tuple[Side, dict[str, Any]], pick: int, *, bound_only: bool) -> None:
        side, changes = edit
        open_ = [
            p
            for p in self.people
            if p.ids[side] is not None
            and p.edited_on in (None, side)
            and (not bound_only or p.ids[side.other] is not None)
        ]
        if not open_:
            return
        person = open_[pick % len(open_)]
        rid = person.ids[side]
        assert rid is not None
        self.w.on(side).edit(MODULES[side], rid, changes)
        self._expect(person, side)

    def _settled(self) -> None:
        """Learn the partners the sync created; every change so far has been carried."""
        for person in self.people:
            for side in Side:
                rid = person.ids[side]
                if rid is not None and person.ids[side.other] is None:
                    partner = self.w.partner(FLOW, side, rid)
                    person.ids[side.other] = None if partner is None else partner.id
            person.edited_on = None

    @rule()
    def sync(self) -> None:
        report = self.w.sync()
        assert report.status is RunStatus.SUCCEEDED, report.items
        self._settled()

    @rule(k=st.integers(min_value=1, max_value=4))
    def crash_then_rerun(self, k: int) -> None:
        plan = FaultPlan(crash_after_writes=k)
        self.w.crm.faults = self.w.books.faults = plan
        try:
            self.w.sync()
        except SimulatedCrash:
            self.crashes += 1
        finally:
            self.w.crm.faults = self.w.books.faults = None
        report = self.w.sync()
        assert report.status is RunStatus.SUCCEEDED, report.items
        self._settled()

    def teardown(self) -> None:
        if not hasattr(self, "w"):
            return
        self.w.sync()
        self._settled()
        _converged(self.w)
        assert self.w.sizes(FLOW) == (len(self.people), len(self.people))
        for person in self.people:
            for side in Side:
                rid = person.ids[side]
                assert rid is not None, f"{person} has no partner"
                record = self.w.on(side).record(MODULES[side], rid)
                assert record is not None
                assert self.w.mapped(FLOW, side, record) == person.expected, (side, person)
        _quiet(self.w)


def test_a_crash_after_any_write_then_a_rerun_duplicates_nothing_and_loses_nothing(
    store: Store,
) -> None:
    run_state_machine_as_test(lambda: CrashMachine(store), settings=SETTINGS)
