"""CSRF protection: a random token per session, required on every unsafe request.

Forms carry it in a hidden ``csrf_token`` input; scripts send it in the ``X-CSRF-Token``
header (base.html puts it in a ``<meta name="csrf-token">`` for them).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CsrfRefusedError(Exception):
    """An unsafe request without this session's CSRF token."""


def csrf_token(request: Request) -> str:
    """This session's token, made on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def new_csrf_token(request: Request) -> str:
    """A fresh token (on login: nothing issued before it is valid afterwards)."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)
    return str(request.session[SESSION_KEY])


async def verify_csrf(request: Request) -> None:
    """Refuse an unsafe request whose token is missing or not this session's."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            # FastAPI has already read (and cached) the form for the route's parameters.
            value = (await request.form()).get(FORM_FIELD)
            sent = value if isinstance(value, str) else None
    if (
        not isinstance(expected, str)
        or not expected
        or not sent
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRefusedError
