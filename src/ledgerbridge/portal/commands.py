"""``ledgerbridge user``: the people who log into the portal."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.bootstrap import App, bootstrap
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.settings import load_settings

PASSWORD_ENV = "LEDGERBRIDGE_USER_PASSWORD"  # noqa: S105 - a variable name, not a password

user_app = typer.Typer(help="People who log into the portal.", no_args_is_help=True)

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


def read_password(password_file: Path | None) -> str:
    """The password from a file (first line), ``LEDGERBRIDGE_USER_PASSWORD``, or a prompt."""
    if password_file is not None:
        if not password_file.is_file():
            raise ConfigError(f"password file {password_file} does not exist")
        lines = password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


PasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help=f"Read the password from the first line of this file (or set {PASSWORD_ENV}); "
        "otherwise it is asked for.",
    ),
]


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="The e-mail address the user logs in with.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="May see and change every integration.")
    ] = False,
    password_file: PasswordFile = None,
) -> None:
    """Make a portal user; the first one should be an admin."""
    password = read_password(password_file)
    with _application() as application:
        user = application.store.users.create(email, password, admin=admin)
    out.print(f"user {user.email} created" + (" (admin)" if user.is_admin else ""))


@user_app.command("list")
def user_list() -> None:
    """List portal users."""
    with _application() as application:
        users = application.store.users.list()
    table = Table("e-mail", "role", "created", "last login")
    for user in users:
        table.add_row(
            user.email,
            "admin" if user.is_admin else "user",
            _when(user.created_at),
            _when(user.last_login_at),
        )
    out.print(table)


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    password_file: PasswordFile = None,
) -> None:
    """Give a user a new password."""
    password = read_password(password_file)
    with _application() as application:
        user = application.store.users.set_password(email, password)
    out.print(f"password of {user.email} changed")
