"""The progress hub: what the engine reports from job threads, as request handlers read it."""

from __future__ import annotations

import threading

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.portal.progress import FlowProgress, ProgressHub, Snapshot, sse


def test_reports_add_up_per_flow_and_side_and_finish_flows() -> None:
    hub = ProgressHub(resolve=lambda iid: 40 + iid)
    rep = hub.reporter(2)
    rep.flow_started("accounts", Side.CRM)
    rep.records_done("accounts", Side.CRM, 200)
    rep.records_done("accounts", Side.CRM, 13)
    rep.flow_started("accounts", Side.BOOKS)
    rep.records_done("accounts", Side.BOOKS, 5)
    rep.flow_finished("accounts")
    rep.flow_started("products", Side.CRM)
    assert hub.flows(2, 42) == (
        FlowProgress("accounts", "crm", 2, 213, True),
        FlowProgress("accounts", "books", 1, 5, True),
        FlowProgress("products", "crm", 0, 0, False),
    )


def test_each_run_reads_by_its_own_id_and_only_under_its_integration() -> None:
    ids = iter([7, 8])
    hub = ProgressHub(resolve=lambda iid: next(ids))
    assert hub.flows(1, 7) is None  # nothing reported here
    hub.reporter(1).records_done("accounts", Side.CRM, 3)
    assert hub.flows(1, 6) is None  # run 6 reported elsewhere (another process)
    assert hub.flows(2, 7) is None  # run 7 is not integration 2's
    hub.reporter(1).records_done("accounts", Side.CRM, 5)  # the next run, 8
    assert hub.flows(1, 7) == (FlowProgress("accounts", "crm", 1, 3),)
    assert hub.flows(1, 8) == (FlowProgress("accounts", "crm", 1, 5),)


def test_only_the_latest_runs_are_kept() -> None:
    ids = iter(range(1, 10))
    hub = ProgressHub(resolve=lambda iid: next(ids), keep=3)
    for _ in range(5):
        hub.reporter(1).flow_started("accounts", Side.CRM)
    assert [hub.flows(1, n) is not None for n in range(1, 6)] == [False, False, True, True, True]


def test_readers_wake_when_a_job_thread_reports() -> None:
    hub = ProgressHub(resolve=lambda iid: 1)
    rep = hub.reporter(1)
    seen = hub.seq
    woke: list[int] = []
    reader = threading.Thread(target=lambda: woke.append(hub.wait(seen, 5.0)))
    reader.start()
    rep.records_done("accounts", Side.CRM, 3)
    reader.join(5.0)
    assert woke and woke[0] > seen
    assert hub.wait(hub.seq, 0.01) == hub.seq  # nothing new: returns after the timeout


def test_concurrent_reports_lose_nothing() -> None:
    hub = ProgressHub(resolve=lambda iid: 1)
    rep = hub.reporter(1)

    def work() -> None:
        for _ in range(500):
            rep.records_done("accounts", Side.CRM, 2)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (flow,) = hub.flows(1, 1) or ()
    assert (flow.pages, flow.records) == (2000, 4000)


def test_snapshot_message_and_dict_for_a_running_and_a_finished_run() -> None:
    flows = (FlowProgress("accounts", "crm", 1, 10, True), FlowProgress("products", "crm", 1, 4))
    running = Snapshot(7, RunStatus.RUNNING, flows, {"created": 3}, 3, "live")
    assert running.flows_done == 1
    assert running.message() == ("Run 7 running: 1 of 3 flows done, 14 records read; 3 created.")
    done = Snapshot(7, RunStatus.PARTIAL, flows, {"created": 3, "failed": 1}, 3, "store", "x")
    data = done.as_dict()
    assert data["finished"] is True
    assert data["flows_done"] == 3
    assert all(f["finished"] for f in data["flows"])
    assert data["message"] == "Run 7 partial: 3 created, 1 failed: x."


def test_sse_frames_multiline_data() -> None:
    assert sse("progress", '{"a": 1}', 4) == 'event: progress\nid: 4\ndata: {"a": 1}\n\n'
    assert sse("x", "one\ntwo") == "event: x\ndata: one\ndata: two\n\n"
