"""Connections over the API: list, show, add, change settings, set a secret, disconnect, delete.

Secrets are write-only: they go in through their own route and never come back out; a
connection shows only the names of the secrets that are set. Connections are shared by the
installation, so adding or changing one needs an admin's token (or one not tied to a user);
a user's token sees the connections its own integrations use.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from ledgerbridge.domain.errors import ConfigError, StateError
from ledgerbridge.store import ConnectionRow, Store
from ledgerbridge.web.access import Principal, visible_integrations
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
ADMIN_ONLY = problem(
    "Connections are shared by the installation: changing them needs an admin's token.",
    "connections are managed by an administrator; ask one to make this change",
)


def _users(store: Store, principal: Principal) -> dict[str, list[str]]:
    """Connection name -> the integrations (visible to the caller) using it."""
    used: dict[str, list[str]] = {}
    for row in visible_integrations(store, principal):
        for name in dict.fromkeys((row.crm_connection, row.books_connection)):
            used.setdefault(name, []).append(row.name)
    return used


def _visible(principal: Principal, row: ConnectionRow, used: dict[str, list[str]]) -> bool:
    return principal.is_admin or row.name in used


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
    missing = RefusedError(
        404,
        f"no connection named {name!r}; `GET /api/v1/connections` lists the ones you can see",
    )
    try:
        row = store.connections.get(name)
    except ConfigError:
        raise missing from None
    if not _visible(principal, row, _users(store, principal)):
        raise missing
    return row


def _admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise RefusedError(
            403,
            "connections are shared by the installation and managed by an administrator; "
            "ask one to make this change",
        )


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
    return [
        _out(store, row, used) for row in store.connections.list() if _visible(principal, row, used)
    ]


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
        403: ADMIN_ONLY,
        409: problem("A connection of that name exists.", "a connection named 'xero' exists"),
    },
)
def create_connection(
    body: ConnectionIn, application: ApplicationDep, principal: PrincipalDep, response: Response
) -> ConnectionOut:
    """Add a connection; link it afterwards (OAuth) and set its secrets with the secrets route."""
    _admin(principal)
    _check_settings(body.settings)
    store = application.store
    try:
        row = store.connections.add(body.name, body.system, dict(body.settings), {})
    except ConfigError as exc:
        raise RefusedError(409, str(exc)) from None
    response.headers["Location"] = f"/api/v1/connections/{row.name}"
    return _out(store, row, {})


@router.put(
    "/connections/{connection}/settings",
    summary="Replace a connection's settings",
    responses={404: NOT_FOUND, 403: ADMIN_ONLY},
)
def update_connection_settings(
    connection: ConnectionName,
    body: ConnectionSettingsIn,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> ConnectionOut:
    """Replace the non-secret settings (base URL, tenant or organisation id, data centre)."""
    store = application.store
    _connection(store, principal, connection)
    _admin(principal)
    _check_settings(body.settings)
    row = store.connections.update_settings(connection, dict(body.settings))
    application.forget(connection)  # the next job opens it with the new settings
    return _out(store, row, _users(store, principal))


@router.put(
    "/connections/{connection}/secrets/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set one secret of a connection",
    responses={404: NOT_FOUND, 403: ADMIN_ONLY},
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
    _connection(store, principal, connection)
    _admin(principal)
    if key in _MANAGED:
        raise invalid([("key", f"{key} is kept by ledgerbridge itself and cannot be set")])
    set_connection_secret(store, connection, key, body.value.strip())
    application.forget(connection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/connections/{connection}/disconnect",
    summary="Disconnect a connection",
    responses={404: NOT_FOUND, 403: ADMIN_ONLY},
)
def disconnect(
    connection: ConnectionName, application: ApplicationDep, principal: PrincipalDep
) -> ConnectionOut:
    """Remove the stored OAuth tokens; runs refuse to use it until it is linked again."""
    store = application.store
    _connection(store, principal, connection)
    _admin(principal)
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
        403: ADMIN_ONLY,
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
    _connection(store, principal, connection)
    _admin(principal)
    try:
        store.connections.delete(connection)
    except StateError as exc:
        raise RefusedError(409, str(exc)) from None
    application.forget(connection)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
