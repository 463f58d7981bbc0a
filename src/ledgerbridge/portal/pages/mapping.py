"""The field mapping editor of one flow: rules, directions, value maps; checked before saving.

The field lists come from both connections' metadata (custom fields included). A change is
checked three ways before it is saved: each rule and the flow through the config models, the
whole integration through its model (lookups name flows that exist), and the mapping against
both systems' fields (``engine.validate``). On any error nothing is saved and each error is
shown next to its field. Saved through the integrations repository, so the next run uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pydantic
from fastapi import Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.config import FlowConfig, IntegrationConfig
from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError
from ledgerbridge.domain.records import FieldInfo, Side
from ledgerbridge.domain.validation import Problem, Severity
from ledgerbridge.engine.validate import validate_config
from ledgerbridge.portal.deps import PrincipalDep, flash, page_router, render
from ledgerbridge.portal.mapping_form import (
    DIRECTIONS,
    NEW_KINDS,
    TOP,
    Parsed,
    Row,
    blank_row,
    parse,
    rows_of,
    version,
)
from ledgerbridge.store import IntegrationRow
from ledgerbridge.web.access import IntegrationHiddenError, require_integration
from ledgerbridge.web.deps import ApplicationDep

router = page_router()

FlowName = Annotated[str, Path(max_length=63)]


@dataclass(frozen=True, slots=True)
class Fields:
    """One side's fields for the editor, or why they could not be read."""

    fields: tuple[FieldInfo, ...] = ()
    problem: str | None = None


def _fields(application: App, connection: str, module: str) -> Fields:
    try:
        info = application.connector(connection).describe()
    except LedgerbridgeError as exc:
        return Fields(problem=f"The fields of {connection} could not be read: {exc}")
    for mod in info.modules:
        if mod.name == module:
            return Fields(tuple(sorted(mod.fields, key=lambda f: f.label.lower())))
    return Fields(problem=f"{connection} lists no module {module}; type field names by hand.")


def _flow(row: IntegrationRow, name: str) -> FlowConfig:
    try:
        return row.flow(name)
    except ConfigError:
        raise IntegrationHiddenError(row.name) from None


def _page(
    request: Request,
    application: App,
    row: IntegrationRow,
    flow: FlowConfig,
    rows: list[Row],
    new: Row,
    *,
    errors: dict[str, str] | None = None,
    warnings: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    crm = _fields(application, row.crm_connection, flow.crm_module)
    books = _fields(application, row.books_connection, flow.books_module)
    return render(
        request,
        "mapping.html",
        status_code=status_code,
        active="integrations",
        integration=row,
        flow=flow,
        rows=rows,
        new=new,
        crm=crm,
        books=books,
        errors=errors or {},
        warnings=warnings or [],
        directions=DIRECTIONS,
        kinds=NEW_KINDS,
        version=version(flow),
        top=TOP,
    )


@router.get("/integrations/{name}/flows/{flow}/mapping", name="mapping")
def mapping_page(
    request: Request,
    name: str,
    flow: FlowName,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> HTMLResponse:
    row = require_integration(application.store, principal, name)
    config = _flow(row, flow)
    return _page(request, application, row, config, rows_of(config), blank_row())


@router.post("/integrations/{name}/flows/{flow}/mapping", name="mapping_save", response_model=None)
async def mapping_save(
    request: Request,
    name: str,
    flow: FlowName,
    application: ApplicationDep,
    principal: PrincipalDep,
) -> Response:
    row = require_integration(application.store, principal, name)
    config = _flow(row, flow)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    parsed = parse(config, form)
    warnings: list[str] = []
    if parsed.flow is not None:
        warnings = await run_in_threadpool(_check, application, row, parsed)
    if parsed.flow is None or parsed.errors:
        return _page(
            request,
            application,
            row,
            config,
            parsed.rows,
            parsed.new,
            errors=parsed.errors,
            warnings=warnings,
            status_code=422,
        )
    flash(request, f"Mapping of flow {flow} saved; the next run uses it.", "success")
    for warning in warnings:
        flash(request, warning, "warning")
    return RedirectResponse(f"/integrations/{row.name}/flows/{flow}/mapping", status_code=303)


def _check(application: App, row: IntegrationRow, parsed: Parsed) -> list[str]:
    """Check the new flow in its integration and save it when nothing is wrong.

    Errors go into ``parsed.errors`` (next to the rule they concern); warnings are returned.
    """
    assert parsed.flow is not None
    store = application.store
    current = store.integrations.config(row.name)
    flows = tuple(parsed.flow if f.name == parsed.flow.name else f for f in current.flows)
    try:
        config = IntegrationConfig.model_validate(
            current.model_copy(update={"flows": flows}).model_dump()
        )
    except pydantic.ValidationError as exc:
        parsed.errors[TOP] = "; ".join(
            str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors()
        )
        return []
    problems = [
        p for p in validate_config(application, config) if p.flow in (parsed.flow.name, "*")
    ]
    warnings = [str(p) for p in problems if p.severity is Severity.WARNING]
    for problem in problems:
        if problem.severity is Severity.ERROR:
            key = _where(parsed, problem)
            parsed.errors[key] = (
                f"{parsed.errors[key]} {problem.message}"
                if key in parsed.errors
                else problem.message
            )
    if parsed.errors:
        return warnings
    store.integrations.replace(config)
    return warnings


def _where(parsed: Parsed, problem: Problem) -> str:
    """The input a problem belongs to: the rule's field on that side, else the whole form."""
    if problem.field is None or problem.side is None:
        return TOP
    for row in [*parsed.rows, parsed.new]:
        if row.remove:
            continue
        name = row.crm if problem.side is Side.CRM else row.books
        if name and (name == problem.field or name.split(".")[0] == problem.field.split(".")[0]):
            return f"{row.prefix}-{problem.side.value}"
    return TOP
