"""The ``ledgerbridge demo`` command."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.engine.model import RunReport
from ledgerbridge.engine.report import summary_lines as run_lines

out = Console(soft_wrap=True)

RECIPES = ("zoho_xero", "starter")
_TITLES = {"fetch": "Fetch (initial match)", "sync": "Two-way sync"}


def _counts(report: RunReport, title: str) -> None:
    for line in run_lines(report, title=title, top=0):
        if line.strip() == "top failure reasons:":
            break
        out.print(line, highlight=False)


def demo_command(
    recipe: Annotated[
        str, typer.Option(help="zoho_xero: the sandbox over HTTP; starter: two in-memory systems.")
    ] = "zoho_xero",
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 0,
    size: Annotated[
        str,
        typer.Option(
            help="Seed size: small, or medium (about 7,000 records: its first sync takes "
            "minutes, as the sandbox keeps to Xero's 60 calls a minute)."
        ),
    ] = "small",
    count: Annotated[
        int | None, typer.Option(help="Records per main module (overrides --size).")
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve", help="After the summary, serve the web app until Ctrl-C."
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Address everything listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Web app port (0: any free port).")] = 8080,
    crm_port: Annotated[int, typer.Option(help="Sandbox Zoho CRM port (0: any).")] = 8901,
    xero_port: Annotated[int, typer.Option(help="Sandbox Xero port (0: any).")] = 8902,
    books_port: Annotated[int, typer.Option(help="Sandbox Zoho Books port (0: any).")] = 8903,
    report: Annotated[
        Path | None, typer.Option(help="Also write the summary as JSON to this file.")
    ] = None,
    accounts: Annotated[
        int, typer.Option(help="starter recipe only: how many CRM accounts to seed.")
    ] = 24,
) -> None:
    """Seed the sandbox's Zoho CRM and Xero, connect, match, sync both ways, then serve."""
    if recipe not in RECIPES:
        raise ConfigError(f"--recipe must be one of {', '.join(RECIPES)}, not {recipe!r}")
    if recipe == "starter":
        _starter(accounts, seed)
        return
    if size not in ("small", "medium"):
        raise ConfigError(f"--size must be small or medium, not {size!r} (or give --count)")
    if count is not None and count < 1:
        raise ConfigError("--count must be 1 or more")
    for value, option in (
        (port, "--port"),
        (crm_port, "--crm-port"),
        (xero_port, "--xero-port"),
        (books_port, "--books-port"),
    ):
        if not 0 <= value <= 65535:
            raise ConfigError(f"{option} must be between 0 and 65535 (0 picks a free port)")
    from ledgerbridge.cli import _app, _Bars, _progress
    from ledgerbridge.demo import live

    options = live.DemoOptions(
        seed=seed,
        size=size,
        count=count,
        host=host,
        port=port,
        crm_port=crm_port,
        xero_port=xero_port,
        books_port=books_port,
    )
    with _app() as application:
        setup = live.prepare(application, options, echo=lambda m: out.print(m, highlight=False))
        try:
            sandbox = setup.sandbox
            out.print(
                f"Sandbox: Zoho CRM {sandbox.urls['zoho_crm']}, Xero {sandbox.urls['xero']} ("
                + ("seeded now" if sandbox.seeded else "reused")
                + f"; data in {sandbox.data})",
                highlight=False,
            )
            for c in setup.connections:
                how = "created" if c.created else "authorised again"
                out.print(f"Connection {c.name} ({c.system}): {how} through OAuth", highlight=False)
            out.print(
                f"Integration {setup.integration.name} (zoho_xero): "
                + ("created" if setup.integration_created else "reused"),
                highlight=False,
            )
            with _progress() as progress:
                summary = live.sync(application, setup, _Bars(progress))
            for key, run in summary.runs.items():
                _counts(run, _TITLES.get(key, key))
            for line in live.summary_lines(summary):
                out.print(line, highlight=False)
            if report is not None:
                report.write_text(json.dumps(_report(setup, summary), indent=2) + "\n")
            if serve:
                _serve(application, setup, options)
        finally:
            setup.sandbox.stop()


def _report(setup: Any, summary: Any) -> dict[str, Any]:
    return {
        "sandbox": {"seeded": setup.sandbox.seeded, "urls": setup.sandbox.urls},
        "connections": {c.name: {"created": c.created} for c in setup.connections},
        "integration": {"name": setup.integration.name, "created": setup.integration_created},
        **summary.to_json(),
    }


def _serve(application: Any, setup: Any, options: Any) -> None:
    from ledgerbridge.demo import live

    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    serving = live.Serving(
        application, setup, options, echo=lambda m: out.print(m, highlight=False)
    )
    try:
        serving.start()
        try:
            for line in live.serving_lines(serving):
                out.print(line, highlight=False)
            live.wait(stop)
            out.print("Stopping...", highlight=False)
        finally:
            serving.stop()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    out.print("Stopped.", highlight=False)


def _starter(accounts: int, seed: int) -> None:
    from ledgerbridge.cli import _app, _Bars, _progress, print_report
    from ledgerbridge.demo.starter import run_demo

    if accounts < 7:
        raise ConfigError("--accounts must be 7 or more (the seed has seven awkward names)")
    with _app() as application, _progress() as progress:
        result = run_demo(application, accounts=accounts, seed=seed, progress=_Bars(progress))
    print_report(result.fetch, title="Fetch (initial match)")
    print_report(result.sync, title="Two-way sync")
    print_report(result.again, title="Second sync (nothing left to do)")
