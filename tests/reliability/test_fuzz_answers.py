"""Whatever an API answers, a connector either understands it or raises one of ledgerbridge's own
errors (fatal, retriable or per-record): never a KeyError, TypeError or a half-read result.

Each connector (Xero, Zoho CRM, Zoho Books) is driven through its public calls against answers
hypothesis makes up: any status, JSON of any shape (or not JSON at all, or cut short), with the
right envelope keys mixed in often enough to reach the deeper parsing. Webhook bodies (Xero
batches, Zoho CRM notifications) get the same treatment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerbridge.connectors.http.limiter import Limits
from ledgerbridge.connectors.http.tokens import MemoryTokenStore, TokenSet
from ledgerbridge.connectors.xero import XeroConnector, XeroSettings
from ledgerbridge.connectors.xero.webhooks import WebhookBatch
from ledgerbridge.connectors.zoho_books.connector import ZohoBooksConnector
from ledgerbridge.connectors.zoho_crm import SCOPES, ZohoCrmConnector
from ledgerbridge.connectors.zoho_crm.accounts import oauth_app
from ledgerbridge.domain.errors import LedgerbridgeError
from ledgerbridge.domain.records import Draft, Patch, WriteResult

BASE = "http://api.fuzz.test"
EXAMPLES = settings(
    max_examples=int(os.environ.get("LEDGERBRIDGE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Keys the three APIs put in their envelopes; mixed into made-up answers so they get parsed.
KEYS = (
    "data",
    "info",
    "more_records",
    "next_page_token",
    "code",
    "status",
    "message",
    "details",
    "id",
    "Modified_Time",
    "Created_Time",
    "api_name",
    "Contacts",
    "Items",
    "Invoices",
    "PurchaseOrders",
    "ContactID",
    "ItemID",
    "InvoiceID",
    "UpdatedDateUTC",
    "Elements",
    "ValidationErrors",
    "StatusAttributeString",
    "Message",
    "contacts",
    "contact",
    "items",
    "item",
    "invoices",
    "invoice",
    "page_context",
    "has_more_page",
    "contact_id",
    "item_id",
    "last_modified_time",
    "access_token",
    "expires_in",
    "refresh_token",
    "Name",
    "Code",
    "Type",
    "ErrorNumber",
    "Detail",
    "tenantId",
    "events",
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2026-01-01T00:00:00+00:00",
            "/Date(1767225600000+0000)/",
            "success",
            "error",
            "SUCCESS",
            "OK",
            "",
            "0",
            "1000",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=6),
    ),
    max_leaves=25,
)


@st.composite
def answers(draw: st.DrawFn) -> tuple[int, bytes]:
    status = draw(
        st.sampled_from(
            [
                200,
                200,
                200,
                201,
                202,
                204,
                207,
                400,
                401,
                403,
                404,
                405,
                409,
                413,
                422,
                429,
                500,
                502,
                503,
            ]
        )
    )
    kind = draw(st.sampled_from(["json", "json", "json", "cut", "bytes", "empty"]))
    if kind == "empty":
        return status, b""
    if kind == "bytes":
        return status, draw(st.binary(max_size=64))
    body = json.dumps(draw(json_values)).encode()
    if kind == "cut" and len(body) > 1:
        body = body[: draw(st.integers(min_value=1, max_value=len(body) - 1))]
    return status, body


def transport(made_up: list[tuple[int, bytes]]) -> httpx.MockTransport:
    """Answers every call with the next made-up answer (the last one again when they run out)."""
    calls = iter(made_up)
    last = made_up[-1]

    def handler(request: httpx.Request) -> httpx.Response:
        status, body = next(calls, last)
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


def tokens() -> MemoryTokenStore:
    later = datetime.now(UTC) + timedelta(hours=1)
    return MemoryTokenStore(
        TokenSet("access", "refresh", later, {"api_domain": BASE}),
        secrets={"client_secret": "secret"},
    )


def no_wait(_seconds: float) -> None:
    """Retries and limits cost nothing here: only parsing is under test."""


def xero(http: httpx.Client) -> XeroConnector:
    conf = XeroSettings.model_validate(
        {
            "client_id": "c",
            "tenant_id": "t",
            "api_base": f"{BASE}/api.xro/2.0",
            "token_url": f"{BASE}/connect/token",
            "connections_url": f"{BASE}/connections",
        }
    )
    return XeroConnector(
        http,
        settings=conf,
        app=conf.oauth_client("secret"),
        token_store=tokens(),
        limits=Limits(concurrency=4),
        sleep=no_wait,
    )


def zoho_crm(http: httpx.Client) -> ZohoCrmConnector:
    app = oauth_app(client_id="c", client_secret="secret", accounts=BASE, scopes=SCOPES)
    return ZohoCrmConnector(
        http,
        app=app,
        token_store=tokens(),
        api_domain=BASE,
        limits=Limits(concurrency=4),
        sleep=no_wait,
    )


def zoho_books(http: httpx.Client) -> ZohoBooksConnector:
    app = oauth_app(client_id="c", client_secret="secret", accounts=BASE, scopes=SCOPES)
    return ZohoBooksConnector(
        http,
        app=app,
        token_store=tokens(),
        organization_id="1",
        api_domain=BASE,
        limits=Limits(concurrency=4),
        sleep=no_wait,
    )


CALLS: dict[str, Callable[[Any, str], object]] = {
    "read": lambda c, m: [p.records for p in c.read_changes(m, datetime(2026, 1, 1, tzinfo=UTC))],
    "get": lambda c, m: c.get_many(m, ["1", "2"]),
    "find": lambda c, m: c.find_many(
        m, "Name" if m in ("Contacts", "Items") else "id", ["A (b)", "O'Neil"]
    ),
    "create": lambda c, m: c.create_many(
        m, [Draft("r1", {"Name": "x"}, "k1"), Draft("r2", {"Name": "y"}, "k2")]
    ),
    "update": lambda c, m: c.update_many(m, [Patch("1", {"Name": "x"}), Patch("2", {"Name": "y"})]),
}
CONNECTORS = {
    "xero": (xero, ["Contacts", "Items", "Invoices"]),
    "zoho_crm": (zoho_crm, ["Accounts", "Products", "Invoices"]),
    "zoho_books": (zoho_books, ["Contacts", "Items", "Invoices"]),
}


def check(system: str, call: str, module: str, made_up: list[tuple[int, bytes]]) -> None:
    make, _ = CONNECTORS[system]
    with httpx.Client(transport=transport(made_up), base_url=BASE) as http:
        connector = make(http)
        try:
            result = CALLS[call](connector, module)
        except LedgerbridgeError:
            return  # refused with one of ours: a fatal, retriable or per-record error
        if call in ("create", "update"):
            assert isinstance(result, list) and len(result) == 2, result
            assert all(isinstance(r, WriteResult) for r in result), result
            assert [r.ref for r in result] == (["r1", "r2"] if call == "create" else ["1", "2"])


def _given(system: str) -> Callable[..., None]:
    modules = CONNECTORS[system][1]

    @EXAMPLES
    @given(
        call=st.sampled_from(sorted(CALLS)),
        module=st.sampled_from(modules),
        made_up=st.lists(answers(), min_size=1, max_size=4),
    )
    def run(call: str, module: str, made_up: list[tuple[int, bytes]]) -> None:
        check(system, call, module, made_up)

    return run


test_xero_understands_or_refuses_any_answer = _given("xero")
test_zoho_crm_understands_or_refuses_any_answer = _given("zoho_crm")
test_zoho_books_understands_or_refuses_any_answer = _given("zoho_books")


@EXAMPLES
@given(body=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_a_xero_webhook_body_is_a_batch_or_a_value_error(body: bytes) -> None:
    try:
        batch = WebhookBatch.parse(body)
    except ValueError:
        return
    assert isinstance(batch.events, tuple)
