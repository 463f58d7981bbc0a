"""Fixtures: a Zoho Books emulator on a frozen virtual clock, reached in-process over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.transport import client_for
from ledgerbridge.sandbox.zoho_books import SCOPE, ZohoBooksState, create_app

START = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)


class BooksApi:
    """A thin caller that adds the token header and ``organization_id`` like a real client."""

    def __init__(self, client: httpx.Client, token: str, org_id: str, prefix: str = "/books/v3"):
        self.client = client
        self.token = token
        self.org_id = org_id
        self.prefix = prefix

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        org: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        query = {"organization_id": org if org is not None else self.org_id, **(params or {})}
        if query["organization_id"] == "":
            del query["organization_id"]
        wanted = {"Authorization": f"Zoho-oauthtoken {self.token}", **(headers or {})}
        return self.client.request(
            method, self.prefix + path, params=query, json=json, headers=wanted
        )

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.call("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return self.call("PUT", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("DELETE", path, **kw)

    def ok(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """Call and insist on the success envelope."""
        answer = self.call(method, path, **kw)
        assert answer.status_code in (200, 201), answer.text
        body: dict[str, Any] = answer.json()
        assert body["code"] == 0
        return body


@pytest.fixture
def clock() -> VirtualClock:
    clock = VirtualClock(START)
    clock.freeze()
    return clock


@pytest.fixture
def state(clock: VirtualClock) -> ZohoBooksState:
    return ZohoBooksState(clock=clock)


@pytest.fixture
def app(state: ZohoBooksState) -> FastAPI:
    return create_app(state)


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with client_for(app, "http://books.sandbox.test") as client:
        yield client


@pytest.fixture
def org_id(state: ZohoBooksState, app: FastAPI) -> str:
    return state.default_organization_id


@pytest.fixture
def api(client: httpx.Client, state: ZohoBooksState, org_id: str) -> BooksApi:
    token = state.oauth.issue_for_tests(scope=SCOPE).access_token
    return BooksApi(client, token, org_id)
