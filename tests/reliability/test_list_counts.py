"""Listing many integrations costs one count of bindings, not one per flow.

Found under load (bench/load.py): with 50 integrations and two workers writing bindings, the
REST API's integration list took seconds, counting each flow's bindings on its own (a read of
the table each, as no index leads with integration and flow).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.bindings import Binding
from ledgerbridge.web.api.problems import API_PREFIX
from tests.integration.web.live import accounts_config, application, web
from tests.support.dispatch import RecordingDispatcher


def binding(n: int) -> Binding:
    return Binding(
        crm_id=f"c{n}",
        books_id=f"b{n}",
        base={},
        crm_hash="h",
        books_hash="h",
        crm_modified_at=None,
        books_modified_at=None,
        extra={},
    )


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[tuple[App, httpx.Client, str]]:
    app = application(tmp_path, db_url, coalesce=0.0)
    try:
        app.store.connections.add("crm", "zoho_crm", {"client_id": "x"}, {})
        app.store.connections.add("xero", "xero", {"client_id": "x", "tenant_id": "t"}, {})
        for i in range(6):
            row = app.store.integrations.create(accounts_config(f"org{i}"))
            app.store.bindings.insert_many(row.id, "accounts", [binding(n) for n in range(i)])
        token = app.store.tokens.create("lister").secret
        with web(app, RecordingDispatcher()) as served, httpx.Client(base_url=served.url) as http:
            yield app, http, token
    finally:
        app.close()


def test_the_integration_list_counts_bindings_once_and_right(
    site: tuple[App, httpx.Client, str],
) -> None:
    app, http, token = site
    counted: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "count(" in statement.lower() and "bindings" in statement.lower():
            counted.append(statement)

    sa.event.listen(app.store.engine, "before_cursor_execute", watch)
    try:
        answer = http.get(
            f"{API_PREFIX}/integrations", headers={"Authorization": f"Bearer {token}"}
        )
    finally:
        sa.event.remove(app.store.engine, "before_cursor_execute", watch)
    assert answer.status_code == 200, answer.text
    found = {i["name"]: i["flows"][0]["bindings"] for i in answer.json()}
    assert found == {f"org{i}": i for i in range(6)}
    assert len(counted) == 1, counted
    expected = {
        (row.id, "accounts"): app.store.bindings.count(row.id, "accounts")
        for row in app.store.integrations.list()
        if app.store.bindings.count(row.id, "accounts")
    }
    assert app.store.bindings.counts(r.id for r in app.store.integrations.list()) == expected
