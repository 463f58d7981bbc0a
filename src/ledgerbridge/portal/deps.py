"""What portal pages share: the logged-in user, templates, flash messages, page routers.

A page router from :func:`page_router` checks the CSRF token of every unsafe request and sends
anyone not logged in to ``/login``; :func:`public_router` only checks the CSRF token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ledgerbridge.portal.csrf import csrf_token, verify_csrf
from ledgerbridge.store.users import User
from ledgerbridge.web.access import Principal
from ledgerbridge.web.deps import ApplicationDep

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
USER_KEY = "uid"
SESSION_ID_KEY = "sid"
FLASH_KEY = "flash"

templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template is HTML
        undefined=jinja2.StrictUndefined,
    )
)


class LoginRequiredError(Exception):
    """No one is logged in; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_url(next_path: str | None = None) -> str:
    if not next_path or next_path == "/":
        return "/login"
    return f"/login?next={quote(next_path, safe='/')}"


def current_user(request: Request, application: ApplicationDep) -> User:
    """The logged-in user, or a redirect to /login (coming back here afterwards)."""
    user_id = request.session.get(USER_KEY)
    user = application.store.users.find(user_id) if isinstance(user_id, int) else None
    if user is None:
        if user_id is not None:
            request.session.clear()  # the user was deleted: the session means nothing now
        target = request.url.path
        if request.url.query:
            target += f"?{request.url.query}"
        raise LoginRequiredError(target if request.method == "GET" else "/")
    request.state.user = user
    return user


UserDep = Annotated[User, Depends(current_user)]


def current_principal(user: UserDep) -> Principal:
    return Principal.of(user)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def flash(request: Request, message: str, category: str = "info") -> None:
    """A message shown once, on the next page rendered (after a redirect)."""
    messages = list(request.session.get(FLASH_KEY, []))
    messages.append({"category": category, "message": message})
    request.session[FLASH_KEY] = messages


def _take_flashes(request: Request) -> list[dict[str, str]]:
    messages = request.session.pop(FLASH_KEY, [])
    return [m for m in messages if isinstance(m, dict)]


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render template ``name`` with the user, the CSRF token and pending flash messages."""
    user = getattr(request.state, "user", None)
    full = {
        "user": user,
        "csrf_token": csrf_token(request),
        "flashes": _take_flashes(request),
        "active": context.pop("active", None),
        **context,
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)


def page_router(**kwargs: Any) -> APIRouter:
    """A router for pages behind the login: CSRF checked, anonymous visitors sent to /login."""
    return APIRouter(
        dependencies=[Depends(verify_csrf), Depends(current_user)],
        default_response_class=HTMLResponse,
        include_in_schema=False,
        **kwargs,
    )


def public_router(**kwargs: Any) -> APIRouter:
    """A router for pages anyone may open (the login page); CSRF still checked."""
    return APIRouter(
        dependencies=[Depends(verify_csrf)],
        default_response_class=HTMLResponse,
        include_in_schema=False,
        **kwargs,
    )
