"""Xero's identity endpoints: authorize, token, revocation and the connections list."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ledgerbridge.sandbox.core.oauth import OAuthError, OAuthServer, TokenAnswer, TokenCheck
from ledgerbridge.sandbox.xero.dates import iso_utc
from ledgerbridge.sandbox.xero.responses import (
    XeroProblemError,
    json_response,
    problem_details,
)
from ledgerbridge.sandbox.xero.state import XeroState


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(answer: TokenAnswer, client_id: str, secret: str, issued: float) -> str:
    """An OpenID Connect id_token (HS256 with the client secret)."""
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": "https://identity.xero.com",
        "aud": client_id,
        "sub": answer.user,
        "iat": int(issued),
        "exp": int(issued) + 300,
        "email": f"{answer.user}@sandbox.invalid",
        "xero_userid": str(uuid.uuid5(uuid.NAMESPACE_URL, answer.user)),
    }
    signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{_b64(signature)}"


def bearer_check(request: Request, oauth: OAuthServer) -> TokenCheck:
    """The token of an API call, or the 401 Xero answers."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise XeroProblemError(
            401, problem_details(401, "Unauthorized", "AuthenticationUnsuccessful")
        )
    check = oauth.check(token.strip())
    if check.status == "expired":
        detail = "TokenExpired: token expired"
        raise XeroProblemError(
            401,
            problem_details(401, "Unauthorized", detail),
            {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
        )
    if check.status != "ok":
        raise XeroProblemError(
            401, problem_details(401, "Unauthorized", "AuthenticationUnsuccessful")
        )
    return check


def _oauth_error(error: OAuthError) -> Response:
    body: dict[str, Any] = {"error": error.error}
    return json_response(body, 400)


def identity_router(state: XeroState, oauth: OAuthServer) -> APIRouter:
    router = APIRouter()
    connection_ids: dict[str, str] = {}
    disconnected: set[str] = set()
    created = iso_utc(state.clock.now())

    @router.get("/connect/authorize")
    def authorize(request: Request) -> Response:
        params = request.query_params
        if params.get("response_type") != "code":
            return json_response({"error": "unsupported_response_type"}, 400)
        try:
            code = oauth.authorize(
                params.get("client_id", ""),
                params.get("redirect_uri", ""),
                params.get("scope", ""),
                params.get("state"),
            )
        except OAuthError as exc:
            return _oauth_error(exc)
        query = {"code": code, "scope": params.get("scope", "")}
        if params.get("state") is not None:
            query["state"] = params["state"]
        redirect = params.get("redirect_uri", "")
        separator = "&" if "?" in redirect else "?"
        return RedirectResponse(f"{redirect}{separator}{urlencode(query)}", status_code=302)

    @router.post("/connect/token")
    async def token(request: Request) -> Response:
        form = await request.form()
        client_id = str(form.get("client_id") or "")
        secret: str | None = str(form["client_secret"]) if "client_secret" in form else None
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip()).decode()
            except ValueError:
                return json_response({"error": "invalid_client"}, 400)
            client_id, _, secret = decoded.partition(":")
        if secret is None:
            return json_response({"error": "invalid_client"}, 400)
        grant = form.get("grant_type")
        try:
            if grant == "authorization_code":
                answer = oauth.exchange_code(
                    str(form.get("code") or ""),
                    client_id,
                    secret,
                    str(form["redirect_uri"]) if "redirect_uri" in form else None,
                )
            elif grant == "refresh_token":
                answer = oauth.refresh(str(form.get("refresh_token") or ""), client_id, secret)
            else:
                return json_response({"error": "unsupported_grant_type"}, 400)
        except OAuthError as exc:
            return _oauth_error(exc)
        body: dict[str, Any] = {}
        if "openid" in answer.scope.split():
            body["id_token"] = id_token(answer, client_id, secret, oauth.clock.timestamp())
        body.update(
            {
                "access_token": answer.access_token,
                "expires_in": answer.expires_in,
                "token_type": answer.token_type,
            }
        )
        if answer.refresh_token:
            body["refresh_token"] = answer.refresh_token
        body["scope"] = answer.scope
        return json_response(body)

    @router.post("/connect/revocation")
    async def revoke(request: Request) -> Response:
        form = await request.form()
        oauth.revoke(str(form.get("token") or ""))
        return Response(status_code=200)

    @router.get("/Connections")
    def connections(request: Request) -> Response:
        check = bearer_check(request, oauth)
        answer = []
        for tenant in check.tenant_ids:
            if tenant.lower() != state.tenant_id.lower() or tenant in disconnected:
                continue
            connection_id = connection_ids.setdefault(tenant, str(uuid.uuid4()))
            answer.append(
                {
                    "id": connection_id,
                    "authEventId": str(uuid.uuid5(uuid.NAMESPACE_OID, connection_id)),
                    "tenantId": state.tenant_id,
                    "tenantType": "ORGANISATION",
                    "tenantName": state.organisation["Name"],
                    "createdDateUtc": created,
                    "updatedDateUtc": created,
                }
            )
        return json_response(answer)

    @router.delete("/Connections/{id}")
    def disconnect(id: str, request: Request) -> Response:
        bearer_check(request, oauth)
        known = {v: k for k, v in connection_ids.items()}
        if id not in known:
            return Response(status_code=404)
        disconnected.add(known[id])
        return Response(status_code=204)

    return router
