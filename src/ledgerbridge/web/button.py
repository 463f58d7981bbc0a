"""The single-record sync URL a Zoho CRM custom button opens: sync this CRM record now."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse

from ledgerbridge.bootstrap import App
from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.domain.records import Side
from ledgerbridge.jobs.dispatch import Dispatcher, RecordChange
from ledgerbridge.store import IntegrationState
from ledgerbridge.web.credentials import same_secret
from ledgerbridge.web.deps import ApplicationDep, DispatcherDep
from ledgerbridge.web.problems import problem

router = APIRouter(tags=["button"])

# Zoho CRM merge fields for a record's id, by module API name; others use ``${Module.Id}``.
_MERGE_FIELDS = {
    "Accounts": "${Accounts.Account Id}",
    "Contacts": "${Contacts.Contact Id}",
    "Vendors": "${Vendors.Vendor Id}",
    "Products": "${Products.Product Id}",
    "Invoices": "${Invoices.Invoice Id}",
    "Sales_Orders": "${Sales_Orders.Sales Order Id}",
    "Purchase_Orders": "${Purchase_Orders.Purchase Order Id}",
    "Quotes": "${Quotes.Quote Id}",
    "Deals": "${Deals.Deal Id}",
}
_NOT_FOUND = "no such integration or flow"


def merge_field(crm_module: str) -> str:
    return _MERGE_FIELDS.get(crm_module, "${" + crm_module + ".Id}")


def button_url(public_url: str, integration: str, flow: str, crm_module: str, secret: str) -> str:
    """The URL to paste into a Zoho CRM custom button of ``crm_module``."""
    base = public_url.rstrip("/")
    path = f"/sync/{quote(integration, safe='')}/{quote(flow, safe='')}"
    return f"{base}{path}/{merge_field(crm_module)}?key={quote(secret, safe='')}"


class _RefusedError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _queue(
    application: App, dispatcher: Dispatcher, name: str, flow: str, record_id: str, key: str
) -> None:
    store = application.store
    try:
        integration = store.integrations.get(name)
    except ConfigError as exc:
        raise _RefusedError(404, _NOT_FOUND) from exc
    if not same_secret(key, store.integrations.button_secret(name)):
        raise _RefusedError(403, "the key does not open this integration's sync URL")
    try:
        config = integration.flow(flow)
    except ConfigError as exc:
        raise _RefusedError(404, _NOT_FOUND) from exc
    if integration.state is IntegrationState.DISABLED:
        raise _RefusedError(409, f"integration {name} is disabled; enable it to sync records")
    if not config.enabled or not config.direction.reads(Side.CRM):
        raise _RefusedError(409, f"flow {flow} does not carry CRM changes to the books")
    dispatcher.submit_records(integration.id, [RecordChange(flow, Side.CRM, record_id)])


_BUTTON_PATH = "/sync/{integration}/{flow}/{record_id}"


# A CRM button opens the URL (GET) or calls it from a function (POST): one handler, with an
# operation id per method so the OpenAPI document stays valid.
@router.get(_BUTTON_PATH, operation_id="button_sync_get")
@router.post(_BUTTON_PATH, operation_id="button_sync_post")
async def sync_record(
    integration: str,
    flow: str,
    record_id: str,
    request: Request,
    application: ApplicationDep,
    dispatcher: DispatcherDep,
    key: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    try:
        await run_in_threadpool(_queue, application, dispatcher, integration, flow, record_id, key)
    except _RefusedError as refusal:
        return problem(refusal.status, refusal.detail)
    message = f"Record {record_id} is queued to sync through {flow} of {integration}."
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(_PAGE.format(message=html.escape(message)), status_code=202)
    return JSONResponse(
        {"queued": True, "integration": integration, "flow": flow, "record_id": record_id},
        status_code=202,
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ledgerbridge: sync queued</title></head>
<body><p>{message}</p><p>You can close this window.</p></body></html>
"""
