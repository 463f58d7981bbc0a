"""``ledgerbridge token``: make, list and revoke the tokens that open the REST API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.bootstrap import App, bootstrap
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.settings import load_settings

token_app = typer.Typer(help="Tokens that open the REST API (/api/v1).", no_args_is_help=True)

out = Console(soft_wrap=True)


@contextmanager
def _application() -> Iterator[App]:
    application = bootstrap(load_settings())
    try:
        yield application
    finally:
        application.close()


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what will use it, e.g. reporting.")],
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="A portal user's e-mail: the token sees and acts on that user's integrations "
            "only. Without it the token opens the whole installation.",
        ),
    ] = None,
) -> None:
    """Make a token; it is printed once and only its hash is kept."""
    with _application() as application:
        store = application.store
        user_id = None
        if user is not None:
            found = store.users.by_email(user)
            if found is None:
                raise ConfigError(
                    f"no user with e-mail {user!r}; `ledgerbridge user list` shows them"
                )
            user_id = found.id
        issued = store.tokens.create(name, user_id=user_id)
    # The token alone on stdout, so scripts can capture it; the advice goes to stderr.
    print(issued.secret)
    advice = f"token {name} created; it is not shown again. Send it as: "
    Console(stderr=True, soft_wrap=True).print(
        advice + "Authorization: Bearer <token>", highlight=False
    )


@token_app.command("list")
def token_list() -> None:
    """List tokens (names and dates; the tokens themselves are not kept)."""
    with _application() as application:
        tokens = application.store.tokens.list()
        emails = {u.id: u.email for u in application.store.users.list()}
    table = Table("name", "user", "created", "last used", "state")
    for token in tokens:
        table.add_row(
            token.name,
            "(installation)" if token.user_id is None else emails.get(token.user_id, "?"),
            _when(token.created_at),
            _when(token.last_used_at),
            "revoked" if token.revoked else "active",
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: requests carrying it are refused from now on."""
    with _application() as application:
        application.store.tokens.revoke(name)
    out.print(f"token {name} revoked")
