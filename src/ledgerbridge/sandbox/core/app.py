"""Middleware every emulator installs (ledger, faults, limits) and the ``/_sandbox`` admin API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import Fault, FaultInjector
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.limits import LimitDecision, RateLimiter
from ledgerbridge.sandbox.core.oauth import OAuthServer

ADMIN_PREFIX = "/_sandbox"
# the ledger status of a call whose connection was dropped without an answer
DROPPED_STATUS = 0
UNMATCHED_TEMPLATE = "(unmatched)"


class ConnectionDroppedError(Exception):
    """Raised after the answer started, so the server aborts the connection mid-answer."""


@dataclass(frozen=True)
class RouteTemplate:
    """One route flattened out of included routers: its full path template and methods."""

    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str] | None


def route_templates(app: ASGIApp) -> list[RouteTemplate]:
    """Every route of ``app`` with its full template, including routes of included routers."""
    routes = getattr(app, "routes", None) or getattr(getattr(app, "router", None), "routes", [])
    found: list[RouteTemplate] = []
    for route in routes:
        # FastAPI keeps included routers as lazy branches that expose their effective routes
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for context in contexts():
                methods = getattr(context.original_route, "methods", None)
                found.append(_template(str(context.path), methods))
            continue
        path = getattr(route, "path", None)
        if isinstance(path, str):
            found.append(_template(path, getattr(route, "methods", None)))
    return found


def _template(path: str, methods: Any) -> RouteTemplate:
    pattern, _format, _convertors = compile_path(path)
    return RouteTemplate(path, pattern, frozenset(m.upper() for m in methods) if methods else None)


def route_template(app: ASGIApp, scope: Scope, routes: list[RouteTemplate] | None = None) -> str:
    """The path template of the route that will answer ``scope`` (``/crm/v8/{module}/{id}``)."""
    path = str(scope["path"])
    method = str(scope.get("method", "GET")).upper()
    partial: str | None = None
    for route in routes if routes is not None else route_templates(app):
        if route.pattern.match(path) is None:
            continue
        if route.methods is None or method in route.methods:
            return route.template
        if partial is None:
            partial = route.template
    return partial or UNMATCHED_TEMPLATE


def _default_error() -> Response:
    return PlainTextResponse("Service Unavailable", status_code=503)


class _InstrumentMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        root: FastAPI,
        system: str,
        ledger: CallLedger,
        faults: FaultInjector,
        limiter: RateLimiter | None,
        limit_key: Callable[[Request], str | None],
        limit_response: Callable[[LimitDecision], Response],
        headers: Callable[[LimitDecision], dict[str, str]] | None,
        error_response: Callable[[], Response],
    ) -> None:
        self.app = app
        self.root = root
        self.system = system
        self.ledger = ledger
        self.faults = faults
        self.limiter = limiter
        self.limit_key = limit_key
        self.limit_response = limit_response
        self.headers = headers
        self.error_response = error_response
        self._routes: list[RouteTemplate] | None = None

    def _templates(self) -> list[RouteTemplate]:
        # routes are all registered before the first call arrives
        if self._routes is None:
            self._routes = route_templates(self.root)
        return self._routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        template = route_template(self.root, scope, self._templates())
        status = DROPPED_STATUS

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._faulted(scope, receive, recording_send)
        except ConnectionDroppedError:
            status = DROPPED_STATUS
            raise
        finally:
            self.ledger.record(self.system, str(scope["method"]), template, status)

    async def _faulted(self, scope: Scope, receive: Receive, send: Send) -> None:
        decision = self.faults.decide()
        if decision.delay_seconds > 0:
            await asyncio.sleep(decision.delay_seconds)
        if decision.fault is Fault.DROP:
            # start an answer that promises a body, then abort: clients see a broken connection
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")],
                }
            )
            raise ConnectionDroppedError("sandbox fault: connection dropped")
        if decision.fault is Fault.ERROR_5XX:
            await self.error_response()(scope, receive, send)
            return
        if decision.fault is Fault.RATE_429:
            refused = LimitDecision(False, 1, "minute", 0, None, None)
            await self._answer_refused(refused, scope, receive, send)
            return
        await self._limited(scope, receive, send)

    async def _answer_refused(
        self, decision: LimitDecision, scope: Scope, receive: Receive, send: Send
    ) -> None:
        response = self.limit_response(decision)
        if self.headers is not None:
            for name, value in self.headers(decision).items():
                response.headers.setdefault(name, value)
        await response(scope, receive, send)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.limit_key(Request(scope)) if self.limiter is not None else None
        if self.limiter is None or key is None:
            await self.app(scope, receive, send)
            return
        decision = self.limiter.acquire(key)
        if not decision.allowed:
            await self._answer_refused(decision, scope, receive, send)
            return
        extra = (
            [(k.lower().encode(), v.encode()) for k, v in self.headers(decision).items()]
            if self.headers is not None
            else []
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self.limiter.release(key)


def instrument(
    app: FastAPI,
    *,
    system: str,
    ledger: CallLedger,
    faults: FaultInjector,
    limiter: RateLimiter | None,
    limit_key: Callable[[Request], str | None],
    limit_response: Callable[[LimitDecision], Response],
    headers: Callable[[LimitDecision], dict[str, str]] | None = None,
    error_response: Callable[[], Response] | None = None,
) -> None:
    """Install the ledger, fault and limit middleware (admin paths pass through untouched).

    Per call: the ledger records method, route template and final status (0 when the
    connection was dropped); then faults (latency, drop, 5xx, 429); then the limits, with
    ``headers`` added to every limited answer and concurrency released when the answer ends.
    """
    app.add_middleware(
        _InstrumentMiddleware,
        root=app,
        system=system,
        ledger=ledger,
        faults=faults,
        limiter=limiter,
        limit_key=limit_key,
        limit_response=limit_response,
        headers=headers,
        error_response=error_response or _default_error,
    )


class FaultSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error_5xx_rate: float | None = None
    rate_429: float | None = None
    latency_ms: int | None = None
    slow_rate: float | None = None
    drop_rate: float | None = None
    token_ttl_seconds: int | None = None
    seed: int | None = None


class AdvanceBody(BaseModel):
    seconds: float


class SetClockBody(BaseModel):
    now: datetime | None = None
    frozen: bool | None = None


class LimitsBody(BaseModel):
    enabled: bool


def admin_router(
    *,
    system: str,
    clock: VirtualClock,
    ledger: CallLedger,
    faults: FaultInjector,
    limiter: RateLimiter | None,
    oauth: OAuthServer | None = None,
    extra: Callable[[APIRouter], None] | None = None,
) -> APIRouter:
    """The ``/_sandbox`` admin API; ``extra`` adds an emulator's own admin routes."""
    router = APIRouter(prefix=ADMIN_PREFIX, tags=["sandbox"])

    @router.get("/faults")
    def get_faults() -> dict[str, Any]:
        return faults.config.to_dict()

    @router.put("/faults")
    def put_faults(body: FaultSettings) -> dict[str, Any]:
        # fields left out keep their value; token_ttl_seconds may be cleared with null
        changes = body.model_dump(exclude_unset=True)
        changes = {k: v for k, v in changes.items() if v is not None or k == "token_ttl_seconds"}
        return faults.update(**changes).to_dict()

    @router.get("/ledger")
    def get_ledger() -> dict[str, Any]:
        return {
            "system": system,
            "counts": ledger.counts(system),
            "total": ledger.total(system),
        }

    @router.post("/ledger/reset")
    def reset_ledger() -> dict[str, Any]:
        ledger.reset()
        return {"total": 0}

    def clock_answer() -> dict[str, Any]:
        return {"now": clock.now().isoformat(), "frozen": clock.frozen}

    @router.get("/clock")
    def get_clock() -> dict[str, Any]:
        return clock_answer()

    @router.post("/clock/advance")
    def advance_clock(body: AdvanceBody) -> dict[str, Any]:
        clock.advance(body.seconds)
        return clock_answer()

    @router.put("/clock")
    def set_clock(body: SetClockBody) -> dict[str, Any]:
        if body.now is not None:
            if body.now.tzinfo is None:
                raise ValueError("now must carry a timezone")
            clock.set(body.now)
        if body.frozen is True:
            clock.freeze()
        elif body.frozen is False:
            clock.unfreeze()
        return clock_answer()

    @router.get("/limits")
    def get_limits() -> dict[str, Any]:
        if limiter is None:
            return {"enabled": False}
        return {
            "enabled": limiter.enabled,
            "per_minute": limiter.per_minute,
            "per_day": limiter.per_day,
            "concurrency": limiter.concurrency,
            "app_per_minute": limiter.app_per_minute,
        }

    @router.put("/limits")
    def put_limits(body: LimitsBody) -> dict[str, Any]:
        if limiter is not None:
            limiter.enabled = body.enabled
            if not body.enabled:
                limiter.reset()
        return {"enabled": body.enabled and limiter is not None}

    @router.post("/tokens/expire")
    def expire_tokens() -> dict[str, Any]:
        expired = oauth.expire_all_access_tokens() if oauth is not None else 0
        return {"expired": expired}

    if extra is not None:
        extra(router)
    return router


__all__ = [
    "ADMIN_PREFIX",
    "DROPPED_STATUS",
    "ConnectionDroppedError",
    "RouteTemplate",
    "admin_router",
    "instrument",
    "route_template",
    "route_templates",
]
