"""Every failure switch of the in-memory connector, and that it can be flipped mid-test."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from ledgerbridge.connectors.base import Capabilities
from ledgerbridge.connectors.faults import FaultPlan, SimulatedCrash
from ledgerbridge.connectors.memory import MemoryConnector, ModuleRules, TickingClock
from ledgerbridge.domain.errors import RateLimitedError, RetriableError
from ledgerbridge.domain.records import Draft, Patch

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def make(faults: FaultPlan | None = None, *, batch_size: int = 100) -> MemoryConnector:
    return MemoryConnector(
        "zoho_crm",
        clock=TickingClock(START),
        capabilities=Capabilities(
            page_size=2, batch_size=batch_size, lookup_batch=100, idempotency=True, webhooks=False
        ),
        modules={"Accounts": ModuleRules(required=("Account_Name",))},
        faults=faults,
    )


def drafts(n: int, *, keyed: bool = False) -> list[Draft]:
    return [
        Draft(
            ref=f"r{i}",
            fields={"Account_Name": f"a{i}"},
            idempotency_key=f"k{i}" if keyed else None,
        )
        for i in range(n)
    ]


def outcomes(conn: MemoryConnector, calls: int) -> list[str]:
    """What each of ``calls`` reads met: "ok", "503" or "429"."""
    seen = []
    for _ in range(calls):
        try:
            conn.get_many("Accounts", ["1"])
        except RateLimitedError:
            seen.append("429")
        except RetriableError:
            seen.append("503")
        else:
            seen.append("ok")
    return seen


def test_fail_next_fails_that_many_calls_before_they_do_anything() -> None:
    conn = make(FaultPlan(fail_next=2))
    with pytest.raises(RetriableError, match="503"):
        conn.create_many("Accounts", drafts(1))
    with pytest.raises(RetriableError, match="503"):
        conn.get_many("Accounts", ["1"])
    assert conn.count("Accounts") == 0
    assert conn.calls == {"create_many": 1, "get_many": 1}
    [result] = conn.create_many("Accounts", drafts(1))
    assert result.ok


def test_an_error_rate_of_one_fails_every_call_and_writes_nothing() -> None:
    conn = make(FaultPlan(error_rate=1.0))
    with pytest.raises(RetriableError, match="zoho_crm: create_many answered HTTP 503"):
        conn.create_many("Accounts", drafts(3))
    with pytest.raises(RetriableError):
        next(conn.read_changes("Accounts", None))
    with pytest.raises(RetriableError):
        conn.describe()
    assert conn.count("Accounts") == 0


def test_random_faults_are_reproducible_from_the_seed() -> None:
    def plan(seed: int) -> FaultPlan:
        return FaultPlan(seed=seed, error_rate=0.3, rate_limit_rate=0.2)

    first = outcomes(make(plan(7)), 200)
    assert first == outcomes(make(plan(7)), 200)
    assert first != outcomes(make(plan(8)), 200)
    assert {"ok", "503", "429"} == set(first)
    assert 20 < first.count("ok") < 180


def test_rate_limits_carry_retry_after() -> None:
    conn = make(FaultPlan(rate_limit_rate=1.0, retry_after=7.5))
    with pytest.raises(RateLimitedError, match="429") as caught:
        conn.find_many("Accounts", "Account_Name", ["a"])
    assert caught.value.retry_after == 7.5
    assert isinstance(caught.value, RetriableError)


def test_a_lost_answer_leaves_the_write_applied_and_a_keyed_retry_replays_it() -> None:
    conn = make(FaultPlan(drop_after_write_rate=1.0))
    with pytest.raises(RetriableError, match="applied but the connection dropped"):
        conn.create_many("Accounts", drafts(3, keyed=True))
    assert conn.count("Accounts") == 3
    conn.faults = None
    results = conn.create_many("Accounts", drafts(3, keyed=True))
    assert [r.id for r in results] == ["1", "2", "3"]
    assert conn.count("Accounts") == 3


def test_a_lost_update_answer_still_updated() -> None:
    conn = make()
    rec = conn.put("Accounts", {"Account_Name": "a"})
    conn.faults = FaultPlan(drop_after_write_rate=1.0)
    with pytest.raises(RetriableError):
        conn.update_many("Accounts", [Patch(id=rec.id, fields={"Phone": "1"})])
    stored = conn.record("Accounts", rec.id)
    assert stored is not None
    assert stored.fields["Phone"] == "1"


def test_reads_never_lose_answers_to_the_write_fault() -> None:
    conn = make(FaultPlan(drop_after_write_rate=1.0))
    conn.put("Accounts", {"Account_Name": "a"})
    assert len(conn.get_many("Accounts", ["1"])) == 1
    assert len(conn.find_many("Accounts", "Account_Name", ["a"])) == 1


def test_fail_records_refuses_single_records_in_a_batch() -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def refuse(module: str, fields: Mapping[str, Any]) -> str | None:
        seen.append((module, dict(fields)))
        return "Phone is not valid" if fields.get("Phone") == "bad" else None

    conn = make(FaultPlan(fail_records=refuse))
    rec = conn.put("Accounts", {"Account_Name": "keep"})
    created = conn.create_many(
        "Accounts",
        [
            Draft(ref="a", fields={"Account_Name": "x", "Phone": "bad"}),
            Draft(ref="b", fields={"Account_Name": "y", "Phone": " ok "}),
        ],
    )
    assert [r.ok for r in created] == [False, True]
    error = created[0].error
    assert error is not None
    assert (error.code, error.message) == ("invalid", "Phone is not valid")
    [updated] = conn.update_many("Accounts", [Patch(id=rec.id, fields={"Phone": "bad"})])
    assert not updated.ok
    # The filter sees the record as it would be stored: normalised, merged with what was there.
    assert seen[1] == ("Accounts", {"Account_Name": "y", "Phone": "ok"})
    assert seen[2] == ("Accounts", {"Account_Name": "keep", "Phone": "bad"})
    assert sorted(r.fields["Account_Name"] for r in conn.all("Accounts")) == ["keep", "y"]


def test_simulated_crash_is_not_an_exception() -> None:
    assert issubclass(SimulatedCrash, BaseException)
    assert not issubclass(SimulatedCrash, Exception)
    conn = make(FaultPlan(crash_after_writes=0))

    def guarded() -> str:
        # Code under test that swallows every Exception still dies here.
        try:
            conn.describe()
        except Exception:
            return "swallowed"
        return "returned"

    with pytest.raises(SimulatedCrash, match=r"process died before zoho_crm\.describe"):
        guarded()


@pytest.mark.parametrize(
    "next_call",
    [
        lambda c: c.get_many("Accounts", ["1"]),
        lambda c: c.find_many("Accounts", "Account_Name", ["a0"]),
        lambda c: next(c.read_changes("Accounts", None)),
        lambda c: c.update_many("Accounts", [Patch(id="1", fields={"Phone": "1"})]),
        lambda c: c.describe(),
    ],
)
def test_crash_after_writes_lets_exactly_n_write_calls_through(
    next_call: Callable[[MemoryConnector], object],
) -> None:
    conn = make(FaultPlan(crash_after_writes=2))
    conn.get_many("Accounts", ["1"])  # reads do not count
    conn.create_many("Accounts", drafts(1))
    conn.update_many("Accounts", [Patch(id="1", fields={"Phone": "0"})])
    with pytest.raises(SimulatedCrash):
        next_call(conn)
    # The process stays dead until it is "restarted" with another plan.
    with pytest.raises(SimulatedCrash):
        conn.get_many("Accounts", ["1"])
    conn.faults = None
    assert conn.get_many("Accounts", ["1"])[0].fields == {"Account_Name": "a0", "Phone": "0"}


def test_a_crash_can_stop_a_create_between_its_batches() -> None:
    conn = make(FaultPlan(crash_after_writes=2), batch_size=2)
    with pytest.raises(SimulatedCrash):
        conn.create_many("Accounts", drafts(7))
    assert conn.count("Accounts") == 4
    assert conn.calls["create_many"] == 3


def test_faults_can_be_switched_on_and_off_mid_read() -> None:
    conn = make()
    for i in range(5):
        conn.put("Accounts", {"Account_Name": f"a{i}"})
    pages = conn.read_changes("Accounts", None)
    assert len(next(pages).records) == 2
    conn.faults = FaultPlan(fail_next=1)
    with pytest.raises(RetriableError):
        next(pages)
    conn.faults = None
    again = conn.read_changes("Accounts", None)
    assert sum(len(p.records) for p in again) == 5


def test_rates_outside_zero_to_one_are_refused() -> None:
    with pytest.raises(ValueError, match="error_rate"):
        FaultPlan(error_rate=1.5)
    with pytest.raises(ValueError, match="drop_after_write_rate"):
        FaultPlan(drop_after_write_rate=-0.1)
