"""The Xero Accounting API 2.0 behind the connector Protocol.

Choices worth knowing:

- Change feed: ``If-Modified-Since`` + ``order=UpdatedDateUTC ASC`` + ``pageSize=1000``. After a
  full page the next request starts again at the second of the page's last record (Xero's
  filter is accurate to the second) and leaves out what it already handed over, so a record
  modified while the feed is read moves to the end instead of shifting an unread one onto a
  page already read. Only a page that lies within a single second goes on by page number.
- Archived contacts are records with ``ContactStatus: ARCHIVED``, not tombstones: archiving is
  reversible and the engine maps the status. Xero deletes nothing else through these endpoints
  (documents keep their ``DELETED``/``VOIDED`` status), so the feed carries no tombstones.
- Lookups: ``IDs=`` where the endpoint takes it, else a ``where`` of ``||``-joined equality
  tests, at most ``lookup_batch`` keys and about 1,800 encoded characters per call.
  PurchaseOrders take neither: they are read by id or number, or listed and filtered here.
- Writes: ``PUT`` (create) / ``POST`` (update) in batches of 50 with ``summarizeErrors=false``
  and an ``Idempotency-Key`` derived from the drafts' keys, so a retried batch is replayed by
  Xero instead of applied twice; per-element ``ValidationErrors`` become ``WriteResult`` values.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from ledgerbridge.connectors.base import Budget, Capabilities
from ledgerbridge.connectors.dates import iso_utc, parse_datetime
from ledgerbridge.connectors.http.client import ApiClient
from ledgerbridge.connectors.http.limiter import Limits, RateLimiter
from ledgerbridge.connectors.http.oauth import OAuthClient, utc_now
from ledgerbridge.connectors.http.tokens import TokenStore, stored_secret
from ledgerbridge.connectors.xero import where as wh
from ledgerbridge.connectors.xero.auth import TokenUnavailableError, XeroAuth
from ledgerbridge.connectors.xero.models import (
    Account,
    BrandingTheme,
    Organisation,
    TaxRate,
    Tenant,
)
from ledgerbridge.connectors.xero.modules import ModuleSpec, module_infos, module_spec
from ledgerbridge.connectors.xero.results import (
    Operation,
    element_result,
    whole_call_failure,
)
from ledgerbridge.connectors.xero.settings import XeroSettings
from ledgerbridge.connectors.xero.values import to_record, to_xero
from ledgerbridge.domain.errors import (
    AuthError,
    ConfigError,
    FatalError,
    RetriableError,
)
from ledgerbridge.domain.paths import get_path, top_level
from ledgerbridge.domain.records import (
    Draft,
    OrgInfo,
    Page,
    Patch,
    Record,
    WriteError,
    WriteResult,
)

XERO_LIMITS = Limits(per_minute=60, concurrency=5, per_day=5000)
PAGE_SIZE = 1000
BATCH_SIZE = 50
LOOKUP_BATCH = 40
# Up to this many purchase orders are read one by one; more are found by listing them all.
SINGLE_READS = 10
CAPABILITIES = Capabilities(
    page_size=PAGE_SIZE,
    batch_size=BATCH_SIZE,
    lookup_batch=LOOKUP_BATCH,
    idempotency=True,
    webhooks=True,
    # Xero replaces an item's SalesDetails / PurchaseDetails with what is sent.
    whole_objects=frozenset({"SalesDetails", "PurchaseDetails"}),
    required_on_update={"Items": frozenset({"Code"})},
)

T = TypeVar("T")
# Keys that can travel as a path segment: servers refuse or misroute an encoded slash.
_PATH_SAFE = re.compile(r"^[\w\- .]+$")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _problem(response: httpx.Response) -> str:
    """The message of a Xero error answer, whichever of its shapes it has."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or f"HTTP {response.status_code}"
    if isinstance(body, Mapping):
        texts = [
            str(e.get("Message"))
            for element in body.get("Elements") or []
            if isinstance(element, Mapping)
            for e in element.get("ValidationErrors") or []
            if isinstance(e, Mapping) and e.get("Message")
        ]
        if texts:
            return "; ".join(texts)
        for key in ("Message", "Detail", "Title", "error_description", "error"):
            if body.get(key):
                return str(body[key])
    return f"HTTP {response.status_code}"


class XeroConnector:
    """One Xero organisation (tenant) reached through one OAuth connection.

    The connector installs its OAuth2 auth on the injected ``http`` client; the token endpoint
    is reached through the same client. ``sleep`` and ``monotonic`` drive the rate limiter and
    retry waits (tests pass a virtual clock so waits cost nothing).
    """

    system = "xero"
    capabilities = CAPABILITIES

    def __init__(
        self,
        http: httpx.Client,
        *,
        settings: XeroSettings,
        app: OAuthClient,
        token_store: TokenStore,
        clock: Callable[[], datetime] = utc_now,
        limits: Limits = XERO_LIMITS,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        max_attempts: int = 6,
    ) -> None:
        self.settings = settings
        self.http = http
        self.clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.auth = XeroAuth(app, token_store, http, clock=clock)
        http.auth = self.auth
        if monotonic is None:
            monotonic = time.monotonic if clock is utc_now else (lambda: clock().timestamp())
        self.limiter = RateLimiter(limits, clock=monotonic, sleep=sleep, wall=clock)
        self.api = ApiClient(
            http,
            system=self.system,
            limiter=self.limiter,
            sleep=sleep,
            rng=self._rng,
            max_attempts=max_attempts,
        )
        self.max_attempts = max_attempts
        self._tenant_id = settings.tenant_id or None
        self._tenant_lock = threading.Lock()
        # Ids written per module while that module's change feed is being read.
        self._written: dict[str, set[str]] = {}

    # -- tenants ---------------------------------------------------------------------------------

    def tenants(self) -> list[Tenant]:
        """The organisations this connection was granted (``GET /connections``)."""
        response = self._send("GET", self.settings.connections_url, tenant=False)
        body = self._json(response, "GET connections")
        if not isinstance(body, list):
            raise FatalError("Xero answered GET /connections with something other than a list")
        return [Tenant.model_validate(item) for item in body]

    def choose_tenant(self, tenant_id: str) -> Tenant:
        """Use ``tenant_id`` from now on; it must be one of :meth:`tenants`."""
        for tenant in self.tenants():
            if tenant.tenant_id.lower() == tenant_id.strip().lower():
                with self._tenant_lock:
                    self._tenant_id = tenant.tenant_id
                return tenant
        raise ConfigError(
            f"Xero tenant {tenant_id} is not connected to this app; reconnect the connection "
            "and tick that organisation, or choose one of the connected tenants"
        )

    @property
    def tenant_id(self) -> str:
        """The chosen tenant; when none is set and exactly one organisation is connected, it."""
        with self._tenant_lock:
            if self._tenant_id:
                return self._tenant_id
        organisations = [t for t in self.tenants() if t.tenant_type.upper() == "ORGANISATION"]
        if len(organisations) != 1:
            names = ", ".join(f"{t.tenant_name} ({t.tenant_id})" for t in organisations)
            raise ConfigError(
                "choose the Xero organisation of this connection (setting tenant_id): "
                + (names or "none is connected; reconnect and tick an organisation")
            )
        with self._tenant_lock:
            self._tenant_id = organisations[0].tenant_id
            return self._tenant_id

    # -- HTTP ------------------------------------------------------------------------------------

    def _url(self, *parts: str) -> str:
        return "/".join((self.settings.api_base, *parts))

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_writes: bool = False,
        tenant: bool = True,
    ) -> httpx.Response:
        sent = {"Accept": "application/json"}
        if tenant:
            sent["xero-tenant-id"] = self.tenant_id
        sent.update(headers or {})
        for attempt in range(self.max_attempts):
            try:
                response = self.api.send(
                    method, url, params=params, json=json, headers=sent, retry_writes=retry_writes
                )
            except TokenUnavailableError:
                # No token, so the request was not processed: sending it again is safe.
                if attempt + 1 >= self.max_attempts:
                    raise
                self._sleep(self._rng.uniform(0, min(30.0, 0.5 * 2**attempt)))
                continue
            if response.status_code == 403:
                raise AuthError(
                    f"Xero refused access to tenant {sent.get('xero-tenant-id', '-')} "
                    f"({_problem(response)}); reconnect the connection or choose another tenant"
                )
            return response
        raise RetriableError("xero: no access token could be had")

    def _json(self, response: httpx.Response, what: str) -> Any:
        if response.status_code == 304:
            return {}
        if response.status_code >= 400:
            message = _problem(response)
            if response.status_code == 400:
                raise ConfigError(f"Xero refused {what}: {message}")
            raise FatalError(f"Xero answered {response.status_code} to {what}: {message}")
        try:
            return response.json()
        except ValueError as exc:
            raise RetriableError(f"Xero answered {what} with a body that is not JSON") from exc

    def _answered_at(self, body: Mapping[str, Any]) -> datetime:
        stamp = body.get("DateTimeUTC")
        if isinstance(stamp, str):
            try:
                return parse_datetime(stamp)
            except ValueError:
                pass
        return self.clock()

    def _list(
        self, spec: ModuleSpec, params: Mapping[str, Any], since: datetime | None = None
    ) -> tuple[list[dict[str, Any]], Mapping[str, Any], datetime]:
        headers = {"If-Modified-Since": iso_utc(since)} if since is not None else None
        response = self._send("GET", self._url(spec.name), params=params, headers=headers)
        body = self._json(response, f"GET {spec.name}")
        if not isinstance(body, Mapping):
            raise FatalError(f"Xero answered GET {spec.name} with something other than an object")
        raw = body.get(spec.name) or []
        if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
            raise FatalError(f"Xero answered GET {spec.name} with {spec.name} that are no records")
        pagination = body.get("pagination")
        return (
            list(raw),
            pagination if isinstance(pagination, Mapping) else {},
            self._answered_at(body),
        )

    def _base_params(self, spec: ModuleSpec) -> dict[str, str]:
        return {"includeArchived": "true"} if spec.include_archived else {}

    def _query(self, spec: ModuleSpec, params: Mapping[str, Any]) -> list[Record]:
        """Every record a filter matches, paging where the endpoint pages."""
        full = {**self._base_params(spec), **params}
        if not spec.paged:
            raw, _, at = self._list(spec, full)
            return [to_record(spec, r, at) for r in raw]
        out: list[Record] = []
        page = 1
        while True:
            raw, pagination, at = self._list(
                spec, {**full, "page": str(page), "pageSize": str(PAGE_SIZE)}
            )
            out.extend(to_record(spec, r, at) for r in raw)
            count = pagination.get("pageCount")
            if len(raw) < PAGE_SIZE or (isinstance(count, int) and page >= count):
                return out
            page += 1

    # -- metadata --------------------------------------------------------------------------------

    def organisation(self) -> Organisation:
        body = self._json(self._send("GET", self._url("Organisation")), "GET Organisation")
        found = body.get("Organisations") or []
        if not found:
            raise FatalError("Xero answered GET Organisation without an organisation")
        return Organisation.model_validate(found[0])

    def budget(self) -> Budget | None:
        """The day's remaining API calls as the rate limiter knows them."""
        return self.limiter.budget()

    def describe(self) -> OrgInfo:
        org = self.organisation()
        return OrgInfo(
            name=org.name,
            base_currency=org.base_currency,
            multi_currency=org.multi_currency,
            modules=module_infos(),
            extra={
                "tenant_id": self.tenant_id,
                "organisation_id": org.organisation_id,
                "short_code": org.short_code,
                "country_code": org.country_code,
                "edition": org.edition,
                "class": org.org_class,
                "timezone": org.timezone,
            },
        )

    def tax_rates(self) -> list[TaxRate]:
        raw, _, _ = self._list(module_spec("TaxRates"), {})
        return [TaxRate.model_validate(r) for r in raw]

    def catalogue(self, name: str) -> dict[str, str]:
        """``tax_rates``: the organisation's active sales tax rates, by name and by tax type."""
        if name != "tax_rates":
            return {}
        out: dict[str, str] = {}
        for rate in self.tax_rates():
            if rate.status == "ACTIVE" and rate.can_apply_to_revenue:
                out[rate.name] = rate.tax_type
                out[rate.tax_type] = rate.tax_type
        return out

    def accounts(self) -> list[Account]:
        raw, _, _ = self._list(module_spec("Accounts"), {})
        return [Account.model_validate(r) for r in raw]

    def branding_themes(self) -> list[BrandingTheme]:
        raw, _, _ = self._list(module_spec("BrandingThemes"), {})
        return [BrandingTheme.model_validate(r) for r in raw]

    def online_invoice_url(self, invoice_id: str) -> str | None:
        """The invoice's online link; ``None`` for drafts, bills and unknown invoices."""
        if not wh.is_guid(invoice_id):
            return None
        response = self._send("GET", self._url("Invoices", invoice_id, "OnlineInvoice"))
        if response.status_code in (400, 404):
            return None
        body = self._json(response, "GET Invoices/{id}/OnlineInvoice")
        for item in body.get("OnlineInvoices") or []:
            if item.get("OnlineInvoiceUrl"):
                return str(item["OnlineInvoiceUrl"])
        return None

    # -- reads -----------------------------------------------------------------------------------

    def read_changes(
        self, module: str, since: datetime | None, *, fields: Sequence[str] | None = None
    ) -> Iterator[Page]:
        spec = module_spec(module)
        keep = {top_level(f) for f in fields} | {spec.id_field} if fields else None
        if spec.paged:
            pages = self._paged_changes(spec, since)
        else:
            pages = self._unpaged_changes(spec, since)
        for page in pages:
            if keep is None:
                yield page
                continue
            kept = [
                Record(
                    r.id,
                    r.module,
                    {k: v for k, v in r.fields.items() if k in keep},
                    r.modified_at,
                    r.deleted,
                )
                for r in page.records
            ]
            yield Page(kept, page.next_token)

    def _unpaged_changes(self, spec: ModuleSpec, since: datetime | None) -> Iterator[Page]:
        params = {"order": "UpdatedDateUTC ASC"} if spec.modified_since else {}
        raw, _, at = self._list(spec, params, since if spec.modified_since else None)
        records = [to_record(spec, r, at) for r in raw]
        if since is not None and spec.modified_since:
            records = [r for r in records if r.modified_at >= since]
        records.sort(key=lambda r: r.modified_at)
        chunks = list(_chunks(records, PAGE_SIZE)) or [[]]
        for index, chunk in enumerate(chunks):
            more = index + 1 < len(chunks)
            yield Page(
                list(chunk), next_token=f"offset:{(index + 1) * PAGE_SIZE}" if more else None
            )

    def _paged_changes(self, spec: ModuleSpec, since: datetime | None) -> Iterator[Page]:
        query_since = _second(since) if since is not None else None
        page = 1
        by_number = False
        # What was handed over at the second the next request starts from, by id.
        handed: dict[str, datetime] = {}
        # Ids written through this connector while the feed is read: a handed-over record
        # written since left its place in the order, and the pages behind it moved up.
        written: set[str] = set()
        self._written[spec.name] = written
        try:
            while True:
                if by_number:
                    page = len(handed.keys() - written) // PAGE_SIZE + 1
                params = {
                    **self._base_params(spec),
                    "order": "UpdatedDateUTC ASC",
                    "page": str(page),
                    "pageSize": str(PAGE_SIZE),
                }
                raw, pagination, at = self._list(spec, params, query_since)
                records = [to_record(spec, r, at) for r in raw]
                fresh = [
                    r
                    for r in records
                    if (since is None or r.modified_at >= since)
                    and handed.get(r.id) != r.modified_at
                ]
                count = pagination.get("pageCount")
                more = len(raw) >= PAGE_SIZE and not (isinstance(count, int) and page >= count)
                token: str | None = None
                if more:
                    last = _second(records[-1].modified_at)
                    boundary = {
                        r.id: r.modified_at for r in records if _second(r.modified_at) == last
                    }
                    # Starting over needs a later second (so the feed always moves on) and
                    # must leave out something already read (or it gains nothing over the
                    # page number).
                    later = query_since is None or last > query_since
                    if later and any(_second(r.modified_at) < last for r in records):
                        query_since, page, handed, by_number = last, 1, boundary, False
                        written.clear()
                    else:
                        # The whole page lies within one second: only the page number can
                        # move on, from the place of the first record not read yet.
                        by_number = True
                        for key, moment in boundary.items():
                            handed.setdefault(key, moment)
                    token = f"{iso_utc(query_since) if query_since else '-'}|{len(handed)}"
                yield Page(fresh, next_token=token)
                if not more:
                    return
        finally:
            if self._written.get(spec.name) is written:
                del self._written[spec.name]

    def get_many(self, module: str, ids: Sequence[str]) -> list[Record]:
        spec = module_spec(module)
        wanted = _unique(i.strip() for i in ids)
        if spec.id_field.endswith("ID"):
            wanted = [i for i in wanted if wh.is_guid(i)]
        if not wanted:
            return []
        found: dict[str, Record] = {}
        if spec.ids_param:
            for group in wh.pack(wanted, max_terms=LOOKUP_BATCH, joiner=","):
                for record in self._query(spec, {"IDs": ",".join(group)}):
                    found[record.id.lower()] = record
        elif spec.where:
            terms = [t for t in (wh.term(spec.id_field, i) for i in wanted) if t]
            for group in wh.pack(terms, max_terms=LOOKUP_BATCH):
                for record in self._query(spec, {"where": wh.where_clause(group)}):
                    found[record.id.lower()] = record
        elif spec.paged and len(wanted) <= SINGLE_READS:
            for record_id in wanted:
                one = self._get_one(spec, record_id)
                if one is not None:
                    found[one.id.lower()] = one
        else:
            wanted_set = {i.lower() for i in wanted}
            found = {r.id.lower(): r for r in self._query(spec, {}) if r.id.lower() in wanted_set}
        return [found[i.lower()] for i in wanted if i.lower() in found]

    def _get_one(self, spec: ModuleSpec, key: str) -> Record | None:
        response = self._send("GET", self._url(spec.name, quote(key, safe="")))
        if response.status_code in (400, 404):
            return None
        body = self._json(response, f"GET {spec.name}/{{id}}")
        raw = body.get(spec.name) or []
        return to_record(spec, raw[0], self._answered_at(body)) if raw else None

    def find_many(self, module: str, field: str, values: Sequence[str]) -> list[Record]:
        spec = module_spec(module)
        wanted = _unique(str(v) for v in values)
        if not wanted:
            return []
        if field in (spec.id_field, "id"):
            return self.get_many(module, wanted)
        found: dict[str, Record] = {}
        if spec.where:
            terms = [t for t in (wh.term(field, v) for v in wanted) if t]
            for group in wh.pack(terms, max_terms=LOOKUP_BATCH):
                for record in self._query(spec, {"where": wh.where_clause(group)}):
                    found[record.id] = record
            return list(found.values())
        if (
            field == spec.unique_field
            and spec.paged
            and len(wanted) <= SINGLE_READS
            and all(_PATH_SAFE.match(v) for v in wanted)
        ):
            for value in wanted:
                one = self._get_one(spec, value)
                if one is not None and _same(get_path(one.fields, field), value):
                    found[one.id] = one
            return list(found.values())
        # No filter on this endpoint: list it and compare as Xero does (ignoring case).
        keys = {v.strip().casefold() for v in wanted}
        return [
            r
            for r in self._query(spec, {})
            if str(get_path(r.fields, field) or "").strip().casefold() in keys
        ]

    # -- writes ----------------------------------------------------------------------------------

    def create_many(self, module: str, drafts: Sequence[Draft]) -> list[WriteResult]:
        spec = module_spec(module, write=True)
        results: list[WriteResult] = []
        for batch in _chunks(drafts, BATCH_SIZE):
            results += self._write(
                spec,
                "create",
                [d.ref for d in batch],
                [to_xero(dict(d.fields)) for d in batch],
                [d.idempotency_key for d in batch],
            )
        return results

    def update_many(self, module: str, patches: Sequence[Patch]) -> list[WriteResult]:
        spec = module_spec(module, write=True)
        results: dict[int, WriteResult] = {}
        valid: list[tuple[int, Patch]] = []
        for index, patch in enumerate(patches):
            if wh.is_guid(patch.id.strip()):
                valid.append((index, patch))
            else:
                noun = spec.name[:-1] if spec.name.endswith("s") else spec.name
                results[index] = WriteResult(
                    ref=patch.id,
                    ok=False,
                    error=WriteError("not_found", f"Xero has no {noun} with id {patch.id!r}"),
                )
        if spec.name in self._written:
            self._written[spec.name].update(p.id.strip() for _, p in valid)
        for batch in _chunks(valid, BATCH_SIZE):
            elements = [
                {**to_xero(dict(p.fields), clearing=True), spec.id_field: p.id.strip()}
                for _, p in batch
            ]
            written = self._write(
                spec,
                "update",
                [p.id for _, p in batch],
                elements,
                [p.idempotency_key for _, p in batch],
            )
            for (index, _), result in zip(batch, written, strict=True):
                results[index] = result
        return [results[i] for i in range(len(patches))]

    def archive_many(self, module: str, ids: Sequence[str]) -> list[WriteResult]:
        """Archive contacts (``ContactStatus: ARCHIVED``): reversible, and all Xero offers.

        Xero deletes no contact, and other modules have no archive through these endpoints.
        """
        if module != "Contacts":
            return [
                WriteResult(
                    ref=i,
                    ok=False,
                    error=WriteError(
                        "unsupported", f"Xero cannot archive {module}; only Contacts archive"
                    ),
                )
                for i in ids
            ]
        return self.update_many(
            module, [Patch(id=i, fields={"ContactStatus": "ARCHIVED"}) for i in ids]
        )

    def figures(self, module: str, ids: Sequence[str]) -> dict[str, dict[str, float | str]]:
        """Figures by id: of contacts (money), of invoices and purchase orders (text).

        Invoices: ``online_invoice_url`` (approved sales invoices only: one call each, so only
        for the invoices a run read) and ``branding_theme`` (the theme's name, one call per
        run); purchase orders: ``branding_theme``.
        """
        if module in ("Invoices", "PurchaseOrders"):
            return self._document_figures(module, ids)
        return {k: dict(v) for k, v in self._contact_figures(module, ids).items()}

    def _document_figures(
        self, module: str, ids: Sequence[str]
    ) -> dict[str, dict[str, float | str]]:
        themes: dict[str, str] | None = None
        out: dict[str, dict[str, float | str]] = {}
        for doc in self.get_many(module, ids):
            found: dict[str, float | str] = {}
            theme_id = str(doc.fields.get("BrandingThemeID") or "").lower()
            if theme_id:
                if themes is None:
                    themes = {t.branding_theme_id.lower(): t.name for t in self.branding_themes()}
                if theme_id in themes:
                    found["branding_theme"] = themes[theme_id]
            if (
                module == "Invoices"
                and doc.fields.get("Type") == "ACCREC"
                and doc.fields.get("Status") in ("AUTHORISED", "PAID")
            ):
                url = self.online_invoice_url(doc.id)
                if url:
                    found["online_invoice_url"] = url
            out[doc.id] = found
        return out

    def _contact_figures(self, module: str, ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Figures of contacts, by id (other modules have none).

        ``receivables_outstanding``/``receivables_overdue`` and ``payables_outstanding``/
        ``payables_overdue`` are the contact's ``Balances`` as Xero reports them.
        ``sales_total`` sums the contact's approved and paid sales invoices (ACCREC,
        ``Total`` converted to the base currency by the invoice's ``CurrencyRate``); credit
        notes are not deducted. Two calls per 40 contacts, whatever their history.
        """
        if module != "Contacts":
            return {}
        out: dict[str, dict[str, float]] = {}
        for contact in self.get_many("Contacts", ids):
            balances = contact.fields.get("Balances") or {}
            ar = balances.get("AccountsReceivable") or {}
            ap = balances.get("AccountsPayable") or {}
            out[contact.id.lower()] = {
                "receivables_outstanding": float(ar.get("Outstanding") or 0),
                "receivables_overdue": float(ar.get("Overdue") or 0),
                "payables_outstanding": float(ap.get("Outstanding") or 0),
                "payables_overdue": float(ap.get("Overdue") or 0),
                "sales_total": 0.0,
            }
        sales: dict[str, Decimal] = {}
        spec = module_spec("Invoices")
        for group in _chunks(sorted(out), LOOKUP_BATCH):
            params = {
                "ContactIDs": ",".join(group),
                "Statuses": "AUTHORISED,PAID",
                "where": 'Type=="ACCREC"',
                "summaryOnly": "true",
            }
            for invoice in self._query(spec, params):
                contact_id = str((invoice.fields.get("Contact") or {}).get("ContactID") or "")
                total = Decimal(str(invoice.fields.get("Total") or 0))
                rate = Decimal(str(invoice.fields.get("CurrencyRate") or 1)) or Decimal(1)
                key = contact_id.lower()
                sales[key] = sales.get(key, Decimal(0)) + total / rate
        for key, total in sales.items():
            if key in out:
                out[key]["sales_total"] = float(total.quantize(Decimal("0.01")))
        wanted = {i.lower(): i for i in ids}
        return {wanted.get(k, k): v for k, v in out.items()}

    def _idempotency_key(
        self, spec: ModuleSpec, operation: Operation, keys: Sequence[str | None]
    ) -> str:
        if keys and all(keys):
            digest = hashlib.sha256(
                "\n".join([operation, spec.name, *(k or "" for k in keys)]).encode()
            ).hexdigest()
            return f"lb-{digest}"
        # Without the callers' keys the batch still gets one, so our own retries replay it.
        return f"lb-{uuid.uuid4().hex}"

    def _write(
        self,
        spec: ModuleSpec,
        operation: Operation,
        refs: Sequence[str],
        elements: list[dict[str, Any]],
        keys: Sequence[str | None],
    ) -> list[WriteResult]:
        method = "PUT" if operation == "create" else "POST"
        response = self._send(
            method,
            self._url(spec.name),
            params={"summarizeErrors": "false"},
            json={spec.name: elements},
            headers={"Idempotency-Key": self._idempotency_key(spec, operation, keys)},
            retry_writes=True,
        )
        status = response.status_code
        if status >= 400 and status != 400 and status != 413:
            raise FatalError(
                f"Xero answered {status} to {method} {spec.name}: {_problem(response)}"
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if status == 200 and isinstance(body, Mapping):
            answered = body.get(spec.name) or []
            at = self._answered_at(body)
        else:
            answered = body.get("Elements") or [] if isinstance(body, Mapping) else []
            at = self.clock()
        if (
            not isinstance(answered, list)
            or len(answered) != len(refs)
            or not all(isinstance(e, Mapping) for e in answered)
        ):
            return whole_call_failure(refs, _problem(response))
        results = [
            element_result(spec, ref, element, operation, at)
            for ref, element in zip(refs, answered, strict=True)
        ]
        return self._with_duplicate_ids(spec, results, elements)

    def _with_duplicate_ids(
        self, spec: ModuleSpec, results: list[WriteResult], elements: list[dict[str, Any]]
    ) -> list[WriteResult]:
        """Name the record a "duplicate" answer clashed with, so the engine can link to it."""
        field = spec.unique_field
        clashes = [
            (i, str(elements[i].get(field) or "").strip())
            for i, r in enumerate(results)
            if field and r.error is not None and r.error.code == "duplicate"
        ]
        values = _unique(v for _, v in clashes)
        if not field or not values:
            return results
        try:
            found = self.find_many(spec.name, field, values)
        except RetriableError:
            # The writes are done; their results matter more than the clash's id.
            return results
        owners: dict[str, str] = {}
        for record in sorted(found, key=_live_first):
            owners.setdefault(str(record.fields.get(field) or "").strip().casefold(), record.id)
        out = list(results)
        for index, value in clashes:
            owner = owners.get(value.casefold())
            error = out[index].error
            if owner is not None and error is not None:
                out[index] = WriteResult(
                    ref=out[index].ref,
                    ok=False,
                    error=WriteError(error.code, error.message, error.field, owner),
                )
        return out


def _same(left: Any, right: str) -> bool:
    return str(left or "").strip().casefold() == right.strip().casefold()


def _live_first(record: Record) -> int:
    # Names are unique among active contacts and numbers among sales invoices.
    fields = record.fields
    if fields.get("ContactStatus") not in (None, "ACTIVE"):
        return 1
    if fields.get("Type") not in (None, "ACCREC") or fields.get("Status") == "DELETED":
        return 1
    return 0


def from_connection(
    settings: dict[str, Any], token_store: TokenStore, *, http: httpx.Client | None = None
) -> XeroConnector:
    """A connector for a stored connection: non-secret ``settings``, secrets in the store.

    ``settings`` holds ``client_id`` and ``tenant_id`` (and, for other hosts, ``api_base``,
    ``connections_url``, ``token_url``); the app's ``client_secret`` comes from the store.
    """
    parsed = XeroSettings.parse(settings)
    secret = stored_secret(token_store, "client_secret")
    if not secret:
        raise ConfigError(
            "the Xero connection has no client_secret among its secrets; enter the app's "
            "client secret again"
        )
    client = http or httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0))
    return XeroConnector(
        client, settings=parsed, app=parsed.oauth_client(secret), token_store=token_store
    )


__all__ = [
    "CAPABILITIES",
    "XERO_LIMITS",
    "XeroConnector",
    "from_connection",
]
