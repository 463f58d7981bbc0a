"""The portal: server-rendered pages to log in, connect systems and run integrations.

:func:`install` adds it to the web app: signed session cookies, the static files, the login
pages and every module in ``portal.pages`` that has a ``router``.
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledgerbridge.bootstrap import App
from ledgerbridge.portal import auth, pages, progress
from ledgerbridge.portal.csrf import CsrfRefusedError
from ledgerbridge.portal.deps import STATIC_DIR, LoginRequiredError, login_url, render
from ledgerbridge.portal.sessions import (
    COOKIE_NAME,
    MAX_AGE_SECONDS,
    secure_cookies,
    session_secret,
)
from ledgerbridge.web.access import ConnectionHiddenError, IntegrationHiddenError
from ledgerbridge.web.problems import problem

API_PREFIX = "/api/"

# Pages are never framed (clickjacking), never sniffed into another type, and load only this
# site's scripts; inline style attributes are allowed for bars and charts drawn in SVG.
_PAGE_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'",
    ),
)


class PageHeaders:
    """Adds the security headers to every HTML answer (pure ASGI: streaming untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html"):
                    headers.extend(_PAGE_HEADERS)
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


async def _on_login_required(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequiredError)
    return RedirectResponse(login_url(exc.next_path), status_code=303)


async def _on_csrf(request: Request, _: Exception) -> Response:
    return render(
        request,
        "error.html",
        status_code=403,
        title="Form expired",
        message="This form expired or did not come from this site. Go back, reload the page "
        "and send it again.",
    )


async def _on_hidden(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith(API_PREFIX):
        return problem(404, str(exc))
    return render(
        request,
        "error.html",
        status_code=404,
        title="Not found",
        message="There is no such integration, or it is not yours to see.",
    )


async def _on_hidden_connection(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith(API_PREFIX):
        return problem(404, str(exc))
    return render(
        request,
        "error.html",
        status_code=404,
        title="Not found",
        message="There is no such connection, or it is not yours to manage.",
    )


def page_modules() -> list[str]:
    """The modules of ``portal.pages``, by name."""
    return sorted(m.name for m in pkgutil.iter_modules(pages.__path__))


def install(web: FastAPI, application: App) -> None:
    """Serve the portal from ``web`` (under /, beside /api/v1 and /webhooks)."""
    settings = application.settings
    web.add_middleware(PageHeaders)
    web.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=COOKIE_NAME,
        max_age=MAX_AGE_SECONDS,
        same_site="lax",
        https_only=secure_cookies(settings),
    )
    web.add_exception_handler(LoginRequiredError, _on_login_required)
    web.add_exception_handler(CsrfRefusedError, _on_csrf)
    web.add_exception_handler(IntegrationHiddenError, _on_hidden)
    web.add_exception_handler(ConnectionHiddenError, _on_hidden_connection)
    web.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Runs this process's job threads start report live progress to the sync page.
    progress.install(web, application)
    web.include_router(auth.router)
    for name in page_modules():
        module = importlib.import_module(f"{pages.__name__}.{name}")
        router = getattr(module, "router", None)
        if router is not None:
            web.include_router(router)
