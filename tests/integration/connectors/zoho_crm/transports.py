"""Transport wrappers for connector tests: record what was sent, lose answers on purpose."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Sent:
    method: str
    url: httpx.URL
    headers: httpx.Headers
    body: bytes

    @property
    def path(self) -> str:
        return self.url.path

    def param(self, name: str) -> str | None:
        return self.url.params.get(name)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Recorder(httpx.BaseTransport):
    """Keeps every request that went out (after auth), then passes it on."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[Sent] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        with self._lock:
            self.sent.append(Sent(request.method, request.url, request.headers, body))
        return self.inner.handle_request(request)

    def to(self, method: str, path_end: str) -> list[Sent]:
        return [s for s in self.sent if s.method == method and s.path.endswith(path_end)]

    def close(self) -> None:
        self.inner.close()


class AnswerLoser(httpx.BaseTransport):
    """Lets the server apply a request, then drops its answer: the client cannot know."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        lose: Callable[[httpx.Request], bool],
    ) -> None:
        self.inner = inner
        self.lose = lose
        self.lost = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.lose(request):
            response.read()
            with self._lock:
                self.lost += 1
            raise httpx.RemoteProtocolError("connection lost after the request", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def first_n(method: str, path_end: str, n: int) -> Callable[[httpx.Request], bool]:
    """Lose the answers of the first ``n`` matching requests."""
    count = 0
    lock = threading.Lock()

    def lose(request: httpx.Request) -> bool:
        nonlocal count
        if request.method != method or not request.url.path.endswith(path_end):
            return False
        with lock:
            count += 1
            return count <= n

    return lose


def at_rate(method: str, rate: float, seed: int = 7) -> Callable[[httpx.Request], bool]:
    """Lose the answers of a seeded fraction of ``method`` requests to the API."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def lose(request: httpx.Request) -> bool:
        if request.method != method or "/oauth/" in request.url.path:
            return False
        with lock:
            return rng.random() < rate

    return lose


class ExpireTokensAt(httpx.BaseTransport):
    """Expires every access token once, when the ``at``-th request goes out."""

    def __init__(self, inner: httpx.BaseTransport, at: int, expire: Callable[[], Any]) -> None:
        self.inner = inner
        self.at = at
        self.expire = expire
        self.count = 0
        self.fired = False
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.count += 1
            fire = self.count == self.at
        if fire:
            self.expire()
            self.fired = True
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class RefuseBefore(httpx.BaseTransport):
    """Answers matching requests with a 503 without passing them on (nothing was applied)."""

    def __init__(self, inner: httpx.BaseTransport, refuse: Callable[[httpx.Request], bool]) -> None:
        self.inner = inner
        self.refuse = refuse
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.refuse(request):
            self.refused += 1
            return httpx.Response(503, json={"code": "INTERNAL_ERROR"}, request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
