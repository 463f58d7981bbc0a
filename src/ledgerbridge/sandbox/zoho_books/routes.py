"""The Zoho Books v3 HTTP API over the state: thin routes, the vendor's envelopes and codes."""

# No "from __future__ import annotations": FastAPI must see the local Annotated aliases.

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ledgerbridge.sandbox.zoho_books.errors import (
    CODE_MISSING_VALUE,
    CODE_NOT_AUTHORIZED,
    BooksError,
)
from ledgerbridge.sandbox.zoho_books.listing import ListQuery
from ledgerbridge.sandbox.zoho_books.state import ZohoBooksState

_NOT_AUTHORIZED = BooksError(
    CODE_NOT_AUTHORIZED, "You are not authorized to perform this operation", 401
)


def ok(message: str = "success", status: int = 200, **payload: Any) -> JSONResponse:
    """The success envelope every Zoho Books answer carries."""
    return JSONResponse({"code": 0, "message": message, **payload}, status_code=status)


def books_router(state: ZohoBooksState, prefix: str) -> APIRouter:
    """All v3 endpoints under ``prefix`` (the app serves ``/books/v3`` and ``/erp/v3``)."""
    router = APIRouter(prefix=prefix)

    def authorized(request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "zoho-oauthtoken" or not token.strip():
            raise _NOT_AUTHORIZED
        check = state.oauth.check(token.strip())
        if not check.ok or not any(s.startswith("ZohoBooks.") for s in check.scopes):
            raise _NOT_AUTHORIZED

    def organization(request: Request, _: Annotated[None, Depends(authorized)]) -> str:
        org_id = request.query_params.get("organization_id")
        state.organization(org_id)
        return str(org_id)

    async def body(request: Request) -> dict[str, Any]:
        """A JSON body, or the legacy ``JSONString`` form field."""
        content_type = request.headers.get("content-type", "")
        if "form" in content_type:
            form = await request.form()
            raw: Any = form.get("JSONString") or "{}"
        else:
            raw = (await request.body()).decode() or "{}"
        try:
            parsed = json.loads(str(raw))
        except ValueError as exc:
            raise BooksError(CODE_MISSING_VALUE, "Invalid value passed for JSONString") from exc
        if not isinstance(parsed, dict):
            raise BooksError(CODE_MISSING_VALUE, "Invalid value passed for JSONString")
        return parsed

    Org = Annotated[str, Depends(organization)]  # noqa: N806 - a type alias
    Body = Annotated[dict[str, Any], Depends(body)]  # noqa: N806 - a type alias

    def listing(kind: str, plural: str) -> Callable[[Request, str], JSONResponse]:
        def handler(request: Request, org_id: Org) -> JSONResponse:
            query = ListQuery.from_params(dict(request.query_params))
            page = state.list_records(org_id, kind, query)
            payload: dict[str, Any] = {plural: page.records, "page_context": page.page_context}
            return ok(**payload)

        return handler

    # -- organizations and settings ------------------------------------------------------------

    @router.get("/organizations")
    def list_organizations(_: Annotated[None, Depends(authorized)]) -> JSONResponse:
        return ok(organizations=state.organizations())

    @router.get("/organizations/{organization_id}")
    def get_organization(
        organization_id: str, _: Annotated[None, Depends(authorized)]
    ) -> JSONResponse:
        org = state.organization(organization_id)
        return ok(organization=state.render_organization(org))

    @router.get("/settings/currencies")
    def list_currencies(org_id: Org) -> JSONResponse:
        return ok(currencies=state.currencies(org_id))

    @router.get("/settings/fields")
    def list_fields(org_id: Org, entity: str = "") -> JSONResponse:
        return ok(fields=state.custom_field_defs(org_id, entity))

    @router.get("/settings/taxes")
    def list_taxes(org_id: Org) -> JSONResponse:
        taxes = state.taxes(org_id)
        context = {"page": 1, "per_page": 200, "has_more_page": False, "report_name": "Taxes"}
        return ok(taxes=taxes, page_context=context)

    @router.post("/settings/taxes")
    def create_tax(org_id: Org, data: Body) -> JSONResponse:
        name = data.get("tax_name")
        pct = data.get("tax_percentage")
        if not isinstance(name, str) or pct is None:
            raise BooksError(CODE_MISSING_VALUE, "Please enter the tax name and percentage.")
        tax = state.add_tax(org_id, name, str(pct))
        return ok("The tax has been added.", 201, tax=tax)

    @router.get("/settings/taxes/{tax_id}")
    def get_tax(org_id: Org, tax_id: str) -> JSONResponse:
        return ok(tax=state.tax(org_id, tax_id))

    # -- contacts ------------------------------------------------------------------------------

    router.get("/contacts")(listing("contacts", "contacts"))

    @router.post("/contacts")
    def create_contact(org_id: Org, data: Body) -> JSONResponse:
        contact = state.create_contact(org_id, data)
        return ok("The contact has been added.", 201, contact=contact)

    @router.post("/contacts/contactpersons")
    def create_contact_person(org_id: Org, data: Body) -> JSONResponse:
        contact_id = data.get("contact_id")
        if not contact_id:
            raise BooksError(CODE_MISSING_VALUE, "Please select a contact.")
        person = state.add_contact_person(org_id, str(contact_id), data)
        return ok("The contactperson has been Created", 201, contact_person=person)

    @router.put("/contacts/contactpersons/{contact_person_id}")
    def update_contact_person(org_id: Org, contact_person_id: str, data: Body) -> JSONResponse:
        person = state.update_contact_person(org_id, contact_person_id, data)
        return ok("The contactperson details has been updated.", contact_person=person)

    @router.delete("/contacts/contactpersons/{contact_person_id}")
    def delete_contact_person(org_id: Org, contact_person_id: str) -> JSONResponse:
        state.delete_contact_person(org_id, contact_person_id)
        return ok("The contact person has been deleted.")

    @router.post("/contacts/contactpersons/{contact_person_id}/primary")
    def primary_contact_person(org_id: Org, contact_person_id: str) -> JSONResponse:
        state.mark_primary_contact_person(org_id, contact_person_id)
        return ok("This contact person has been marked as your primary contact person.")

    @router.get("/contacts/{contact_id}")
    def get_contact(org_id: Org, contact_id: str) -> JSONResponse:
        return ok(contact=state.get(org_id, "contacts", contact_id))

    @router.put("/contacts/{contact_id}")
    def update_contact(org_id: Org, contact_id: str, data: Body) -> JSONResponse:
        contact = state.update_contact(org_id, contact_id, data)
        return ok("Contact has been updated successfully", contact=contact)

    @router.delete("/contacts/{contact_id}")
    def delete_contact(org_id: Org, contact_id: str) -> JSONResponse:
        state.delete_contact(org_id, contact_id)
        return ok("The contact has been deleted.")

    @router.post("/contacts/{contact_id}/active")
    def activate_contact(org_id: Org, contact_id: str) -> JSONResponse:
        state.set_contact_status(org_id, contact_id, active=True)
        return ok("The contact has been marked as active.")

    @router.post("/contacts/{contact_id}/inactive")
    def deactivate_contact(org_id: Org, contact_id: str) -> JSONResponse:
        state.set_contact_status(org_id, contact_id, active=False)
        return ok("The contact has been marked as inactive.")

    @router.get("/contacts/{contact_id}/contactpersons")
    def list_contact_persons(org_id: Org, contact_id: str) -> JSONResponse:
        people = state.contact_persons(org_id, contact_id)
        context = {"page": 1, "per_page": 200, "has_more_page": False}
        return ok(contact_persons=people, page_context=context)

    # -- items ---------------------------------------------------------------------------------

    router.get("/items")(listing("items", "items"))

    @router.post("/items")
    def create_item(org_id: Org, data: Body) -> JSONResponse:
        return ok("The item has been added.", 201, item=state.create_item(org_id, data))

    @router.get("/items/{item_id}")
    def get_item(org_id: Org, item_id: str) -> JSONResponse:
        return ok(item=state.get(org_id, "items", item_id))

    @router.put("/items/{item_id}")
    def update_item(org_id: Org, item_id: str, data: Body) -> JSONResponse:
        item = state.update_item(org_id, item_id, data)
        return ok("The item details have been saved.", item=item)

    @router.delete("/items/{item_id}")
    def delete_item(org_id: Org, item_id: str) -> JSONResponse:
        state.delete_item(org_id, item_id)
        return ok("The item has been deleted.")

    @router.post("/items/{item_id}/active")
    def activate_item(org_id: Org, item_id: str) -> JSONResponse:
        state.set_item_status(org_id, item_id, active=True)
        return ok("The item has been marked as active.")

    @router.post("/items/{item_id}/inactive")
    def deactivate_item(org_id: Org, item_id: str) -> JSONResponse:
        state.set_item_status(org_id, item_id, active=False)
        return ok("The item has been marked as inactive.")

    # -- invoices and payments -----------------------------------------------------------------

    router.get("/invoices")(listing("invoices", "invoices"))

    @router.post("/invoices")
    def create_invoice(org_id: Org, data: Body) -> JSONResponse:
        invoice = state.create_invoice(org_id, data)
        return ok("The invoice has been created.", 201, invoice=invoice)

    @router.get("/invoices/{invoice_id}")
    def get_invoice(org_id: Org, invoice_id: str) -> JSONResponse:
        return ok(invoice=state.get(org_id, "invoices", invoice_id))

    @router.put("/invoices/{invoice_id}")
    def update_invoice(org_id: Org, invoice_id: str, data: Body) -> JSONResponse:
        invoice = state.update_invoice(org_id, invoice_id, data)
        return ok("Invoice information has been updated.", invoice=invoice)

    @router.delete("/invoices/{invoice_id}")
    def delete_invoice(org_id: Org, invoice_id: str) -> JSONResponse:
        state.delete_invoice(org_id, invoice_id)
        return ok("The invoice has been deleted.")

    @router.post("/invoices/{invoice_id}/status/sent")
    def invoice_sent(org_id: Org, invoice_id: str) -> JSONResponse:
        state.mark_invoice_sent(org_id, invoice_id)
        return ok("Invoice status has been changed to Sent.")

    @router.post("/invoices/{invoice_id}/status/void")
    def invoice_void(org_id: Org, invoice_id: str) -> JSONResponse:
        state.void_invoice(org_id, invoice_id)
        return ok("Invoice status has been changed to Void.")

    @router.post("/invoices/{invoice_id}/status/draft")
    def invoice_draft(org_id: Org, invoice_id: str) -> JSONResponse:
        state.mark_invoice_draft(org_id, invoice_id)
        return ok("Status of invoice changed from void to draft.")

    router.get("/customerpayments")(listing("customerpayments", "customerpayments"))

    @router.post("/customerpayments")
    def create_payment(org_id: Org, data: Body) -> JSONResponse:
        payment = state.record_payment(org_id, data)
        return ok("The payment has been created.", 201, payment=payment)

    @router.get("/customerpayments/{payment_id}")
    def get_payment(org_id: Org, payment_id: str) -> JSONResponse:
        return ok(payment=state.get(org_id, "customerpayments", payment_id))

    # -- purchase orders -----------------------------------------------------------------------

    router.get("/purchaseorders")(listing("purchaseorders", "purchaseorders"))

    @router.post("/purchaseorders")
    def create_purchase_order(org_id: Org, data: Body) -> JSONResponse:
        order = state.create_purchase_order(org_id, data)
        return ok("The purchase order has been created.", 201, purchaseorder=order)

    @router.get("/purchaseorders/{purchaseorder_id}")
    def get_purchase_order(org_id: Org, purchaseorder_id: str) -> JSONResponse:
        return ok(purchaseorder=state.get(org_id, "purchaseorders", purchaseorder_id))

    @router.put("/purchaseorders/{purchaseorder_id}")
    def update_purchase_order(org_id: Org, purchaseorder_id: str, data: Body) -> JSONResponse:
        order = state.update_purchase_order(org_id, purchaseorder_id, data)
        return ok("Purchase order has been updated.", purchaseorder=order)

    @router.delete("/purchaseorders/{purchaseorder_id}")
    def delete_purchase_order(org_id: Org, purchaseorder_id: str) -> JSONResponse:
        state.delete_purchase_order(org_id, purchaseorder_id)
        return ok("The purchase order has been deleted.")

    @router.post("/purchaseorders/{purchaseorder_id}/status/{status}")
    def purchase_order_status(org_id: Org, purchaseorder_id: str, status: str) -> JSONResponse:
        state.set_purchase_order_status(org_id, purchaseorder_id, status)
        return ok(f"Purchase order has been marked as {status}.")

    return router
