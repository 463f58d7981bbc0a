"""The Xero emulator: Accounting API 2.0 and identity endpoints as a FastAPI app."""

# path parameters keep the spec's names (ContactID ...), which the ledger's templates show
# ruff: noqa: N803

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ledgerbridge.sandbox.core.app import admin_router, instrument, route_templates
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultConfig, FaultInjector
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.limits import LimitDecision, RateLimiter
from ledgerbridge.sandbox.core.oauth import OAuthServer
from ledgerbridge.sandbox.xero.dates import parse_day, parse_if_modified_since
from ledgerbridge.sandbox.xero.idempotency import (
    MAX_KEY_LENGTH,
    IdempotencyCache,
    fingerprint,
)
from ledgerbridge.sandbox.xero.identity import bearer_check, identity_router
from ledgerbridge.sandbox.xero.responses import (
    NOT_FOUND_TEXT,
    XeroProblemError,
    envelope,
    json_response,
    post_data_problem,
    problem_details,
    query_parse_problem,
    validation_exception,
    validation_problem,
)
from ledgerbridge.sandbox.xero.state import (
    Kind,
    WriteResult,
    XeroState,
    XeroValidationError,
    is_guid,
)
from ledgerbridge.sandbox.xero.where import QueryParseError

SYSTEM = "xero"
API = "/api.xro/2.0"
CLIENT_ID = "sandbox-xero-client"
CLIENT_SECRET = "sandbox-xero-secret"  # noqa: S105 - the sandbox's published default
ACCESS_TTL_SECONDS = 30 * 60
REFRESH_GRACE_SECONDS = 30 * 60
REFRESH_TTL_SECONDS = 60 * 86_400
PER_MINUTE, PER_DAY, CONCURRENT, APP_PER_MINUTE = 60, 5000, 5, 10_000

SaveMethod = Callable[..., list[WriteResult]]


def _truthy(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() == "true"


def _limit_key(request: Request) -> str | None:
    if not request.url.path.lower().startswith(API.lower()):
        return None
    tenant = request.headers.get("xero-tenant-id")
    return tenant.strip().lower() if tenant else None


def _limit_headers(decision: LimitDecision) -> dict[str, str]:
    headers: dict[str, str] = {}
    if decision.remaining_day is not None:
        headers["X-DayLimit-Remaining"] = str(max(decision.remaining_day, 0))
    if decision.remaining_minute is not None:
        headers["X-MinLimit-Remaining"] = str(max(decision.remaining_minute, 0))
    if decision.remaining_app_minute is not None:
        headers["X-AppMinLimit-Remaining"] = str(max(decision.remaining_app_minute, 0))
    return headers


def _limit_response(decision: LimitDecision) -> Response:
    headers = {"Retry-After": str(decision.retry_after or 1)}
    if decision.problem in ("minute", "day", "appminute"):
        headers["X-Rate-Limit-Problem"] = decision.problem
    detail = "Too many concurrent requests" if decision.problem == "concurrent" else "Rate limit"
    return json_response(problem_details(429, "Too Many Requests", detail), 429, headers)


def _server_error() -> Response:
    body = {
        "Title": "An error occurred",
        "Detail": "An error occurred in Xero. Check the API Status page "
        "http://status.developer.xero.com for current service status.",
        "Status": 500,
    }
    return json_response(body, 500)


# the API's own paths ignore case; the sandbox's admin paths do not
_CASE_FREE = ("/api.xro/", "/connections")


class _CaseInsensitivePaths:
    """Xero's paths ignore case: rewrite literal segments to the spelling of the routes."""

    def __init__(self, app: ASGIApp, *, root: FastAPI) -> None:
        self.app = app
        self.root = root
        self._names: dict[str, str] | None = None

    def _segments(self) -> dict[str, str]:
        if self._names is None:
            names: dict[str, str] = {}
            for route in route_templates(self.root):
                if not route.template.lower().startswith(_CASE_FREE):
                    continue
                for part in route.template.split("/"):
                    if part and not part.startswith("{"):
                        names.setdefault(part.lower(), part)
            self._names = names
        return self._names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            names = self._segments()
            path = str(scope["path"])
            if not path.lower().startswith(_CASE_FREE):
                await self.app(scope, receive, send)
                return
            fixed = "/".join(names.get(part.lower(), part) for part in path.split("/"))
            if fixed != path:
                scope = {**scope, "path": fixed, "raw_path": fixed.encode()}
        await self.app(scope, receive, send)


class WebhookSettings(BaseModel):
    url: str | None = None
    key: str | None = None


class PaymentRequest(BaseModel):
    InvoiceID: str
    Amount: float
    Date: date | None = None


class XeroApi:
    """The accounting routes, bound to one organisation's state."""

    def __init__(self, state: XeroState, oauth: OAuthServer) -> None:
        self.state = state
        self.oauth = oauth
        self.idempotency = IdempotencyCache(state.clock)

    # -- shared steps ----------------------------------------------------------------------------

    def authorise(self, request: Request) -> str:
        check = bearer_check(request, self.oauth)
        tenant = (request.headers.get("xero-tenant-id") or "").strip()
        if not tenant or not is_guid(tenant):
            raise XeroProblemError(
                403, problem_details(403, "Forbidden", "AuthenticationUnsuccessful")
            )
        if tenant.lower() != self.state.tenant_id.lower() or tenant.lower() not in {
            t.lower() for t in check.tenant_ids
        }:
            raise XeroProblemError(
                403, problem_details(403, "Forbidden", "AuthenticationUnsuccessful")
            )
        return tenant.lower()

    def answer(self, key: str, records: list[dict[str, Any]], **extra: Any) -> Response:
        return json_response(envelope(self.state.clock.now(), key, records, **extra))

    def list_records(
        self,
        request: Request,
        kind: Kind,
        key: str,
        *,
        paged: bool,
        filters: dict[str, str] | None = None,
    ) -> Response:
        params = request.query_params
        since_header = request.headers.get("if-modified-since")
        since = parse_if_modified_since(since_header) if since_header else None
        page: int | None = None
        page_size: int | None = None
        try:
            if paged and params.get("page"):
                page = max(int(params["page"]), 1)
                page_size = int(params["pageSize"]) if params.get("pageSize") else None
                if page_size is not None and page_size < 1:
                    page_size = None
        except ValueError as exc:
            raise validation_problem("page and pageSize must be whole numbers") from exc
        ids = params.get("IDs")
        chosen: dict[str, list[str]] = {}
        for param, column in (filters or {}).items():
            if params.get(param):
                chosen[column] = [v.strip() for v in params[param].split(",") if v.strip()]
        try:
            result = self.state.query(
                kind,
                ids=ids.split(",") if ids else None,
                where=params.get("where"),
                modified_since=since,
                order=params.get("order"),
                page=page,
                page_size=page_size,
                include_archived=kind != "contacts"
                or _truthy(params.get("includeArchived"), False),
                filters=chosen,
                search_term=params.get("searchTerm") if kind == "contacts" else None,
            )
        except QueryParseError as exc:
            raise query_parse_problem(exc.message) from exc
        return self.answer(key, result.records, pagination=result.pagination)

    def one_record(self, kind: Kind, key: str, record_id: str, by: str | None) -> Response:
        found = self.state.get(kind, record_id) if is_guid(record_id) else None
        if found is None and by is not None:
            matches = self.state.query(kind, filters={by: [record_id]}).records
            found = matches[0] if matches else None
        if found is None:
            raise XeroProblemError(404, NOT_FOUND_TEXT)
        return self.answer(key, [found])

    async def write(
        self,
        request: Request,
        key: str,
        save: SaveMethod,
        *,
        create_only: bool,
        target_id: str | None = None,
    ) -> Response:
        body = await request.body()
        tenant = (request.headers.get("xero-tenant-id") or "").strip().lower()
        idem = request.headers.get("idempotency-key")
        summarize = _truthy(request.query_params.get("summarizeErrors"), True)

        def run() -> Response:
            if idem is None:
                return self._write_now(body, key, save, create_only, target_id, summarize)
            if len(idem) > MAX_KEY_LENGTH:
                raise validation_problem(
                    f"Idempotency-Key must be no longer than {MAX_KEY_LENGTH} characters"
                )
            print_ = fingerprint(request.method, request.url.path, request.url.query, body)
            with self.idempotency.key_lock(tenant, idem):
                stored = self.idempotency.lookup(tenant, idem)
                if stored is not None:
                    if stored.fingerprint != print_:
                        raise validation_problem(
                            "The Idempotency-Key has already been used with a different request"
                        )
                    return Response(
                        stored.body,
                        stored.status,
                        media_type="application/json; charset=utf-8",
                    )
                try:
                    response = self._write_now(body, key, save, create_only, target_id, summarize)
                except XeroProblemError as problem:
                    response = problem.response()
                self.idempotency.store(
                    tenant, idem, print_, response.status_code, bytes(response.body)
                )
                return response

        return await run_in_threadpool(run)

    def _write_now(
        self,
        body: bytes,
        key: str,
        save: SaveMethod,
        create_only: bool,
        target_id: str | None,
        summarize: bool,
    ) -> Response:
        try:
            parsed = json.loads(body or b"null")
        except ValueError as exc:
            raise post_data_problem() from exc
        if isinstance(parsed, dict) and isinstance(parsed.get(key), list):
            elements = parsed[key]
        elif isinstance(parsed, dict) and key not in parsed:
            elements = [parsed]
        else:
            raise post_data_problem()
        if not elements or not all(isinstance(e, dict) for e in elements):
            raise post_data_problem()
        if target_id is not None:
            elements = elements[:1]
        results = save(elements, create_only=create_only, target_id=target_id)
        if summarize and any(not r.ok for r in results):
            failed = [r.element for r in results if not r.ok]
            return json_response(validation_exception(failed), 400)
        return self.answer(key, [r.element for r in results])

    # -- routes ----------------------------------------------------------------------------------

    def router(self) -> APIRouter:
        router = APIRouter(prefix=API, dependencies=[Depends(self.authorise)])
        state = self.state

        @router.get("/Contacts")
        def get_contacts(request: Request) -> Response:
            return self.list_records(request, "contacts", "Contacts", paged=True)

        @router.put("/Contacts")
        async def put_contacts(request: Request) -> Response:
            return await self.write(request, "Contacts", state.save_contacts, create_only=True)

        @router.post("/Contacts")
        async def post_contacts(request: Request) -> Response:
            return await self.write(request, "Contacts", state.save_contacts, create_only=False)

        @router.get("/Contacts/{ContactID}")
        def get_contact(ContactID: str) -> Response:
            return self.one_record("contacts", "Contacts", ContactID, "ContactNumber")

        @router.post("/Contacts/{ContactID}")
        async def post_contact(ContactID: str, request: Request) -> Response:
            target = self._resolve_target("contacts", ContactID, "ContactNumber")
            return await self.write(
                request, "Contacts", state.save_contacts, create_only=False, target_id=target
            )

        @router.get("/Items")
        def get_items(request: Request) -> Response:
            return self.list_records(request, "items", "Items", paged=False)

        @router.put("/Items")
        async def put_items(request: Request) -> Response:
            return await self.write(request, "Items", state.save_items, create_only=True)

        @router.post("/Items")
        async def post_items(request: Request) -> Response:
            return await self.write(request, "Items", state.save_items, create_only=False)

        @router.get("/Items/{ItemID}")
        def get_item(ItemID: str) -> Response:
            return self.one_record("items", "Items", ItemID, "Code")

        @router.post("/Items/{ItemID}")
        async def post_item(ItemID: str, request: Request) -> Response:
            target = self._resolve_target("items", ItemID, "Code")
            return await self.write(
                request, "Items", state.save_items, create_only=False, target_id=target
            )

        @router.delete("/Items/{ItemID}")
        def delete_item(ItemID: str) -> Response:
            if not state.delete_item(ItemID):
                raise XeroProblemError(404, NOT_FOUND_TEXT)
            return Response(status_code=204)

        invoice_filters = {
            "InvoiceNumbers": "InvoiceNumber",
            "ContactIDs": "Contact.ContactID",
            "Statuses": "Status",
        }

        @router.get("/Invoices")
        def get_invoices(request: Request) -> Response:
            return self.list_records(
                request, "invoices", "Invoices", paged=True, filters=invoice_filters
            )

        @router.put("/Invoices")
        async def put_invoices(request: Request) -> Response:
            return await self.write(request, "Invoices", state.save_invoices, create_only=True)

        @router.post("/Invoices")
        async def post_invoices(request: Request) -> Response:
            return await self.write(request, "Invoices", state.save_invoices, create_only=False)

        @router.get("/Invoices/{InvoiceID}")
        def get_invoice(InvoiceID: str) -> Response:
            return self.one_record("invoices", "Invoices", InvoiceID, "InvoiceNumber")

        @router.post("/Invoices/{InvoiceID}")
        async def post_invoice(InvoiceID: str, request: Request) -> Response:
            target = self._resolve_target("invoices", InvoiceID, "InvoiceNumber")
            return await self.write(
                request, "Invoices", state.save_invoices, create_only=False, target_id=target
            )

        @router.get("/Invoices/{InvoiceID}/OnlineInvoice")
        def online_invoice(InvoiceID: str) -> Response:
            invoice = state.get("invoices", InvoiceID) if is_guid(InvoiceID) else None
            if invoice is None:
                raise XeroProblemError(404, NOT_FOUND_TEXT)
            element = {"InvoiceID": invoice["InvoiceID"]}
            if invoice["Type"] != "ACCREC":
                raise validation_problem(
                    "Online invoices are only available for sales invoices.", element
                )
            if invoice["Status"] not in ("AUTHORISED", "PAID"):
                raise validation_problem(
                    "Online invoices are only available for approved invoices.", element
                )
            url = f"https://in.xero.com/{state.online_invoice_code(invoice['InvoiceID'])}"
            return json_response({"OnlineInvoices": [{"OnlineInvoiceUrl": url}]})

        @router.get("/PurchaseOrders")
        def get_purchase_orders(request: Request) -> Response:
            return self.list_records(
                request,
                "purchase_orders",
                "PurchaseOrders",
                paged=True,
                filters={"Status": "Status"},
            )

        @router.put("/PurchaseOrders")
        async def put_purchase_orders(request: Request) -> Response:
            return await self.write(
                request, "PurchaseOrders", state.save_purchase_orders, create_only=True
            )

        @router.post("/PurchaseOrders")
        async def post_purchase_orders(request: Request) -> Response:
            return await self.write(
                request, "PurchaseOrders", state.save_purchase_orders, create_only=False
            )

        @router.get("/PurchaseOrders/{PurchaseOrderID}")
        def get_purchase_order(PurchaseOrderID: str) -> Response:
            return self.one_record(
                "purchase_orders", "PurchaseOrders", PurchaseOrderID, "PurchaseOrderNumber"
            )

        @router.post("/PurchaseOrders/{PurchaseOrderID}")
        async def post_purchase_order(PurchaseOrderID: str, request: Request) -> Response:
            target = self._resolve_target("purchase_orders", PurchaseOrderID, "PurchaseOrderNumber")
            return await self.write(
                request,
                "PurchaseOrders",
                state.save_purchase_orders,
                create_only=False,
                target_id=target,
            )

        @router.put("/Payments")
        async def put_payments(request: Request) -> Response:
            return await self.write(request, "Payments", self.save_payments, create_only=True)

        @router.get("/TaxRates")
        def get_tax_rates(request: Request) -> Response:
            return self.list_records(request, "tax_rates", "TaxRates", paged=False)

        @router.get("/Accounts")
        def get_accounts(request: Request) -> Response:
            return self.list_records(request, "accounts", "Accounts", paged=False)

        @router.get("/Organisation")
        def get_organisation() -> Response:
            return self.answer("Organisations", [state.organisation])

        @router.get("/BrandingThemes")
        def get_branding_themes() -> Response:
            return self.answer("BrandingThemes", state.branding_themes())

        return router

    def _resolve_target(self, kind: Kind, given: str, by: str) -> str:
        if is_guid(given):
            return given.lower()
        found = self.state.query(kind, filters={by: [given]}).records
        if not found:
            raise XeroProblemError(404, NOT_FOUND_TEXT)
        id_name = {"contacts": "ContactID", "items": "ItemID", "invoices": "InvoiceID"}.get(
            kind, "PurchaseOrderID"
        )
        return str(found[0][id_name])

    def save_payments(
        self, elements: list[dict[str, Any]], *, create_only: bool, target_id: str | None
    ) -> list[WriteResult]:
        """PUT /Payments: a payment per element against an invoice by id or number."""
        results: list[WriteResult] = []
        for element in elements:
            invoice_ref = element.get("Invoice") or {}
            invoice_id = str(invoice_ref.get("InvoiceID") or "")
            if not invoice_id and invoice_ref.get("InvoiceNumber"):
                found = self.state.query(
                    "invoices", filters={"InvoiceNumber": [str(invoice_ref["InvoiceNumber"])]}
                ).records
                invoice_id = str(found[0]["InvoiceID"]) if found else ""
            account = element.get("Account") or {}
            day = parse_day(str(element["Date"])) if element.get("Date") else None
            try:
                invoice = self.state.add_payment(
                    invoice_id,
                    float(element.get("Amount") or 0),
                    on=day,
                    account_code=str(account.get("Code") or "090"),
                    reference=element.get("Reference"),
                )
            except (XeroValidationError, ValueError) as exc:
                messages = getattr(exc, "messages", [str(exc)])
                failed = {
                    **element,
                    "StatusAttributeString": "ERROR",
                    "ValidationErrors": [{"Message": m} for m in messages],
                }
                results.append(WriteResult(failed, list(messages)))
                continue
            payment = dict(invoice["Payments"][-1])
            payment.update(
                {
                    "Invoice": {
                        "InvoiceID": invoice["InvoiceID"],
                        "InvoiceNumber": invoice.get("InvoiceNumber", ""),
                        "Type": invoice["Type"],
                    },
                    "Status": "AUTHORISED",
                    "PaymentType": "ACCRECPAYMENT"
                    if invoice["Type"] == "ACCREC"
                    else "ACCPAYPAYMENT",
                    "UpdatedDateUTC": invoice["UpdatedDateUTC"],
                    "StatusAttributeString": "OK",
                }
            )
            results.append(WriteResult(payment, [], payment["PaymentID"]))
        return results


def _admin_extras(state: XeroState, oauth: OAuthServer) -> Callable[[APIRouter], None]:
    def add(router: APIRouter) -> None:
        @router.get("/tenant")
        def tenant() -> dict[str, Any]:
            return {
                "tenant_id": state.tenant_id,
                "name": state.organisation["Name"],
                "client_id": CLIENT_ID,
                "webhook_key": state.webhook_key,
            }

        @router.post("/tokens")
        def mint_tokens() -> dict[str, Any]:
            pair = oauth.issue_for_tests(
                scope="openid profile email offline_access accounting.contacts "
                "accounting.settings accounting.transactions"
            )
            return {
                "access_token": pair.access_token,
                "refresh_token": pair.refresh_token,
                "expires_in": pair.expires_in,
                "tenant_id": state.tenant_id,
            }

        @router.get("/webhooks")
        def get_webhooks() -> dict[str, Any]:
            return {
                "url": state.webhooks.url,
                "key": state.webhooks.key,
                "sent": [
                    {"url": s.url, "status": s.status, "attempts": s.attempts, "body": s.json()}
                    for s in state.webhooks.sent
                ],
            }

        @router.post("/webhooks")
        def set_webhooks(body: WebhookSettings) -> dict[str, Any]:
            state.webhooks.configure(body.url, body.key)
            return {"url": state.webhooks.url, "key": state.webhooks.key}

        @router.post("/webhooks/flush")
        def flush_webhooks() -> dict[str, Any]:
            return {"flushed": state.webhooks.flush(5.0)}

        @router.post("/webhooks/intent")
        def intent() -> dict[str, Any]:
            try:
                result = state.webhooks.intent_to_receive()
            except ValueError as exc:
                return {"ok": False, "error": str(exc)}
            return {
                "ok": result.ok,
                "good_status": result.good_status,
                "bad_status": result.bad_status,
            }

        @router.post("/payments")
        def payment(body: PaymentRequest) -> Response:
            try:
                invoice = state.add_payment(body.InvoiceID, body.Amount, on=body.Date)
            except XeroValidationError as exc:
                return json_response({"errors": exc.messages}, 400)
            return json_response(invoice)

        @router.get("/counts")
        def counts() -> dict[str, int]:
            kinds: tuple[Kind, ...] = ("contacts", "items", "invoices", "purchase_orders")
            return {kind: state.count(kind) for kind in kinds}

    return add


def create_app(
    state: XeroState | None = None,
    *,
    clock: VirtualClock | None = None,
    ledger: CallLedger | None = None,
    faults: FaultConfig | None = None,
    limits: bool = True,
    data: str = ":memory:",
) -> FastAPI:
    """The Xero emulator; ``app.state.sandbox`` is the :class:`XeroState` behind it.

    ``app.state`` also carries ``oauth``, ``ledger``, ``faults``, ``limiter`` and ``clock``.
    """
    if state is None:
        state = XeroState(clock or VirtualClock(), data=data)
    clock = state.clock
    ledger = ledger or CallLedger()
    injector = FaultInjector(faults)
    limiter = RateLimiter(
        clock,
        per_minute=PER_MINUTE,
        per_day=PER_DAY,
        concurrency=CONCURRENT,
        app_per_minute=APP_PER_MINUTE,
    )
    limiter.enabled = limits
    oauth = OAuthServer(
        clock,
        clients={CLIENT_ID: CLIENT_SECRET},
        access_ttl=ACCESS_TTL_SECONDS,
        rotate_refresh=True,
        refresh_grace_seconds=REFRESH_GRACE_SECONDS,
        refresh_ttl_seconds=REFRESH_TTL_SECONDS,
        default_tenant_ids=[state.tenant_id],
        faults=injector,
    )
    app = FastAPI(title="Xero sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = state
    app.state.oauth = oauth
    app.state.ledger = ledger
    app.state.faults = injector
    app.state.limiter = limiter
    app.state.clock = clock

    @app.exception_handler(XeroProblemError)
    async def on_problem(request: Request, problem: XeroProblemError) -> Response:
        return problem.response()

    @app.exception_handler(RequestValidationError)
    async def on_bad_request(request: Request, error: RequestValidationError) -> Response:
        messages = "; ".join(str(e.get("msg", e)) for e in error.errors())
        return validation_problem(messages).response()

    api = XeroApi(state, oauth)
    app.include_router(identity_router(state, oauth))
    app.include_router(api.router())
    app.include_router(
        admin_router(
            system=SYSTEM,
            clock=clock,
            ledger=ledger,
            faults=injector,
            limiter=limiter,
            oauth=oauth,
            extra=_admin_extras(state, oauth),
        )
    )
    instrument(
        app,
        system=SYSTEM,
        ledger=ledger,
        faults=injector,
        limiter=limiter,
        limit_key=_limit_key,
        limit_response=_limit_response,
        headers=_limit_headers,
        error_response=_server_error,
    )
    # added last so it runs first: the ledger and the router see the routes' own spelling
    app.add_middleware(_CaseInsensitivePaths, root=app)
    return app


__all__ = ["CLIENT_ID", "CLIENT_SECRET", "XeroState", "create_app"]
