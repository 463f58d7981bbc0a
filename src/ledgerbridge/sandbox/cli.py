"""``ledgerbridge sandbox``: a Typer app with the one command, mounted by the main CLI."""

from __future__ import annotations

import typer

from ledgerbridge.sandbox.runner import sandbox_command

app = typer.Typer(pretty_exceptions_enable=False)
app.command("sandbox")(sandbox_command)

if __name__ == "__main__":
    app()
