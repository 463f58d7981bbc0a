"""Bearer-token authentication of the REST API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledgerbridge.store.tokens import ApiToken
from ledgerbridge.web.api.problems import RefusedError
from ledgerbridge.web.deps import ApplicationDep

# auto_error off: a missing header is answered as a problem document like every other refusal.
_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `ledgerbridge token create NAME`.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def require_token(
    application: ApplicationDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiToken:
    """The token the request carries, or a 401 problem."""
    if credentials is None or not credentials.credentials:
        raise RefusedError(
            401,
            "send an API token as `Authorization: Bearer <token>`; "
            "`ledgerbridge token create NAME` makes one",
            _CHALLENGE,
        )
    token = application.store.tokens.authenticate(credentials.credentials)
    if token is None:
        raise RefusedError(
            401,
            "the API token is not valid or was revoked; `ledgerbridge token create NAME` "
            "makes a new one",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return token


TokenDep = Annotated[ApiToken, Depends(require_token)]
