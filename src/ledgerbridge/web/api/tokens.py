"""Bearer-token authentication of the REST API, and who a token acts for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledgerbridge.store.tokens import ApiToken
from ledgerbridge.web.access import Principal
from ledgerbridge.web.api.problems import RefusedError
from ledgerbridge.web.deps import ApplicationDep

# auto_error off: a missing header is answered as a problem document like every other refusal.
_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `ledgerbridge token create NAME` (add `--user EMAIL` for a "
    "token that sees only that user's integrations).",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_INVALID = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


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
            _INVALID,
        )
    return token


TokenDep = Annotated[ApiToken, Depends(require_token)]


def require_principal(application: ApplicationDep, token: TokenDep) -> Principal:
    """Who the token acts for: its user, or (a token without one) the whole installation."""
    if token.user_id is None:
        return Principal(user_id=None, email=f"token:{token.name}", is_admin=True)
    user = application.store.users.find(token.user_id)
    if user is None:  # pragma: no cover - deleting a user deletes their tokens (FK cascade)
        raise RefusedError(401, "the API token's user no longer exists", _INVALID)
    return Principal.of(user)
