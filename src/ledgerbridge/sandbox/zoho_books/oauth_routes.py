"""Zoho Accounts endpoints for the emulator: ``/oauth/v2/auth`` and ``/oauth/v2/token``.

Like the real accounts server, a bad code or refresh token is answered with HTTP 200 and
``{"error": "invalid_code"}``; parameters may come in the query string or a form body.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ledgerbridge.sandbox.core.oauth import OAuthError, TokenAnswer
from ledgerbridge.sandbox.zoho_books.state import ZohoBooksState

_OFFLINE = "offline_access"


def _params(query: dict[str, str], form: dict[str, str]) -> dict[str, str]:
    return {**query, **form}


def _answer(request: Request, token: TokenAnswer, *, with_refresh: bool) -> JSONResponse:
    body: dict[str, Any] = {
        "access_token": token.access_token,
        "scope": " ".join(s for s in token.scope.split() if s != _OFFLINE),
        "api_domain": str(request.base_url).rstrip("/"),
        "token_type": "Bearer",
        "expires_in": token.expires_in,
    }
    if with_refresh and token.refresh_token is not None:
        body["refresh_token"] = token.refresh_token
    return JSONResponse(body)


def _error(exc: OAuthError) -> JSONResponse:
    if exc.error == "too_many_requests":
        return JSONResponse(
            {"error_description": exc.description, "error": "Access Denied", "status": "failure"},
            status_code=400,
        )
    if exc.error == "invalid_client":
        return JSONResponse({"error": "invalid_client"})
    return JSONResponse({"error": "invalid_code"})


def oauth_router(state: ZohoBooksState) -> APIRouter:
    router = APIRouter(prefix="/oauth/v2")

    @router.get("/auth")
    def authorize(request: Request) -> Response:
        """The consent screen, approved at once: redirect back with a code."""
        q = dict(request.query_params)
        redirect_uri = q.get("redirect_uri", "")
        if not redirect_uri or q.get("response_type", "code") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        scope = q.get("scope", "").replace(",", " ")
        if q.get("access_type") == "offline":
            scope = f"{scope} {_OFFLINE}"
        try:
            code = state.oauth.authorize(
                q.get("client_id", ""), redirect_uri, scope, q.get("state")
            )
        except OAuthError as exc:
            return JSONResponse({"error": exc.error}, status_code=400)
        back: dict[str, str] = {"code": code, "location": "us"}
        back["accounts-server"] = str(request.base_url).rstrip("/")
        if "state" in q:
            back["state"] = q["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(back)}", status_code=302)

    @router.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        p = _params(dict(request.query_params), form)
        grant = p.get("grant_type", "")
        client_id = p.get("client_id", "")
        secret = p.get("client_secret", "")
        try:
            if grant == "authorization_code":
                answer = state.oauth.exchange_code(
                    p.get("code", ""), client_id, secret, p.get("redirect_uri")
                )
                return _answer(request, answer, with_refresh=True)
            if grant == "refresh_token":
                answer = state.oauth.refresh(p.get("refresh_token", ""), client_id, secret)
                return _answer(request, answer, with_refresh=False)
        except OAuthError as exc:
            return _error(exc)
        return JSONResponse({"error": "unsupported_grant_type"})

    @router.post("/token/revoke")
    async def revoke(request: Request) -> JSONResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        token_value = _params(dict(request.query_params), form).get("token", "")
        state.oauth.revoke(token_value)
        return JSONResponse({"status": "success"})

    return router
