"""Commands of the web side: ``serve``, ``connection set-secret`` and ``integration button-url``."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from ledgerbridge.bootstrap import App, bootstrap
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.settings import load_settings

SECRET_ENV = "LEDGERBRIDGE_SECRET_VALUE"  # noqa: S105 - a variable name, not a secret
# Kept by the OAuth flow; setting them by hand would only break the connection.
_MANAGED_SECRETS = frozenset({"tokens", "channel_tokens"})

out = Console(soft_wrap=True)


@contextmanager
def _application() -> Iterator[App]:
    application = bootstrap(load_settings())
    try:
        yield application
    finally:
        application.close()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve webhooks, CRM button URLs and /healthz; Ctrl-C stops.

    On SQLite jobs run on threads in this process; on PostgreSQL they are queued for
    ``ledgerbridge worker`` processes, so one lock per integration holds across all of them.
    """
    import uvicorn

    from ledgerbridge.jobs.runner import runner_for
    from ledgerbridge.observability.setup import setup_logging
    from ledgerbridge.web.app import create_app
    from ledgerbridge.web.channels import ChannelKeeper, ChannelRenewal

    settings = load_settings()
    setup_logging(settings)
    application = bootstrap(settings)
    runner = runner_for(application)
    renewal = None
    if settings.public_url:
        renewal = ChannelRenewal(ChannelKeeper(application, settings.public_url).ensure_all)
    else:
        logging.getLogger(__name__).warning(
            "LEDGERBRIDGE_PUBLIC_URL is not set: Zoho CRM channels are not registered, so CRM "
            "changes arrive with scheduled runs only"
        )
    web = create_app(application, runner)
    runner.start()
    if renewal is not None:
        renewal.start()
    try:
        # uvicorn answers Ctrl-C (and SIGTERM) by finishing open requests, then returns.
        # log_config=None: uvicorn's own loggers go through ours (JSON, masked) too.
        uvicorn.run(
            web, host=host, port=port, log_level=settings.log_level.lower(), log_config=None
        )
    finally:
        if renewal is not None:
            renewal.stop()
        runner.stop()
        application.close()


def connection_set_secret(
    name: Annotated[str, typer.Argument(help="The connection.")],
    key: Annotated[str, typer.Argument(help="The secret's name, e.g. webhook_key.")],
) -> None:
    """Set one secret of a connection, read from LEDGERBRIDGE_SECRET_VALUE or a hidden prompt."""
    from ledgerbridge.web.credentials import set_connection_secret

    if key in _MANAGED_SECRETS:
        raise ConfigError(f"{key} is kept by ledgerbridge itself and cannot be set by hand")
    value = os.environ.get(SECRET_ENV) or typer.prompt(key, hide_input=True)
    if not value.strip():
        raise ConfigError(f"the value of {key} is empty")
    with _application() as application:
        set_connection_secret(application.store, name, key, value.strip())
    out.print(f"secret {key} of connection {name} set")


def integration_button_url(
    name: Annotated[str, typer.Argument(help="The integration.")],
    flow: Annotated[
        list[str] | None, typer.Option("--flow", "-f", help="Only these flows.")
    ] = None,
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Make a new secret; older button URLs stop working.")
    ] = False,
) -> None:
    """Print the URL to paste into a Zoho CRM custom button, one per flow."""
    from ledgerbridge.web.button import button_url

    with _application() as application:
        public_url = application.settings.public_url
        if not public_url:
            raise ConfigError(
                "set LEDGERBRIDGE_PUBLIC_URL to the address Zoho CRM reaches this installation at"
            )
        integration = application.store.integrations.get(name)
        chosen = [integration.flow(f) for f in flow] if flow else list(integration.flows)
        usable = [f for f in chosen if f.enabled and f.direction.reads(Side.CRM)]
        if not usable:
            raise ConfigError(f"integration {name} has no enabled flow that reads CRM records")
        integrations = application.store.integrations
        secret = (
            integrations.rotate_button_secret(name) if rotate else integrations.button_secret(name)
        )
        for f in usable:
            # plain echo: the URL must come out exactly as it is, never wrapped or styled
            typer.echo(f"{f.name} ({f.crm_module} button):")
            typer.echo(button_url(public_url, name, f.name, f.crm_module, secret))
