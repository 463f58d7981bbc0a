"""Logging in and out of the portal, with throttling of failed logins."""

from __future__ import annotations

import math
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from ledgerbridge.portal import throttle
from ledgerbridge.portal.csrf import new_csrf_token
from ledgerbridge.portal.deps import (
    SESSION_ID_KEY,
    USER_KEY,
    flash,
    public_router,
    render,
)
from ledgerbridge.store.tables import utcnow
from ledgerbridge.web.deps import ApplicationDep

router = public_router()

WRONG = "The e-mail address or the password is wrong."


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the dashboard (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lockout_message(until: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Too many failed logins. For your security, logging in is blocked for {minutes} "
        f"more {unit}; then try again."
    )


@router.get("/login", name="login")
def login_page(request: Request, next: str | None = None) -> Response:
    if isinstance(request.session.get(USER_KEY), int):
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", next=safe_next(next), email="", error=None)


@router.post("/login")
def login(
    request: Request,
    application: ApplicationDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    users = application.store.users
    ip = client_ip(request)
    now = utcnow()
    by_email, by_ip = users.recent_failures(email, ip, since=now - throttle.LOOKBACK)
    locks = (throttle.locked_until(by_email, now), throttle.locked_until(by_ip, now))
    until = max((u for u in locks if u is not None), default=None)
    if until is not None:
        # Refused without checking the password: the answer is the same whether the address
        # has an account or not, and guessing gets no further.
        return render(
            request,
            "login.html",
            status_code=429,
            next=safe_next(next),
            email=email,
            error=_lockout_message(until, now),
        )
    user = users.authenticate(email, password)
    if user is None:
        users.record_failure(email, ip, at=now)
        return render(
            request, "login.html", status_code=401, next=safe_next(next), email=email, error=WRONG
        )
    users.clear_failures(email)
    # A new session: nothing from before the login (a planted cookie, its CSRF token) survives.
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[SESSION_ID_KEY] = secrets.token_urlsafe(24)
    new_csrf_token(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    request.session.clear()
    new_csrf_token(request)
    flash(request, "You are logged out.")
    return RedirectResponse("/login", status_code=303)
