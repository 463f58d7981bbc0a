"""The demo on the real thing: the sandbox's Zoho CRM and Xero, the zoho_xero recipe, webhooks.

Everything lives under the data directory: the sandbox's SQLite files (``sandbox/``, seeded once)
and the state database. A second start reuses both: the connections are authorised again (the
sandbox forgets its grants when it stops), the integration is kept, and the sync picks up where
the last one stopped.
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ledgerbridge.bootstrap import App
from ledgerbridge.demo.connect import (
    CRM_CONNECTION,
    XERO_CONNECTION,
    Connected,
    connect_xero,
    connect_zoho_crm,
)
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.hints import FailureGroup, top_failures
from ledgerbridge.domain.runs import Outcome
from ledgerbridge.engine.fetch import fetch
from ledgerbridge.engine.model import NoProgress, Progress, RunReport, SyncRequest
from ledgerbridge.recipes.zoho_xero import zoho_xero_config
from ledgerbridge.sandbox.core.transport import ServedApp
from ledgerbridge.sandbox.runner import RunningSandbox, start_sandbox
from ledgerbridge.store import IntegrationRow

INTEGRATION = "demo"
SANDBOX_DIR = "sandbox"
CALLBACK_PATH = "/oauth/callback"
TOTALS = (Outcome.CREATED, Outcome.UPDATED, Outcome.LINKED, Outcome.FAILED)

Echo = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoOptions:
    seed: int = 0
    size: str = "small"
    count: int | None = None  # records per main module; overrides size
    host: str = "127.0.0.1"
    port: int = 8080  # the web app (webhooks, API); 0 picks a free port
    crm_port: int = 8901
    xero_port: int = 8902
    books_port: int = 8903


@dataclass
class DemoSetup:
    sandbox: RunningSandbox
    integration: IntegrationRow
    connections: list[Connected]
    integration_created: bool


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo's runs did, in the four numbers people ask about, and what failed why."""

    totals: dict[str, int]
    failures: list[FailureGroup]
    runs: dict[str, RunReport] = field(default_factory=dict)  # by title, in run order

    @classmethod
    def of(cls, runs: dict[str, RunReport], top: int = 5) -> DemoSummary:
        reports = list(runs.values())
        totals = {o.value: sum(r.total(o) for r in reports) for o in TOTALS}
        # The last run says what is still failing; earlier failures may have been fixed since.
        failures = top_failures(reports[-1].items, top) if reports else []
        return cls(totals, failures, dict(runs))

    def to_json(self) -> dict[str, Any]:
        return {
            "totals": self.totals,
            "runs": {
                title: {"run_id": r.run_id, "status": r.status.value, "counts": r.counts.as_dict()}
                for title, r in self.runs.items()
            },
            "failures": [
                {
                    "flow": g.flow,
                    "kind": g.kind.value,
                    "problem": g.problem,
                    "count": g.count,
                    "example": g.example,
                    "hint": g.hint,
                }
                for g in self.failures
            ],
        }


def prepare(app: App, options: DemoOptions, echo: Echo) -> DemoSetup:
    """Start (seeding on first use) the sandbox, connect to it and make the integration."""
    _refuse_another_demo(app)
    sandbox = start_sandbox(
        seed=options.seed,
        size=options.size,
        count=options.count,
        data=app.settings.data_dir / SANDBOX_DIR,
        host=options.host,
        crm_port=port_or_any(options.host, options.crm_port, echo),
        xero_port=port_or_any(options.host, options.xero_port, echo),
        books_port=port_or_any(options.host, options.books_port, echo),
        echo=echo,
    )
    try:
        # Where the consent page sends the browser back to; the demo reads the code itself.
        redirect = f"http://{options.host}:{options.port or 8080}{CALLBACK_PATH}"
        urls = sandbox.urls
        with httpx.Client(timeout=30.0) as http:
            connections = [
                connect_zoho_crm(app.store, http, urls["zoho_crm"], redirect),
                connect_xero(app.store, http, urls["xero"], redirect),
            ]
        store = app.store
        created = INTEGRATION not in {i.name for i in store.integrations.list()}
        if created:
            store.integrations.create(
                zoho_xero_config(INTEGRATION, CRM_CONNECTION, XERO_CONNECTION)
            )
        integration = store.integrations.get(INTEGRATION)
    except BaseException:
        sandbox.stop()
        raise
    return DemoSetup(sandbox, integration, connections, created)


def _refuse_another_demo(app: App) -> None:
    """An integration of this name on other connections (the in-memory demo) is not ours."""
    found = [i for i in app.store.integrations.list() if i.name == INTEGRATION]
    if found and (found[0].crm_connection, found[0].books_connection) != (
        CRM_CONNECTION,
        XERO_CONNECTION,
    ):
        raise ConfigError(
            f"the data directory {app.settings.data_dir} holds another integration named "
            f"{INTEGRATION} (recipe {found[0].recipe}, perhaps the in-memory demo); remove the "
            "directory or point LEDGERBRIDGE_DATA_DIR (make demo DATA=...) elsewhere"
        )


def sync(app: App, setup: DemoSetup, progress: Progress | None = None) -> DemoSummary:
    """The initial match (first time only), then one two-way sync."""
    progress = progress or NoProgress()
    integration = setup.integration
    systems = app.systems(integration)
    runs: dict[str, RunReport] = {}
    if not app.store.runs.list(integration.id, limit=1):
        runs["fetch"] = fetch(app.engine, integration, systems, progress=progress)
    runs["sync"] = app.engine.run(integration, systems, SyncRequest(), progress)
    return DemoSummary.of(runs)


def summary_lines(summary: DemoSummary) -> list[str]:
    totals = summary.totals
    lines = [
        "Summary: " + ", ".join(f"{name} {totals[name]}" for name in totals),
    ]
    if not summary.failures:
        lines.append("No record failed.")
        return lines
    lines.append("Top failure reasons, and how to fix each:")
    for n, group in enumerate(summary.failures, 1):
        lines.append(f"  {n}. {group.count} x {group.flow}: {group.problem} (e.g. {group.example})")
        lines.append(f"     fix: {group.hint}")
    return lines


class Serving:
    """The web app, the job runner and the sandbox's webhooks pointed at the web app."""

    def __init__(
        self, app: App, setup: DemoSetup, options: DemoOptions, echo: Echo = print
    ) -> None:
        from ledgerbridge.jobs.runner import runner_for
        from ledgerbridge.web.app import create_app

        self.app = app
        self.setup = setup
        self.runner = runner_for(app)
        self.web = create_app(app, self.runner)
        # create_app serves the portal beside the API when this installation has one.
        self.portal = portal_login(app)
        port = port_or_any(options.host, options.port, echo)
        self.server = ServedApp(self.web, options.host, port)
        self.webhooks: list[str] = []

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self.server.start()
        self.runner.start()
        try:
            self.webhooks = register_webhooks(self.app, self.setup, self.url)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop taking requests, hand on what the webhooks brought, let running syncs finish."""
        self.server.stop()
        # The server runs without lifespan events, so the coalescer is closed here.
        self.web.state.coalescer.close()
        self.runner.stop()


def port_or_any(host: str, port: int, echo: Echo) -> int:
    """``port`` when it is free, else 0 (any free port): another program may hold the default."""
    if port == 0:
        return 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            echo(f"port {port} is in use; taking a free one instead")
            return 0
    return port


def register_webhooks(app: App, setup: DemoSetup, public_url: str) -> list[str]:
    """Xero's webhook and a Zoho CRM notification channel, both to this web app."""
    from ledgerbridge.web.channels import SETTINGS_KEY, ChannelKeeper
    from ledgerbridge.web.credentials import WEBHOOK_KEY, set_connection_secret

    name = setup.integration.name
    urls = setup.sandbox.urls
    done = []
    with httpx.Client(timeout=30.0) as http:
        # The webhook key is shown in Xero's developer portal; the sandbox shows it here.
        key = http.get(f"{urls['xero']}/_sandbox/tenant").raise_for_status().json()["webhook_key"]
        set_connection_secret(app.store, XERO_CONNECTION, WEBHOOK_KEY, key)
        target = f"{public_url}/webhooks/xero/{name}"
        http.post(f"{urls['xero']}/_sandbox/webhooks", json={"url": target}).raise_for_status()
        intent = http.post(f"{urls['xero']}/_sandbox/webhooks/intent").raise_for_status().json()
        if not intent.get("ok"):
            raise RuntimeError(f"Xero's intent-to-receive check failed: {intent}")
        done.append(f"Xero webhook -> {target} (signature checked)")
    # The sandbox forgets its channels when it stops: register afresh rather than "keep".
    integrations = app.store.integrations
    settings = integrations.settings(name)
    if settings.pop(SETTINGS_KEY, None) is not None:
        integrations.update_settings(name, settings)
    status = ChannelKeeper(app, public_url).ensure(integrations.get(name))
    if status.action not in ("registered", "renewed", "kept"):
        raise RuntimeError(f"Zoho CRM channel not registered: {status.detail}")
    done.append(f"Zoho CRM channel -> {public_url}/webhooks/zoho/{name} ({status.action})")
    return done


DEMO_ADMIN = "admin@demo.ledgerbridge.test"


@dataclass(frozen=True, slots=True)
class PortalLogin:
    path: str
    email: str
    password: str


def portal_login(app: App) -> PortalLogin:
    """A demo administrator with a fresh password each start.

    Only a hash of the password is kept, so the password cannot be shown again later: each
    start sets a new one and prints it.
    """
    users = app.store.users
    password = secrets.token_urlsafe(12)
    if users.by_email(DEMO_ADMIN) is None:
        users.create(DEMO_ADMIN, password, admin=True)
    else:
        users.set_password(DEMO_ADMIN, password)
    return PortalLogin("/login", DEMO_ADMIN, password)


def serving_lines(serving: Serving) -> list[str]:
    """Where everything is, and a change to try that the webhooks carry across."""
    url = serving.url
    urls = serving.setup.sandbox.urls
    name = serving.setup.integration.name
    lines = [""]
    login = serving.portal
    lines.append(f"Portal:   {url}/  (log in at {url}{login.path})")
    lines.append(f"  user {login.email}  password {login.password}")
    lines += [
        f"API:      {url}/api/v1  (docs at {url}/api/v1/docs;"
        " a token: ledgerbridge token create me)",
        f"Health:   {url}/healthz",
        *(f"Webhook:  {w}" for w in serving.webhooks),
        "",
        "Try it: change a record in the sandbox and watch it arrive on the other side, e.g.",
    ]
    example = _example_account(serving.setup)
    if example is not None:
        record_id, xero_id = example
        lines += [
            f"  curl -X PATCH {urls['zoho_crm']}/_sandbox/records/Accounts/{record_id} \\",
            '       -d \'{"Account_Name": "Renamed in the CRM"}\'',
            f"  curl {urls['xero']}/_sandbox/webhooks   # Xero's side: contact {xero_id}",
        ]
    lines += [
        f"  ledgerbridge history {name}   # the webhook runs, in another terminal",
        "",
        "Press Ctrl-C to stop.",
    ]
    return lines


def _example_account(setup: DemoSetup) -> tuple[str, str] | None:
    for record in setup.sandbox.crm_state.all("Accounts"):
        if record.get("Add_to_Xero") and record.get("Xero_ID"):
            return str(record["id"]), str(record["Xero_ID"])
    return None


def wait(stop: threading.Event) -> None:
    while not stop.wait(0.5):
        pass
