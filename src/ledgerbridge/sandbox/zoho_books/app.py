"""The Zoho Books emulator app: v3 API at ``/books/v3`` and ``/erp/v3``, OAuth, admin API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerbridge.sandbox.core.app import admin_router, instrument
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultConfig, FaultInjector
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.limits import LimitDecision, RateLimiter
from ledgerbridge.sandbox.zoho_books.errors import (
    CODE_INTERNAL,
    CODE_INVALID_URL,
    CODE_RATE_LIMIT,
    BooksError,
)
from ledgerbridge.sandbox.zoho_books.oauth_routes import oauth_router
from ledgerbridge.sandbox.zoho_books.routes import books_router
from ledgerbridge.sandbox.zoho_books.state import SCOPE, ZohoBooksState
from ledgerbridge.sandbox.zoho_books.webhooks import BooksWebhooks

SYSTEM = "zoho_books"
PER_MINUTE = 100
DEFAULT_CONCURRENCY = 10
_API_PREFIXES = ("/books/v3", "/erp/v3")


class WebhookBody(BaseModel):
    url: str | None = None
    secret: str | None = None


class OrganizationBody(BaseModel):
    name: str
    currency_code: str = "USD"
    utc_offset: str = "+0000"


class TokenBody(BaseModel):
    scope: str = SCOPE


def _limit_key(request: Request) -> str | None:
    if not request.url.path.startswith(_API_PREFIXES):
        return None
    return request.query_params.get("organization_id") or None


def _limit_response(decision: LimitDecision) -> Response:
    messages = {
        "day": "You have crossed the maximum number of API requests allowed per day.",
        "concurrent": "You have made too many concurrent requests. Please try again later.",
    }
    message = messages.get(
        decision.problem or "", "You have made too many requests per minute. Try again later."
    )
    headers = {"Retry-After": str(decision.retry_after or 1)}
    return JSONResponse({"code": CODE_RATE_LIMIT, "message": message}, 429, headers=headers)


def _server_error() -> Response:
    return JSONResponse({"code": CODE_INTERNAL, "message": "Internal error"}, 500)


def create_app(
    state: ZohoBooksState | None = None,
    *,
    clock: VirtualClock | None = None,
    ledger: CallLedger | None = None,
    faults: FaultConfig | None = None,
    limits: bool = True,
    data: str = ":memory:",
    daily_limit: int = 10_000,
    concurrency: int | None = DEFAULT_CONCURRENCY,
) -> FastAPI:
    """Build the emulator; a fresh state gets one organization so the API is usable at once."""
    if state is None:
        state = ZohoBooksState(clock=clock, data=data, daily_limit=daily_limit)
    if not state.organizations():
        state.add_organization("Sandbox Organization")
    ledger = ledger or CallLedger()
    injector = FaultInjector(faults)
    state.oauth.faults = injector
    limiter = RateLimiter(
        state.clock, per_minute=PER_MINUTE, per_day=state.daily_limit, concurrency=concurrency
    )
    limiter.enabled = limits
    webhooks = BooksWebhooks()
    state.listeners.append(webhooks)

    app = FastAPI(title="Zoho Books sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = state
    app.state.oauth = state.oauth
    app.state.clock = state.clock
    app.state.ledger = ledger
    app.state.faults = injector
    app.state.limiter = limiter
    app.state.webhooks = webhooks

    @app.exception_handler(BooksError)
    async def books_error(_: Request, exc: BooksError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.http_status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = "Invalid URL Passed" if exc.status_code == 404 else str(exc.detail)
        return JSONResponse({"code": CODE_INVALID_URL, "message": message}, exc.status_code)

    # Routes are added to the app itself, not through include_router: the call ledger reads
    # each route's path template from the app's own route list.
    for router in (*(books_router(state, p) for p in _API_PREFIXES), oauth_router(state)):
        app.router.routes.extend(router.routes)

    def extra(router: APIRouter) -> None:
        @router.post("/webhooks")
        def set_webhooks(body: WebhookBody) -> dict[str, Any]:
            webhooks.configure(body.url, body.secret)
            return {"url": body.url, "secret_set": bool(body.secret)}

        @router.get("/organizations")
        def list_organizations() -> dict[str, Any]:
            return {"organizations": state.organizations()}

        @router.post("/organizations")
        def add_organization(body: OrganizationBody) -> dict[str, Any]:
            org = state.add_organization(
                body.name, currency_code=body.currency_code, utc_offset=body.utc_offset
            )
            return {"organization": org}

        @router.post("/tokens")
        def mint_token(body: TokenBody) -> dict[str, Any]:
            answer = state.oauth.issue_for_tests(scope=f"{body.scope} offline_access")
            return {
                "access_token": answer.access_token,
                "refresh_token": answer.refresh_token,
                "expires_in": answer.expires_in,
            }

    app.include_router(
        admin_router(
            system=SYSTEM,
            clock=state.clock,
            ledger=ledger,
            faults=injector,
            limiter=limiter,
            oauth=state.oauth,
            extra=extra,
        )
    )
    instrument(
        app,
        system=SYSTEM,
        ledger=ledger,
        faults=injector,
        limiter=limiter,
        limit_key=_limit_key,
        limit_response=_limit_response,
        error_response=_server_error,
    )
    return app
