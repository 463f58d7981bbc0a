"""Connections over the API: list, show, add, change settings, set a secret, disconnect, delete.

Secrets are write-only: they go in through their own route and never come back out; a
connection shows only the names of the secrets that are set. Who sees and changes what follows
``web.access``: a connection belongs to whoever added it; its owner and admins (and tokens not
tied to a user) manage it; a user sees their own connections and those their integrations use,
and one they see but do not own is refused 403 when they try to change it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from ledgerbridge.domain.errors import ConfigError, StateError
from ledgerbridge.store import ConnectionRow, Store
from ledgerbridge.web.access import Principal, visible_connections, visible_integrations
from ledgerbridge.web.api.common import PrincipalDep, api_router, problem
from ledgerbridge.web.api.models import (
    ConnectionIn,
    ConnectionOut,
    ConnectionSettingsIn,
    SecretIn,
    SettingValue,
)
from ledgerbridge.web.api.problems import RefusedError, invalid
from ledgerbridge.web.credentials import set_connection_secret
from ledgerbridge.web.deps import ApplicationDep

router = api_router("connections")

TOKENS = "tokens"
# Kept by ledgerbridge itself (OAuth and channel tokens); setting them by hand breaks things.
_MANAGED = frozenset({TOKENS, "channel_tokens"})
_SECRET_NAMES = frozenset({"access_token", "refresh_token", "api_key", "webhook_key"}) | _MANAGED
# Bounded retries of the compare-and-swap on a connection's secrets (tokens may rotate meanwhile).
_ATTEMPTS = 8

ConnectionName = Annotated[
    str, Path(max_length=63, description="The connection's name.", examples=["xero"])
]
NOT_FOUND = problem(
    "No such connection, or none this token may see.",
    "no connection named 'xero'; `GET /api/v1/connections` lists the ones you can see",
)
NOT_OWNER = problem(
    "The connection is used by your integrations but belongs to another user.",
    "connection xero belongs to another user; its owner or an administrator can change it",
)


def _users(store: Store, principal: Principal) -> dict[str, list[str]]:
    """Connection name -> the integrations (visible to the caller) using it."""
    used: dict[str, list[str]] = {}
    for row in visible_integrations(store, principal):
        for name in dict.fromkeys((row.crm_connection, row.books_connection)):
            used.setdefault(name, []).append(row.name)
    return used


def _out(store: Store, row: ConnectionRow, used: dict[str, list[str]]) -> ConnectionOut:
    secrets, _ = store.connections.secrets(row.name)
    return ConnectionOut(
        name=row.name,
        system=row.system,
        settings=dict(row.settings),
        connected=bool(secrets.get(TOKENS)),
        secrets_set=sorted(k for k, v in secrets.items() if v not in (None, "", {}, [])),
        used_by=used.get(row.name, []),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _connection(store: Store, principal: Principal, name: str) -> ConnectionRow:
    """A connection the caller may see, else a 404 that says nothing more."""
    for row in visible_connections(store, principal):
        if row.name == name:
            return row
    raise RefusedError(
        404,
        f"no connection named {name!r}; `GET /api/v1/connections` lists the ones you can see",
    )


def _managed(store: Store, principal: Principal, name: str) -> ConnectionRow:
    """A connection the caller may change: 404 when it cannot see it, 403 when it only uses it."""
    row = _connection(store, principal, name)
    if not principal.can_manage(row):
        raise RefusedError(
            403,
            f"connection {name} belongs to another user; its owner or an administrator can "
            "change it",
        )
    return row


def _check_settings(settings: dict[str, SettingValue]) -> None:
    bad = [k for k in settings if _looks_secret(k)]
    if bad:
        raise invalid(
            [
                (
                    f"settings.{k}",
                    "looks like a secret; settings are shown to anyone who may see the "
                    f"connection, so set it with PUT /api/v1/connections/{{name}}/secrets/{k}",
                )
                for k in bad
            ]
        )


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_NAMES or "secret" in lowered or "password" in lowered


@router.get("/connections", summary="List connections")
def list_connections(application: ApplicationDep, principal: PrincipalDep) -> list[ConnectionOut]:
    """Every connection the caller may see, by name; settings only, never secrets."""
    store = application.store
    used = _users(store, principal)
    return [_out(store, row, used) for row in visible_connections(store, principal)]


@router.get("/connections/{connection}", summary="Show a connection", responses={404: NOT_FOUND})
def show_connection(
    connection: ConnectionName, application: ApplicationDep, principal: PrincipalDep
) -> ConnectionOut:
    """One connection: its system, settings, whether it is linked and which secrets are set."""
    store = application.store
    row = _connection(store, principal, connection)
    return _out(store, row, _users(store, principal))


@router.post(
    "/connections",
    status_code=status.HTTP_201_CREATED,
    summary="Add a connection",
    responses={
        409: problem("A connection of that name exists.", "a connection named 'xero' exists"),
    },
)
def create_connection(
    body: ConnectionIn, application: ApplicationDep, principal: PrincipalDep, response: Response
) -> ConnectionOut:
    """Add a connection; it belongs to the token's user. Link it afterwards (OAuth) and set
    its secrets with the secrets route."""
    _check_settings(body.settings)
    store = application.store
    try:
        row = store.connections.add(
            body.name, body.system, dict(body.settings), {}, owner_id=principal.user_id
        )
    except ConfigError as exc:
        raise RefusedError(409, str(exc)) from None
    response.headers["Location"] = f"/api/v1/connections/{row.name}"
    return _out(store, row, {})


@router.put(
    "/connections/{connection}/settings",
    summary="Replace a connection's settings",
    responses={404: NOT_FOUND, 403: NOT_OWNER},
)
def update_connection_settings(
    connection: ConnectionName,
    body: ConnectionSettingsIn,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> ConnectionOut:
    """Replace the non-secret settings (base URL, tenant or organisation id, data centre)."""
    store = application.store
    _managed(store, principal, connection)
    _check_settings(body.settings)
    row = store.connections.update_settings(connection, dict(body.settings))
    application.forget(connection)  # the next job opens it with the new settings
    return _out(store, row, _users(store, principal))


@router.put(
    "/connections/{connection}/secrets/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set one secret of a connection",
    responses={404: NOT_FOUND, 403: NOT_OWNER},
)
def set_secret(
    connection: ConnectionName,
    key: Annotated[
        str,
        Path(
            pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$",
            description="The secret's name, e.g. `client_secret` or `webhook_key`.",
            examples=["webhook_key"],
        ),
    ],
    body: SecretIn,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> Response:
    """Store one secret, encrypted; it is never answered back (write-only)."""
    store = application.store
    _managed(store, principal, connection)
    if key in _MANAGED:
        raise invalid([("key", f"{key} is kept by ledgerbridge itself and cannot be set")])
    set_connection_secret(store, connection, key, body.value.strip())
    application.forget(connection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/connections/{connection}/disconnect",
    summary="Disconnect a connection",
    responses={404: NOT_FOUND, 403: NOT_OWNER},
)
def disconnect(
    connection: ConnectionName, application: ApplicationDep, principal: PrincipalDep
) -> ConnectionOut:
    """Remove the stored OAuth tokens; runs refuse to use it until it is linked again."""
    store = application.store
    _managed(store, principal, connection)
    for _ in range(_ATTEMPTS):
        current, version = store.connections.secrets(connection)
        kept = {k: v for k, v in current.items() if k != TOKENS}
        if store.connections.replace_secrets(connection, kept, expected_version=version):
            break
    else:  # pragma: no cover - needs eight concurrent token refreshes in a row
        raise RefusedError(409, f"the secrets of connection {connection} kept changing; try again")
    application.forget(connection)
    return _out(store, store.connections.get(connection), _users(store, principal))


@router.delete(
    "/connections/{connection}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a connection",
    responses={
        404: NOT_FOUND,
        403: NOT_OWNER,
        409: problem(
            "An integration uses the connection.",
            "connection 'xero' is used by integration(s) acme; delete them or point them at "
            "another connection first",
        ),
    },
)
def delete_connection(
    connection: ConnectionName, application: ApplicationDep, principal: PrincipalDep
) -> Response:
    """Delete a connection no integration uses, with its secrets."""
    store = application.store
    _managed(store, principal, connection)
    try:
        store.connections.delete(connection)
    except StateError as exc:
        if principal.is_admin:
            raise RefusedError(409, str(exc)) from None
        # The store names every user; a user is told only of the integrations they can see.
        mine = _users(store, principal).get(connection, [])
        which = f"integration(s) {', '.join(mine)}" if mine else "an integration of another user"
        raise RefusedError(
            409,
            f"connection {connection!r} is used by {which}; delete them or point them at "
            "another connection first",
        ) from None
    application.forget(connection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
