"""/api/v1 run history: filtered, paged with Link headers, one run and its items."""

from __future__ import annotations

import httpx

from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import Outcome, RunItem, RunKind, RunStatus
from tests.integration.api.conftest import Api, refused

RUNS = "/api/v1/integrations/live/runs"


def _next(answer: httpx.Response) -> str | None:
    link = answer.headers.get("link")
    if link is None:
        return None
    url, rel = str(link).split(";")
    assert rel.strip() == 'rel="next"'
    return url.strip().removeprefix("<").removesuffix(">")


def _runs(api: Api) -> list[int]:
    """Five runs: scheduled ones succeeded, manual ones partial, the last still running."""
    store = api.app.store
    live = api.integration().id
    ids = []
    for kind, status in (
        (RunKind.SCHEDULED, RunStatus.SUCCEEDED),
        (RunKind.MANUAL, RunStatus.PARTIAL),
        (RunKind.SCHEDULED, RunStatus.SUCCEEDED),
        (RunKind.MANUAL, RunStatus.PARTIAL),
        (RunKind.WEBHOOK, None),
    ):
        run = store.runs.start(live, kind, {}, dry_run=False)
        if status is not None:
            store.runs.finish(run, status, {})
        ids.append(run)
    return ids


def test_runs_are_paged_with_link_headers(api: Api) -> None:
    ids = _runs(api)
    seen: list[int] = []
    url: str | None = f"{api.http.base_url}{RUNS}?limit=2"
    pages = 0
    while url is not None:
        answer = api.http.get(url, headers=api.auth)
        assert answer.status_code == 200
        seen += [r["id"] for r in answer.json()]
        url = _next(answer)
        pages += 1
    assert seen == ids[::-1]
    assert pages == 3
    exact = api.http.get(RUNS, params={"limit": 5}, headers=api.auth)
    assert len(exact.json()) == 5
    assert "link" not in exact.headers


def test_runs_are_filtered_by_status_and_kind(api: Api) -> None:
    ids = _runs(api)
    partial = api.http.get(RUNS, params={"status": "partial"}, headers=api.auth).json()
    assert [r["id"] for r in partial] == [ids[3], ids[1]]
    scheduled = api.http.get(RUNS, params={"kind": "scheduled", "limit": 1}, headers=api.auth)
    assert [r["id"] for r in scheduled.json()] == [ids[2]]
    following = _next(scheduled)
    assert following is not None
    assert "kind=scheduled" in following
    assert [r["id"] for r in api.http.get(following, headers=api.auth).json()] == [ids[0]]
    running = api.http.get(RUNS, params={"status": "running"}, headers=api.auth).json()
    assert [(r["id"], r["finished_at"]) for r in running] == [(ids[4], None)]
    for params, word in (
        ({"status": "done"}, "status"),
        ({"kind": "hourly"}, "kind"),
        ({"limit": 201}, "limit"),
        ({"before": 0}, "before"),
    ):
        refused(api.http.get(RUNS, params=params, headers=api.auth), 422, word)


def test_a_runs_items_are_filtered_and_paged(api: Api) -> None:
    store = api.app.store
    run = store.runs.start(api.integration().id, RunKind.MANUAL, {}, dry_run=False)
    store.runs.add_items(
        run,
        [
            RunItem("accounts", Side.CRM, str(i), Outcome.FAILED if i % 3 == 0 else Outcome.CREATED)
            for i in range(10)
        ],
    )
    store.runs.finish(run, RunStatus.PARTIAL, {})
    items = f"/api/v1/runs/{run}/items"
    every = api.http.get(items, headers=api.auth)
    assert [i["record_id"] for i in every.json()] == [str(i) for i in range(10)]
    assert "link" not in every.headers
    failed = api.http.get(items, params={"outcome": "failed"}, headers=api.auth).json()
    assert [i["record_id"] for i in failed] == ["0", "3", "6", "9"]
    first = api.http.get(items, params={"limit": 4, "outcome": "created"}, headers=api.auth)
    assert [i["record_id"] for i in first.json()] == ["1", "2", "4", "5"]
    rest = _next(first)
    assert rest is not None
    second = api.http.get(rest, headers=api.auth)
    assert [i["record_id"] for i in second.json()] == ["7", "8"]
    assert _next(second) is None
    refused(api.http.get(items, params={"outcome": "lost"}, headers=api.auth), 422, "outcome")
    refused(api.http.get(items, params={"offset": -1}, headers=api.auth), 422, "offset")
    refused(api.http.get("/api/v1/runs/999999/items", headers=api.auth), 404, "999999")


def test_runs_need_a_token(api: Api) -> None:
    [run, *_] = _runs(api)
    for path in (RUNS, f"/api/v1/runs/{run}", f"/api/v1/runs/{run}/items"):
        refused(api.http.get(path), 401, "token")
