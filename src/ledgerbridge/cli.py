"""The ``ledgerbridge`` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ledgerbridge import __version__
from ledgerbridge.bootstrap import SYSTEMS, App, bootstrap
from ledgerbridge.demo.command import demo_command
from ledgerbridge.domain.config import Direction, IntegrationConfig
from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError, StateError
from ledgerbridge.domain.records import Side
from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.domain.validation import Severity, errors
from ledgerbridge.engine import lifecycle
from ledgerbridge.engine.fetch import fetch as fetch_records
from ledgerbridge.engine.model import RunReport, SyncRequest, Window, WindowKind
from ledgerbridge.engine.report import summary_lines
from ledgerbridge.engine.validate import validate_config
from ledgerbridge.portal import commands as user_commands
from ledgerbridge.recipes import registry
from ledgerbridge.sandbox.runner import sandbox_command
from ledgerbridge.settings import load_settings
from ledgerbridge.store import IntegrationState
from ledgerbridge.web import commands as web_commands
from ledgerbridge.web.api import commands as api_commands

app = typer.Typer(
    name="ledgerbridge",
    help="Keep Zoho CRM and your accounting system (Xero, Zoho Books) in step, both ways.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The state database.", no_args_is_help=True)
connection_app = typer.Typer(help="Authorised accounts of a system.", no_args_is_help=True)
integration_app = typer.Typer(
    help="CRM and accounting pairs with their flows.", no_args_is_help=True
)
app.command("sandbox")(sandbox_command)
app.command("serve")(web_commands.serve)
connection_app.command("set-secret")(web_commands.connection_set_secret)
integration_app.command("button-url")(web_commands.integration_button_url)
app.add_typer(db_app, name="db")
app.add_typer(connection_app, name="connection")
app.add_typer(integration_app, name="integration")
app.add_typer(api_commands.token_app, name="token")
app.add_typer(user_commands.user_app, name="user")

out = Console(soft_wrap=True)
err = Console(stderr=True)

DIRECTIONS = {
    "crm-to-books": Direction.CRM_TO_BOOKS,
    "books-to-crm": Direction.BOOKS_TO_CRM,
    "both": Direction.BOTH,
}


def _version(value: bool) -> None:
    if value:
        out.print(f"ledgerbridge {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """ledgerbridge: two-way sync between Zoho CRM and Xero / Zoho Books."""
    from ledgerbridge.observability.setup import setup_logging

    try:
        settings = load_settings()
    except ConfigError:
        settings = None  # the command itself reports bad settings
    setup_logging(settings, quiet=True)


@app.command()
def check() -> None:
    """Check settings, database and every connection; exit 0 only when all pass."""
    from ledgerbridge.checks import run_checks

    report = run_checks()
    for line in report.lines():
        out.print(line, highlight=False, markup=False)
    raise typer.Exit(0 if report.ok else 1)


@contextmanager
def _app() -> Iterator[App]:
    application = bootstrap(load_settings())
    try:
        yield application
    finally:
        application.close()


# -- db ----------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest version."""
    from ledgerbridge.store import make_engine
    from ledgerbridge.store.migrate import current_revision, upgrade

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    try:
        upgrade(engine)
        out.print(f"database at revision {current_revision(engine)}")
    finally:
        engine.dispose()
    from ledgerbridge.jobs.queue import apply_schema, is_postgres, make_queue

    if is_postgres(settings.db_url):
        queue = make_queue(settings)
        with queue.open():
            created = apply_schema(queue)
        out.print("job queue tables " + ("created" if created else "already present"))


@db_app.command("rotate-key")
def db_rotate_key() -> None:
    """Re-encrypt every stored secret with the first secret key, after a new key was put first."""
    from ledgerbridge.store import SecretBox, make_engine
    from ledgerbridge.store.crypto import BlobState, rotate_stored, stored_states

    settings = load_settings()
    box = SecretBox.from_environment(
        settings.data_dir,
        allow_generate=settings.development,
        environ=settings.secret_key_environ(),
    )
    engine = make_engine(settings.db_url)
    try:
        rewritten = rotate_stored(engine, box)
        left = stored_states(engine, box)[BlobState.OLDER_KEY]
    finally:
        engine.dispose()
    out.print(f"{rewritten} stored secret(s) re-encrypted with the first key")
    if left:
        out.print(f"{left} were rewritten meanwhile under an older key; run this again")
        raise typer.Exit(1)
    if box.key_count > 1:
        out.print("every stored secret is under the first key: the others can be removed")


# -- connections -------------------------------------------------------------------------------


@connection_app.command("add")
def connection_add(
    name: Annotated[str, typer.Argument(help="A name for the connection, e.g. crm.")],
    system: Annotated[str, typer.Option(help=f"One of: {', '.join(SYSTEMS)}.")],
    setting: Annotated[
        list[str] | None,
        typer.Option("--setting", help="KEY=VALUE, non-secret settings (base_url, tenant_id...)."),
    ] = None,
) -> None:
    """Add a connection."""
    if system not in SYSTEMS:
        raise ConfigError(f"unknown system {system!r}; choose one of: {', '.join(SYSTEMS)}")
    settings: dict[str, Any] = {}
    for item in setting or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--setting {item!r} is not KEY=VALUE; e.g. --setting base_url=...")
        settings[key] = value
    with _app() as application:
        application.store.connections.add(name, system, settings, {})
    out.print(f"connection {name} ({system}) added")


@connection_app.command("list")
def connection_list() -> None:
    """List connections."""
    with _app() as application:
        table = Table("name", "system", "settings")
        for row in application.store.connections.list():
            table.add_row(row.name, row.system, json.dumps(row.settings))
        out.print(table)


# -- integrations ------------------------------------------------------------------------------


@integration_app.command("create")
def integration_create(
    name: Annotated[str, typer.Argument(help="A name for the integration.")],
    crm: Annotated[str, typer.Option(help="The CRM connection's name.")],
    books: Annotated[str, typer.Option(help="The accounting connection's name.")],
    recipe: Annotated[str, typer.Option(help="Default flows to start from.")] = "starter",
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", help="A recipe option KEY=VALUE (repeat), e.g. customers=contacts."
        ),
    ] = None,
) -> None:
    """Create an integration from a recipe."""
    config = registry.build(
        recipe,
        name=name,
        crm_connection=crm,
        books_connection=books,
        options=registry.parse_option_args(option),
    )
    with _app() as application:
        _check_config(application, config)
        row = application.store.integrations.create(config)
    out.print(f"integration {row.name} created with flows: {', '.join(f.name for f in row.flows)}")


def _check_config(application: App, config: IntegrationConfig) -> None:
    """Refuse a config whose mapping does not fit the systems' fields; print the warnings."""
    problems = validate_config(application, config)
    for problem in problems:
        if problem.severity is Severity.WARNING:
            err.print(f"warning: {problem}", markup=False, highlight=False)
    failed = errors(problems)
    if failed:
        raise ConfigError(
            "the configuration was not saved:\n" + "\n".join(f"- {p}" for p in failed)
        )


@integration_app.command("list")
def integration_list() -> None:
    """List integrations."""
    with _app() as application:
        table = Table("name", "recipe", "state", "crm", "books", "flows")
        for row in application.store.integrations.list():
            table.add_row(
                row.name,
                row.recipe,
                row.state,
                row.crm_connection,
                row.books_connection,
                ", ".join(f.name for f in row.flows),
            )
        out.print(table)


@integration_app.command("show")
def integration_show(name: str) -> None:
    """Show an integration, its flows, bindings and cursors."""
    with _app() as application:
        store = application.store
        row = store.integrations.get(name)
        out.print(
            f"[bold]{row.name}[/] ({row.recipe}, {row.state}): "
            f"{row.crm_connection} <-> {row.books_connection}"
        )
        cursors = store.cursors.all(row.id)
        table = Table("flow", "modules", "direction", "bindings", "crm cursor", "books cursor")
        for flow in row.flows:
            table.add_row(
                flow.name,
                f"{flow.crm_module} <-> {flow.books_module}",
                flow.direction.value,
                str(store.bindings.count(row.id, flow.name)),
                str(cursors.get((flow.name, Side.CRM)) or "-"),
                str(cursors.get((flow.name, Side.BOOKS)) or "-"),
            )
        out.print(table)


@integration_app.command("export")
def integration_export(
    name: str,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write.")] = None,
) -> None:
    """Write an integration's configuration as YAML (config as code)."""
    with _app() as application:
        config = application.store.integrations.config(name)
    text = yaml.safe_dump(
        config.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True
    )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"written to {output}")


@integration_app.command("import")
def integration_import(
    file: Annotated[Path, typer.Argument(help="A YAML file written by export.")],
    replace: Annotated[bool, typer.Option(help="Replace an integration of the same name.")] = False,
) -> None:
    """Create (or replace) an integration from YAML."""
    config = load_integration_yaml(file)
    with _app() as application:
        store = application.store
        exists = any(r.name == config.name for r in store.integrations.list())
        if exists and not replace:
            raise ConfigError(
                f"an integration named {config.name} already exists; add --replace to replace "
                "its configuration (bindings of flows that remain are kept)"
            )
        _check_config(application, config)
        row = store.integrations.replace(config) if exists else store.integrations.create(config)
    out.print(f"integration {row.name} {'replaced' if exists else 'created'}")


@integration_app.command("schedule")
def integration_schedule(
    name: str,
    every: Annotated[
        int | None, typer.Option("--every", help="Run every MINUTES (5 or more).")
    ] = None,
    at: Annotated[
        list[str] | None, typer.Option("--at", help="Run at HH:MM (repeat for more times).")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="IANA timezone of the --at times, e.g. Europe/London.")
    ] = None,
    flow: Annotated[
        list[str] | None, typer.Option("--flow", "-f", help="Only these flows.")
    ] = None,
    direction: Annotated[
        str | None, typer.Option(help="crm-to-books, books-to-crm or both.")
    ] = None,
    email: Annotated[
        bool | None, typer.Option("--email/--no-email", help="E-mail a summary after each run.")
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="Stop scheduled runs.")] = False,
) -> None:
    """Set when an integration syncs by itself; with no option, show its schedule."""
    from ledgerbridge.jobs import schedule as schedules

    if direction is not None and direction not in DIRECTIONS:
        raise ConfigError(
            f"--direction {direction!r} is not known; use one of: {', '.join(DIRECTIONS)}"
        )
    if every is not None and at:
        raise ConfigError("choose --every MINUTES or --at HH:MM, not both")
    if every is not None and every < schedules.MIN_INTERVAL_MINUTES:
        raise ConfigError(f"--every must be {schedules.MIN_INTERVAL_MINUTES} minutes or more")
    if off and (every is not None or at):
        raise ConfigError("--off stops the schedule; leave out --every and --at")
    with _app() as application:
        store = application.store
        config = store.integrations.config(name)
        current = config.schedule
        changed = (
            any(v is not None and v != [] for v in (every, at, timezone, flow, direction, email))
            or off
        )
        if changed:
            updates: dict[str, Any] = {"enabled": not off}
            if every is not None:
                updates.update(interval_minutes=every, times=())
            if at:
                updates.update(times=tuple(f"{schedules.parse_time(t):%H:%M}" for t in at))
            if timezone is not None:
                schedules.zone(timezone)
                updates["timezone"] = timezone
            if flow:
                known = {f.name for f in config.flows}
                unknown = [f for f in flow if f not in known]
                if unknown:
                    raise ConfigError(
                        f"integration {name} has no flow named {', '.join(unknown)}; "
                        f"its flows are: {', '.join(sorted(known))}"
                    )
                updates["flows"] = tuple(flow)
            if direction is not None:
                updates["direction"] = DIRECTIONS[direction]
            if email is not None:
                updates["email_summary"] = email
            try:
                current = current.model_validate({**current.model_dump(), **updates})
            except ValidationError as exc:
                raise ConfigError(f"bad schedule: {exc.errors()[0]['msg']}") from None
            schedules.validate(current)
            store.integrations.replace(config.model_copy(update={"schedule": current}))
        out.print(f"integration {name} schedule: {schedules.describe(current)}")


@integration_app.command("pause")
def integration_pause(name: str) -> None:
    """Stop running an integration for a while; nothing is lost (resume picks up every change)."""
    with _app() as application:
        lifecycle.pause(application.store, name)
    out.print(f"integration {name} paused; `ledgerbridge integration resume {name}` to go on")


@integration_app.command("resume")
def integration_resume(name: str) -> None:
    """Run a paused integration again; changes made while it was paused sync at its next run."""
    with _app() as application:
        lifecycle.resume(application.store, name)
    out.print(f"integration {name} resumed")


@integration_app.command("disable")
def integration_disable(name: str) -> None:
    """Switch an integration off (the step before deleting it)."""
    with _app() as application:
        lifecycle.disable(application.store, name)
    out.print(f"integration {name} disabled")


@integration_app.command("enable")
def integration_enable(name: str) -> None:
    """Switch a disabled integration on again."""
    with _app() as application:
        lifecycle.enable(application.store, name)
    out.print(f"integration {name} enabled")


@integration_app.command("delete")
def integration_delete(
    name: str,
    keep: Annotated[
        str,
        typer.Option(
            help="all: keep every synced record; with-transactions: archive the accounting "
            "records this integration created that have no transactions."
        ),
    ] = "all",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a disabled integration with its bindings, cursors and history (irreversible)."""
    try:
        chosen = lifecycle.Keep(keep)
    except ValueError:
        raise ConfigError(f"--keep {keep!r} is not known; use all or with-transactions") from None
    with _app() as application:
        row = application.store.integrations.get(name)
        if row.state is not IntegrationState.DISABLED:
            raise StateError(
                f"integration {name} is {row.state.value}; only a disabled integration can be "
                f"deleted: `ledgerbridge integration disable {name}` first"
            )
        what = (
            "its bindings, cursors and run history are deleted; every synced record stays"
            if chosen is lifecycle.Keep.ALL
            else "accounting records it created that have no transactions are archived, and "
            "its bindings, cursors and run history are deleted"
        )
        if not yes and not typer.confirm(
            f"Delete integration {name}? {what[0].upper()}{what[1:]}. This cannot be undone."
        ):
            raise typer.Abort()
        systems = application.systems(row) if chosen is lifecycle.Keep.WITH_TRANSACTIONS else None
        report = lifecycle.delete(application.store, name, chosen, systems)
    out.print(f"integration {name} deleted ({report.bindings_removed} bindings removed)")
    for flow, ids in report.archived.items():
        kept = report.kept_with_transactions.get(flow, 0)
        out.print(f"  {flow}: archived {len(ids)}, kept {kept} with transactions")


def load_integration_yaml(file: Path) -> IntegrationConfig:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{file} does not exist") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{file} must hold a mapping with name, connections and flows")
    try:
        config = IntegrationConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{file} is not a valid integration: {problems}") from exc
    from ledgerbridge.jobs import schedule as schedules

    try:
        schedules.validate(config.schedule)
    except ConfigError as exc:
        raise ConfigError(f"{file}: schedule: {exc}") from None
    return config


# -- runs --------------------------------------------------------------------------------------


class _Bars:
    """Rich progress bars per flow and side."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[tuple[str, Side], Any] = {}

    def flow_started(self, flow: str, side: Side) -> None:
        label = f"{flow} ({'CRM' if side is Side.CRM else 'accounting'})"
        self.tasks[(flow, side)] = self.progress.add_task(label, total=None)

    def records_done(self, flow: str, side: Side, count: int) -> None:
        task = self.tasks.get((flow, side))
        if task is not None:
            self.progress.advance(task, count)

    def flow_finished(self, flow: str) -> None:
        for (name, _side), task in self.tasks.items():
            if name == flow:
                self.progress.update(task, total=self.progress.tasks[task].completed)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


def print_report(report: RunReport, *, title: str) -> None:
    for line in summary_lines(report, title=title):
        out.print(line, highlight=False)
    if report.notice:
        out.print(f"  note: {report.notice}", highlight=False)


@app.command()
def fetch(
    integration: str,
    flow: Annotated[
        list[str] | None, typer.Option("--flow", "-f", help="Only these flows.")
    ] = None,
) -> None:
    """Match records present on both sides before the first sync (creates nothing)."""
    with _app() as application:
        row = application.store.integrations.get(integration)
        with _progress() as progress:
            report = fetch_records(
                application.engine,
                row,
                application.systems(row),
                tuple(flow or ()),
                _Bars(progress),
            )
        print_report(report, title="Fetch")


def parse_record(value: str) -> tuple[str, Side, str]:
    parts = value.split(":", 2)
    if len(parts) != 3 or parts[1] not in ("crm", "books") or not parts[0] or not parts[2]:
        raise ConfigError(
            f"--record {value!r} must be FLOW:SIDE:ID with SIDE crm or books, "
            "e.g. --record accounts:crm:1234"
        )
    return parts[0], Side(parts[1]), parts[2]


@app.command()
def sync(
    integration: str,
    flow: Annotated[
        list[str] | None, typer.Option("--flow", "-f", help="Only these flows.")
    ] = None,
    direction: Annotated[str, typer.Option(help="crm-to-books, books-to-crm or both.")] = "both",
    since_last: Annotated[
        bool, typer.Option("--since-last", help="Changes since the last run (the default).")
    ] = False,
    days: Annotated[int | None, typer.Option(help="Changes of the last N days (no cap).")] = None,
    full: Annotated[bool, typer.Option("--full", help="The whole history.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show every change; write nothing.")
    ] = False,
    record: Annotated[str | None, typer.Option(help="Sync one record: FLOW:SIDE:ID.")] = None,
    email: Annotated[
        bool,
        typer.Option(
            "--email", help="E-mail a summary to the integration's address after the run."
        ),
    ] = False,
) -> None:
    """Sync an integration now."""
    if direction not in DIRECTIONS:
        raise ConfigError(
            f"--direction {direction!r} is not known; use one of: {', '.join(DIRECTIONS)}"
        )
    chosen = [
        name
        for name, on in (
            ("--since-last", since_last),
            ("--days", days is not None),
            ("--full", full),
        )
        if on
    ]
    if len(chosen) > 1:
        raise ConfigError(f"choose one window, not {' and '.join(chosen)}")
    if days is not None and days < 1:
        raise ConfigError("--days must be 1 or more (there is no upper limit)")
    window = (
        Window(WindowKind.DAYS, days)
        if days is not None
        else Window(WindowKind.FULL)
        if full
        else Window()
    )
    request = SyncRequest(
        flows=tuple(flow or ()),
        direction=DIRECTIONS[direction],
        window=window,
        dry_run=dry_run,
        email_summary=email,
    )
    with _app() as application:
        row = application.store.integrations.get(integration)
        systems = application.systems(row)
        with _progress() as progress:
            if record is not None:
                flow_name, side, record_id = parse_record(record)
                report = application.engine.sync_record(
                    row,
                    systems,
                    flow_name,
                    side,
                    record_id,
                    dry_run=dry_run,
                    progress=_Bars(progress),
                )
            else:
                report = application.engine.run(row, systems, request, _Bars(progress))
        if dry_run:
            _print_plan(report)
        print_report(report, title="Dry run" if dry_run else "Sync")
    if report.status is RunStatus.WAITING:
        # EX_TEMPFAIL: nothing is wrong, the run goes on after the daily limit resets.
        raise typer.Exit(75)
    if report.error:
        raise typer.Exit(1)


def _print_plan(report: RunReport) -> None:
    if not report.planned:
        out.print("nothing would change")
        return
    table = Table("flow", "action", "target", "record", "field", "now", "would be")
    for change in report.planned:
        target = "CRM" if change.target is Side.CRM else "accounting"
        for fc in change.changes:
            table.add_row(
                change.flow,
                change.action,
                target,
                f"{change.label} ({change.target_id or 'new'})",
                fc.field,
                _short(fc.old),
                _short(fc.new),
            )
    out.print(table)


def _short(value: Any) -> str:
    text = "" if value is None else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


@app.command()
def history(
    integration: str,
    run: Annotated[int | None, typer.Option(help="Show one run with its items.")] = None,
    limit: Annotated[int, typer.Option(help="How many runs to list.")] = 20,
) -> None:
    """List past runs, or show one run with every record that was not a plain success."""
    with _app() as application:
        store = application.store
        row = store.integrations.get(integration)
        if run is None:
            table = Table(
                "run",
                "kind",
                "status",
                "started",
                "created",
                "updated",
                "linked",
                "failed",
                "error",
            )
            for r in store.runs.list(row.id, limit=limit):
                totals = _totals(r.counts)
                table.add_row(
                    str(r.id),
                    r.kind,
                    r.status,
                    r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                    *(str(totals.get(o, 0)) for o in ("created", "updated", "linked", "failed")),
                    r.error or "",
                )
            out.print(table)
            return
        summary = store.runs.get(run)
        if summary.integration != row.name:
            raise ConfigError(f"run {run} belongs to another integration")
        out.print(
            f"run {summary.id}: {summary.kind}, {summary.status}, started "
            f"{summary.started_at:%Y-%m-%d %H:%M:%S}"
        )
        if summary.error:
            out.print(f"stopped: {summary.error}", highlight=False)
        notice = store.runs.notice(run)
        if notice:
            out.print(f"note: {notice}", highlight=False)
        table = Table("flow", "side", "record", "outcome", "reason")
        for item in store.runs.items(run):
            table.add_row(
                item.flow,
                item.side.value,
                f"{item.label} ({item.record_id})",
                item.outcome.value,
                item.reason,
            )
        out.print(table)


def _totals(counts: Any) -> dict[str, int]:
    totals: dict[str, int] = {}
    for sides in dict(counts).values():
        for outcomes in sides.values():
            for outcome, n in outcomes.items():
                totals[outcome] = totals.get(outcome, 0) + n
    return totals


@app.command()
def worker(
    concurrency: Annotated[
        int | None,
        typer.Option(help="Jobs run at a time (default: LEDGERBRIDGE_WORKER_CONCURRENCY)."),
    ] = None,
) -> None:
    """Run queued syncs and schedules from the PostgreSQL job queue until stopped."""
    import asyncio

    from ledgerbridge.jobs.queue import make_queue, serve
    from ledgerbridge.observability.setup import serve_worker_metrics, setup_logging

    settings = load_settings()
    queue = make_queue(settings)
    setup_logging(settings)
    with _app() as application:
        metrics = serve_worker_metrics(settings, application.opened)
        try:
            asyncio.run(
                serve(
                    application,
                    queue,
                    concurrency=concurrency or settings.worker_concurrency,
                    heartbeat_seconds=settings.worker_heartbeat_seconds,
                    stalled_seconds=settings.worker_stalled_seconds,
                )
            )
        finally:
            if metrics is not None:
                metrics.close()


app.command("demo")(demo_command)


def main() -> None:
    try:
        # Outside standalone mode click returns a command's ``typer.Exit`` code instead of
        # exiting with it.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except ConfigError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except LedgerbridgeError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except Exception as exc:
        # Usage errors (bad options) come from the click inside typer in non-standalone mode.
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise
