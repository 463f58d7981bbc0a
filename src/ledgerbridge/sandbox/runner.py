"""Serve the three emulators together, seeded once, for the demo, end-to-end tests and users.

With a data directory each emulator keeps one SQLite file there; a second start finds the seed
marker and reuses the data instead of seeding again.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from fastapi import FastAPI

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.sandbox import xero, zoho_books, zoho_crm
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultConfig
from ledgerbridge.sandbox.core.transport import ServedApp
from ledgerbridge.sandbox.seed import (
    SIZES,
    SeedWorld,
    generate,
    load_xero,
    load_zoho_books,
    load_zoho_crm,
)
from ledgerbridge.sandbox.xero.state import XeroState
from ledgerbridge.sandbox.zoho_books.state import ZohoBooksState
from ledgerbridge.sandbox.zoho_crm.state import ZohoCrmState

SEED_MARKER = "seed.json"
DATA_FILES = {
    "zoho_crm": "zoho_crm.sqlite3",
    "xero": "xero.sqlite3",
    "zoho_books": "zoho_books.sqlite3",
}
SIZE_NAMES = (*SIZES, "large")


@dataclass
class RunningSandbox:
    """The three emulators served on loopback; ``stop()`` shuts them down."""

    crm_state: ZohoCrmState
    xero_state: XeroState
    books_state: ZohoBooksState
    apps: dict[str, FastAPI]
    servers: dict[str, ServedApp]
    clock: VirtualClock
    seeded: bool
    world: SeedWorld | None = None
    data: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}

    def banner(self) -> list[str]:
        """What a person needs to point ledgerbridge (or curl) at the sandbox."""
        urls = self.urls
        crm, books, xero_url = urls["zoho_crm"], urls["zoho_books"], urls["xero"]
        origin = "seeded now" if self.seeded else "reused from the data directory"
        return [
            f"ledgerbridge sandbox ({origin}; data: {self.data or 'in memory'})",
            "",
            f"Zoho CRM   {crm}/crm/v8",
            f"  OAuth    {crm}/oauth/v2/auth  and  {crm}/oauth/v2/token",
            f"  client   {zoho_crm.CLIENT_ID} / {zoho_crm.CLIENT_SECRET}",
            f"Xero       {xero_url}/api.xro/2.0  (tenant {self.xero_state.tenant_id})",
            f"  OAuth    {xero_url}/connect/authorize  and  {xero_url}/connect/token",
            f"  client   {xero.CLIENT_ID} / {xero.CLIENT_SECRET}",
            f"  webhook key  {self.xero_state.webhook_key}",
            f"Zoho Books {books}/books/v3  (organization_id "
            f"{self.books_state.default_organization_id})",
            f"  OAuth    {books}/oauth/v2/auth  and  {books}/oauth/v2/token",
            f"  client   {zoho_books.CLIENT_ID} / {zoho_books.CLIENT_SECRET}",
            "",
            "Admin (each emulator): GET/PUT /_sandbox/faults, GET /_sandbox/ledger, "
            "POST /_sandbox/clock/advance, PUT /_sandbox/limits, POST /_sandbox/tokens/expire",
        ]

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for server in self.servers.values():
            server.stop()
        self.apps["zoho_books"].state.webhooks.sender.stop()
        self.crm_state.close()
        self.xero_state.close()
        self.books_state.close()


def _states(
    data: Path | None, clock: VirtualClock
) -> tuple[ZohoCrmState, XeroState, ZohoBooksState]:
    def path(system: str) -> str:
        return ":memory:" if data is None else str(data / DATA_FILES[system])

    return (
        ZohoCrmState(path("zoho_crm"), clock=clock),
        XeroState(clock, data=path("xero")),
        ZohoBooksState(clock=clock, data=path("zoho_books")),
    )


def _prepare_data(data: Path, echo: Callable[[str], None]) -> dict[str, Any] | None:
    """The seed marker of a complete earlier seeding; a half-seeded directory is cleared."""
    data.mkdir(parents=True, exist_ok=True)
    marker = data / SEED_MARKER
    if marker.exists():
        found: dict[str, Any] = json.loads(marker.read_text())
        return found
    for name in DATA_FILES.values():
        for leftover in data.glob(f"{name}*"):
            echo(f"removing incomplete sandbox data {leftover}")
            leftover.unlink()
    return None


def start_sandbox(
    *,
    seed: int = 0,
    size: str = "small",
    data: Path | None = None,
    host: str = "127.0.0.1",
    crm_port: int = 8901,
    xero_port: int = 8902,
    books_port: int = 8903,
    faults: FaultConfig | None = None,
    limits: bool = True,
    echo: Callable[[str], None] = print,
    count: int | None = None,
) -> RunningSandbox:
    """Seed (unless the data directory already holds a seeded sandbox) and serve; non-blocking.

    ``count`` (records per main module) overrides ``size``, as in :func:`generate`.
    """
    if size not in SIZE_NAMES:
        raise ConfigError(f"--size must be one of {', '.join(SIZE_NAMES)}, not {size!r}")
    clock = VirtualClock()
    marker = _prepare_data(data, echo) if data is not None else None
    crm_state, xero_state, books_state = _states(data, clock)
    world: SeedWorld | None = None
    if marker is None:
        world = generate(seed=seed, size=size, count=count)
        load_zoho_crm(world, crm_state)
        load_xero(world, xero_state)
        load_zoho_books(world, books_state)
        if data is not None:
            (data / SEED_MARKER).write_text(
                json.dumps({"seed": seed, "size": world.size, "count": count})
            )
    elif (marker.get("seed"), marker.get("size")) != (
        seed,
        size if count is None else f"count={count}",
    ):
        echo(
            f"reusing data seeded with seed {marker.get('seed')} and size {marker.get('size')}; "
            "remove the data directory to seed again"
        )
    apps = {
        "zoho_crm": zoho_crm.create_app(crm_state, faults=faults, limits=limits),
        "xero": xero.create_app(xero_state, faults=faults, limits=limits),
        "zoho_books": zoho_books.create_app(books_state, faults=faults, limits=limits),
    }
    ports = {"zoho_crm": crm_port, "xero": xero_port, "zoho_books": books_port}
    servers: dict[str, ServedApp] = {}
    try:
        for name, app in apps.items():
            servers[name] = ServedApp(app, host, ports[name])
        # the CRM answers with its own address as api_domain, known once the port is bound
        crm_state.api_domain = servers["zoho_crm"].url
        for server in servers.values():
            server.start()
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return RunningSandbox(
        crm_state, xero_state, books_state, apps, servers, clock, marker is None, world, data
    )


def run_sandbox(
    *,
    seed: int = 0,
    size: str = "small",
    data: Path | None = None,
    host: str = "127.0.0.1",
    crm_port: int = 8901,
    xero_port: int = 8902,
    books_port: int = 8903,
    faults: FaultConfig | None = None,
    limits: bool = True,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve until Ctrl-C or SIGTERM, then stop cleanly."""
    done = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, lambda *_: done.set())
    running: RunningSandbox | None = None
    try:
        running = start_sandbox(
            seed=seed,
            size=size,
            data=data,
            host=host,
            crm_port=crm_port,
            xero_port=xero_port,
            books_port=books_port,
            faults=faults,
            limits=limits,
            echo=echo,
        )
        for line in running.banner():
            echo(line)
        echo("Press Ctrl-C to stop.")
        while not done.wait(0.5):
            pass
    finally:
        if running is not None:
            running.stop()
            echo("sandbox stopped")
        for signum_, handler in previous.items():
            signal.signal(signum_, handler)


def _rate(value: float, option: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(f"{option} must be between 0 and 1, got {value}")
    return value


def _port(value: int, option: str) -> int:
    if not 0 <= value <= 65535:
        raise typer.BadParameter(f"{option} must be between 0 and 65535 (0 picks a free port)")
    return value


def sandbox_command(
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 0,
    size: Annotated[str, typer.Option(help="small, medium or large.")] = "small",
    data: Annotated[
        Path | None, typer.Option(help="Directory for the SQLite files (reused on restart).")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    crm_port: Annotated[int, typer.Option(help="Zoho CRM port (0: any free port).")] = 8901,
    xero_port: Annotated[int, typer.Option(help="Xero port (0: any free port).")] = 8902,
    books_port: Annotated[int, typer.Option(help="Zoho Books port (0: any free port).")] = 8903,
    error_rate: Annotated[float, typer.Option(help="Share of calls answered 5xx (0..1).")] = 0.0,
    rate_429: Annotated[float, typer.Option(help="Share of calls answered 429 (0..1).")] = 0.0,
    latency_ms: Annotated[int, typer.Option(help="Delay of slow calls in ms.")] = 0,
    slow_rate: Annotated[float, typer.Option(help="Share of calls delayed (0..1).")] = 0.0,
    drop_rate: Annotated[float, typer.Option(help="Share of connections dropped (0..1).")] = 0.0,
    token_ttl: Annotated[
        int | None, typer.Option(help="Access-token lifetime in seconds (default: vendor's).")
    ] = None,
    limits: Annotated[bool, typer.Option(help="Enforce the vendors' rate limits.")] = True,
) -> None:
    """Serve the Zoho CRM, Xero and Zoho Books emulators with seeded data."""
    if size not in SIZE_NAMES:
        raise typer.BadParameter(f"--size must be one of {', '.join(SIZE_NAMES)}, not {size!r}")
    for value, option in (
        (error_rate, "--error-rate"),
        (rate_429, "--rate-429"),
        (slow_rate, "--slow-rate"),
        (drop_rate, "--drop-rate"),
    ):
        _rate(value, option)
    for port, option in (
        (crm_port, "--crm-port"),
        (xero_port, "--xero-port"),
        (books_port, "--books-port"),
    ):
        _port(port, option)
    if latency_ms < 0:
        raise typer.BadParameter(f"--latency-ms must be 0 or more, got {latency_ms}")
    if token_ttl is not None and token_ttl < 1:
        raise typer.BadParameter(f"--token-ttl must be at least 1 second, got {token_ttl}")
    # latency alone means every call is slow
    effective_slow = slow_rate if slow_rate > 0 or latency_ms == 0 else 1.0
    faults = FaultConfig(
        error_5xx_rate=error_rate,
        rate_429=rate_429,
        latency_ms=latency_ms,
        slow_rate=effective_slow,
        drop_rate=drop_rate,
        token_ttl_seconds=token_ttl,
        seed=seed,
    )
    run_sandbox(
        seed=seed,
        size=size,
        data=data,
        host=host,
        crm_port=crm_port,
        xero_port=xero_port,
        books_port=books_port,
        faults=faults,
        limits=limits,
        echo=typer.echo,
    )
