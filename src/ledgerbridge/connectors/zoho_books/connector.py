"""The Zoho Books v3 connector (and Zoho ERP at ``/erp/v3``: the same API under another path).

Calls and their cost (every call carries ``organization_id``; 100 calls a minute):

- ``read_changes``: the list with ``per_page=200``, ``sort_column=last_modified_time``
  ascending and the ``last_modified_time`` filter. Page numbers shift when a record changes
  mid-read (it jumps to the end), so each next page restarts from the last modification time
  seen, with ``page`` counting only inside one second (from the place of the first record not
  read yet: one read and then written through the connector has left its place). Invoices and
  purchase orders are read one by one afterwards for their lines (the list leaves them out);
  contacts only when the caller asks for a field the list lacks (``contact_persons``,
  addresses, notes).
- ``get_many``: one ``GET /{module}/{id}`` per id; for many ids of a module whose list has
  every field, the module's list is read instead while that costs fewer calls.
- ``find_many``: one filtered list call per value (``contact_name=``, ``email=``, ``sku=``,
  ``invoice_number=`` …). For many values the whole module is read once instead: it stops
  as soon as it has cost as many calls as the values would have and then asks value by value,
  so it never costs more than twice the cheaper way without knowing the module's size.
- ``create_many`` / ``update_many``: the API takes one record per call (batch size 1). A
  create whose answer was lost is looked up by its unique field (contact name, SKU, number) or,
  for a numberless document, among the contact's documents created since the call.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import httpx

from ledgerbridge.connectors.base import Budget, Capabilities
from ledgerbridge.connectors.dates import parse_datetime
from ledgerbridge.connectors.http.client import ApiClient
from ledgerbridge.connectors.http.limiter import Limits, RateLimiter
from ledgerbridge.connectors.http.oauth import OAuthClient, utc_now
from ledgerbridge.connectors.http.tokens import TokenStore
from ledgerbridge.connectors.zoho_books import answers
from ledgerbridge.connectors.zoho_books.modules import (
    CONTACTS,
    MODULES,
    BooksModule,
    module,
    module_info,
)
from ledgerbridge.connectors.zoho_crm.accounts import (
    ZohoAuth,
    accounts_url,
    api_domain,
    client_secret,
    oauth_app,
    setting,
)
from ledgerbridge.domain.errors import (
    ConfigError,
    DailyLimitError,
    RateLimitedError,
    RetriableError,
)
from ledgerbridge.domain.records import (
    Draft,
    FieldInfo,
    OrgInfo,
    Page,
    Patch,
    Record,
    WriteError,
    WriteResult,
)

SYSTEM = "zoho_books"
SCOPES = ("ZohoBooks.fullaccess.all",)
PER_PAGE = 200
PER_MINUTE = 100
# A value or id count at which reading the whole module may be the cheaper way.
SCAN_FROM = 4
CREATE_SKEW = timedelta(minutes=2)
RECOVERY_ATTEMPTS = 5
# A Retry-After longer than this is the day's limit speaking, not the minute's.
DAY_WAIT = 600.0
Product = Literal["books", "erp"]

# Calls per day and at once, by plan (Zoho Books' published limits).
PLAN_LIMITS = {
    "free": (1000, 5),
    "standard": (2000, 10),
    "professional": (5000, 10),
    "premium": (10000, 10),
}


def plan_limits(plan: str = "premium") -> Limits:
    per_day, concurrency = PLAN_LIMITS.get(plan.lower(), (10000, 10))
    return Limits(per_minute=PER_MINUTE, concurrency=concurrency, per_day=per_day)


@dataclass(frozen=True, slots=True)
class Organization:
    """One organization the authorised user can reach."""

    organization_id: str
    name: str
    currency_code: str
    is_default: bool


def _filter_time(moment: datetime) -> str:
    """``2013-11-18T02:31:51+0000``: the filter's own shape, no colon in the offset."""
    if moment.utcoffset() is None:
        raise ValueError("since must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _same(left: Any, right: Any) -> bool:
    """Zoho Books compares text ignoring case and surrounding spaces."""
    return str(left or "").strip().casefold() == str(right or "").strip().casefold()


class ZohoBooksConnector:
    """One Zoho Books (or Zoho ERP) organization.

    The connector owns ``http``: it installs its auth and a response hook on it, so each
    connector gets a client of its own.
    """

    system = SYSTEM
    capabilities = Capabilities(
        page_size=PER_PAGE, batch_size=1, lookup_batch=1, idempotency=False, webhooks=False
    )

    def __init__(
        self,
        http: httpx.Client,
        *,
        app: OAuthClient,
        token_store: TokenStore,
        organization_id: str,
        product: Product = "books",
        api_domain: str | None = None,
        data_centre: str = "com",
        clock: Callable[[], datetime] = utc_now,
        limits: Limits | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if product not in ("books", "erp"):
            raise ConfigError(f"zoho_books product must be 'books' or 'erp', not {product!r}")
        self.http = http
        self.app = app
        self.token_store = token_store
        self.organization_id = str(organization_id)
        self.product = product
        self.clock = clock
        self.data_centre = data_centre
        self._domain_override = api_domain.rstrip("/") if api_domain else None
        self.auth = ZohoAuth(app, token_store, http, clock=clock)
        http.auth = self.auth
        # Ids written per module while that module's change feed is being read.
        self._written: dict[str, set[str]] = {}
        self.limiter = RateLimiter(
            limits or plan_limits(), clock=monotonic, sleep=sleep, wall=clock
        )
        self.api = ApiClient(http, system=SYSTEM, limiter=self.limiter, sleep=sleep, rng=rng)
        http.event_hooks.setdefault("response", []).append(self._day_spent)
        self._org: OrgInfo | None = None

    # -- plumbing --------------------------------------------------------------------------------

    def _day_spent(self, response: httpx.Response) -> None:
        """A 429 for the day's budget: waiting for Retry-After (midnight) is no retry."""
        if response.status_code != 429:
            return
        try:
            wait = float(response.headers.get("retry-after", "0"))
        except ValueError:
            wait = 0.0
        response.read()
        try:
            message = str(response.json().get("message", ""))
        except (ValueError, AttributeError):
            message = ""
        if wait <= DAY_WAIT and "per day" not in message.lower():
            return
        self.limiter.day_spent()
        reset = self.clock() + timedelta(seconds=wait) if wait > DAY_WAIT else None
        raise DailyLimitError(
            f"zoho_books: {message or 'the daily API limit is reached'}",
            reset_at=reset or self.limiter.next_reset(),
        )

    def base_url(self) -> str:
        if self._domain_override:
            root = self._domain_override
        else:
            tokens, _ = self.token_store.load()
            domain = tokens.extra.get("api_domain")
            root = str(domain).rstrip("/") if domain else api_domain(self.data_centre)
        return f"{root}/{self.product}/v3"

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry_writes: bool = False,
        organization: bool = True,
    ) -> httpx.Response:
        query = dict(params or {})
        if organization:
            query["organization_id"] = self.organization_id
        return self.api.send(
            method,
            f"{self.base_url()}/{path}",
            params=query,
            json=json,
            retry_writes=retry_writes,
        )

    def _list(self, spec: BooksModule, what: str, **params: Any) -> tuple[list[Any], bool]:
        body = answers.raise_for_call(
            self._send("GET", spec.name, params={"per_page": PER_PAGE, **params}), what
        )
        rows = [r for r in body.get(spec.name, []) if isinstance(r, Mapping)]
        more = bool((body.get("page_context") or {}).get("has_more_page"))
        return rows, more

    def _get_one(self, spec: BooksModule, record_id: str) -> dict[str, Any] | None:
        response = self._send("GET", f"{spec.name}/{record_id}")
        body = answers.envelope(response)
        if answers.code_of(body) == answers.CODE_DOES_NOT_EXIST or response.status_code == 404:
            return None
        body = answers.raise_for_call(response, f"reading {spec.singular} {record_id}")
        found = body.get(spec.singular)
        return dict(found) if isinstance(found, Mapping) else None

    # -- metadata --------------------------------------------------------------------------------

    def organizations(self) -> list[Organization]:
        """The organizations the authorised user belongs to, to choose one."""
        response = self._send("GET", "organizations", organization=False)
        body = answers.raise_for_call(response, "the organization list")
        return [
            Organization(
                organization_id=str(o["organization_id"]),
                name=str(o.get("name") or ""),
                currency_code=str(o.get("currency_code") or ""),
                is_default=bool(o.get("is_default_org")),
            )
            for o in body.get("organizations", [])
            if isinstance(o, Mapping)
        ]

    def budget(self) -> Budget | None:
        """The day's remaining API calls as the rate limiter knows them."""
        return self.limiter.budget()

    def describe(self) -> OrgInfo:
        if self._org is None:
            response = self._send("GET", f"organizations/{self.organization_id}")
            org = answers.raise_for_call(response, "the organization").get("organization") or {}
            currencies = answers.raise_for_call(
                self._send("GET", "settings/currencies"), "the currencies"
            ).get("currencies", [])
            self._org = OrgInfo(
                name=str(org.get("name") or ""),
                base_currency=str(org.get("currency_code") or "USD").upper(),
                multi_currency=len(currencies) > 1,
                modules=tuple(module_info(m, self._custom_fields(m)) for m in MODULES.values()),
                extra={
                    "organization_id": self.organization_id,
                    "time_zone": org.get("time_zone"),
                    "plan_name": org.get("plan_name"),
                    "product": self.product,
                    "currencies": [c.get("currency_code") for c in currencies],
                },
            )
        return self._org

    def _custom_fields(self, spec: BooksModule) -> tuple[FieldInfo, ...]:
        """The organisation's custom fields of a module that has them, as ``cf_<name>``."""
        if spec.custom_entity is None:
            return ()
        response = self._send("GET", "settings/fields", params={"entity": spec.custom_entity})
        rows = answers.raise_for_call(response, f"the {spec.singular} custom fields")
        out: list[FieldInfo] = []
        for row in rows.get("fields") or ():
            name = str(row.get("api_name") or "") if isinstance(row, Mapping) else ""
            if not name.startswith("cf_") or row.get("is_active") is False:
                continue
            out.append(
                FieldInfo(
                    name=name,
                    label=str(row.get("label") or name),
                    type=_CUSTOM_TYPES.get(str(row.get("data_type")), "text"),
                    required=bool(row.get("is_mandatory")),
                    custom=True,
                )
            )
        return tuple(out)

    def taxes(self) -> list[dict[str, Any]]:
        body = answers.raise_for_call(self._send("GET", "settings/taxes"), "the taxes")
        return [dict(t) for t in body.get("taxes", []) if isinstance(t, Mapping)]

    # -- reads -----------------------------------------------------------------------------------

    def read_changes(
        self, module_name: str, since: datetime | None, *, fields: Sequence[str] | None = None
    ) -> Iterator[Page]:
        spec = module(module_name)
        details = (
            spec.details_by_default
            if fields is None
            else any(f in spec.detail_fields for f in fields)
        )
        cursor = since
        number = 1
        by_number = False
        emitted: dict[str, datetime] = {}
        # Ids written through this connector while the feed is read: a record of the second
        # being paged through that was written since it was read has left its place.
        written: set[str] = set()
        self._written[spec.name] = written
        try:
            while True:
                if by_number and cursor is not None:
                    second = cursor.replace(microsecond=0)
                    in_place = {i for i, t in emitted.items() if t.replace(microsecond=0) == second}
                    number = len(in_place - written) // PER_PAGE + 1
                params: dict[str, Any] = {
                    "sort_column": "last_modified_time",
                    "sort_order": "A",
                    "page": number,
                }
                if cursor is not None:
                    params["last_modified_time"] = _filter_time(cursor)
                rows, more = self._list(spec, f"the {spec.name} change feed", **params)
                records = [answers.to_record(spec, r) for r in rows]
                fresh = [r for r in records if emitted.get(r.id) != r.modified_at]
                if details and fresh:
                    fresh = self._with_details(spec, fresh)
                for record in fresh:
                    emitted[record.id] = record.modified_at
                if not more or not records:
                    if fresh:
                        yield Page(fresh, next_token=None)
                    return
                last = records[-1].modified_at.replace(microsecond=0)
                if (cursor is not None and last <= cursor) or (
                    records[0].modified_at.replace(microsecond=0) == last
                ):
                    # a whole page inside one second: page on within it, by number
                    cursor, by_number = last, True
                else:
                    cursor, number, by_number = last, 1, False
                    written.clear()
                if fresh:
                    yield Page(fresh, next_token=f"{_filter_time(cursor)}#{len(emitted)}")
        finally:
            if self._written.get(spec.name) is written:
                del self._written[spec.name]

    def _with_details(self, spec: BooksModule, records: Sequence[Record]) -> list[Record]:
        out: list[Record] = []
        for record in records:
            full = self._get_one(spec, record.id)
            if full is not None:
                out.append(answers.to_record(spec, full))
        return out

    def get_many(self, module_name: str, ids: Sequence[str]) -> list[Record]:
        spec = module(module_name)
        wanted = [str(i) for i in dict.fromkeys(ids) if str(i).strip()]
        found: dict[str, Record] = {}
        if len(wanted) >= SCAN_FROM and not spec.details_by_default:
            scanned, complete = self._scan(spec, budget=len(wanted))
            found = {r.id: r for r in scanned if r.id in set(wanted)}
            if complete:
                return [found[i] for i in wanted if i in found]
        for record_id in wanted:
            if record_id in found:
                continue
            raw = self._get_one(spec, record_id)
            if raw is not None:
                found[record_id] = answers.to_record(spec, raw)
        return [found[i] for i in wanted if i in found]

    def _scan(self, spec: BooksModule, *, budget: int) -> tuple[list[Record], bool]:
        """The module's records in creation order, at most ``budget`` pages; complete or not."""
        records: list[Record] = []
        number = 1
        while number <= budget:
            rows, more = self._list(
                spec, f"all {spec.name}", sort_column="created_time", sort_order="A", page=number
            )
            records.extend(answers.to_record(spec, r) for r in rows)
            if not more:
                return records, True
            number += 1
        return records, False

    def find_many(self, module_name: str, field: str, values: Sequence[str]) -> list[Record]:
        spec = module(module_name)
        wanted = [v for v in dict.fromkeys(str(v) for v in values) if v.strip()]
        if not wanted:
            return []
        matches: list[Record] | None = None
        if len(wanted) >= SCAN_FROM or field not in spec.filters:
            # Without a filter for the field the whole module is the only way; with one, a
            # full read pays off only while it costs fewer calls than the values would.
            budget = len(wanted) if field in spec.filters else 10**9
            scanned, complete = self._scan(spec, budget=budget)
            if complete:
                keys = {v.strip().casefold() for v in wanted}
                matches = [r for r in scanned if _key(r.fields.get(field)) in keys]
        if matches is None:
            matches = []
            seen: set[str] = set()
            for value in wanted:
                for record in self._filtered(spec, field, value):
                    if record.id not in seen:
                        seen.add(record.id)
                        matches.append(record)
        if spec.details_by_default:
            return self._with_details(spec, matches)
        return matches

    def _filtered(self, spec: BooksModule, field: str, value: str) -> list[Record]:
        out: list[Record] = []
        number = 1
        while True:
            rows, more = self._list(spec, f"{spec.name} by {field}", page=number, **{field: value})
            out.extend(answers.to_record(spec, r) for r in rows if _same(r.get(field), value))
            if not more:
                return out
            number += 1

    # -- writes ----------------------------------------------------------------------------------

    def create_many(self, module_name: str, drafts: Sequence[Draft]) -> list[WriteResult]:
        spec = module(module_name)
        claimed: set[str] = set()
        results = []
        for draft in drafts:
            result = self._create(spec, draft, claimed)
            if result.ok and result.id:
                claimed.add(result.id)
            results.append(result)
        return results

    def _post(self, spec: BooksModule, draft: Draft) -> WriteResult:
        response = self._send("POST", spec.name, json=answers.custom_body(draft.fields))
        body = answers.envelope(response)
        if answers.code_of(body) == answers.CODE_OK and response.status_code < 400:
            raw = body.get(spec.singular) or {}
            record = answers.to_record(spec, raw)
            return WriteResult(ref=draft.ref, ok=True, id=record.id, record=record)
        if response.status_code >= 400 and answers.code_of(body) == -1:
            answers.raise_for_call(response, f"creating a {spec.singular}")
        error = answers.write_error(body)
        if error.code == "duplicate":
            error = replace(error, duplicate_id=self._duplicate_of(spec, draft.fields))
        return WriteResult(ref=draft.ref, ok=False, error=error)

    def _duplicate_of(self, spec: BooksModule, fields: Mapping[str, Any]) -> str | None:
        for key in spec.unique:
            value = fields.get(key)
            if isinstance(value, str) and value.strip() and key in spec.filters:
                found = self._filtered(spec, key, value)
                if found:
                    return found[0].id
        return None

    def _create(self, spec: BooksModule, draft: Draft, claimed: set[str]) -> WriteResult:
        started = self.clock()
        try:
            return self._post(spec, draft)
        except (RateLimitedError, DailyLimitError):
            raise
        except RetriableError as lost:
            problem: RetriableError = lost
        for _attempt in range(RECOVERY_ATTEMPTS):
            # The answer was lost; the record may exist. Look before sending it again.
            found = self._created_by_lost_call(spec, draft, started, claimed)
            if found is not None:
                return self._found_after_loss(spec, draft, found, started)
            started = self.clock()
            try:
                return self._post(spec, draft)
            except (RateLimitedError, DailyLimitError):
                raise
            except RetriableError as again:
                problem = again
        raise RetriableError(
            f"zoho_books: creating a {spec.singular} was not confirmed after "
            f"{RECOVERY_ATTEMPTS} lookups ({problem})"
        )

    def _found_after_loss(
        self, spec: BooksModule, draft: Draft, found: Record, started: datetime
    ) -> WriteResult:
        """Ours when created since the call; an older holder of the key makes it a duplicate."""
        created = found.fields.get("created_time")
        if isinstance(created, str) and parse_datetime(created) < started - CREATE_SKEW:
            key = next((k for k in spec.unique if draft.fields.get(k)), None)
            value = draft.fields.get(key) if key else None
            error = WriteError(
                "duplicate",
                f'The {spec.singular} "{value}" already exists.',
                key,
                found.id,
            )
            return WriteResult(ref=draft.ref, ok=False, error=error)
        return WriteResult(ref=draft.ref, ok=True, id=found.id, record=found)

    def _created_by_lost_call(
        self, spec: BooksModule, draft: Draft, started: datetime, claimed: set[str]
    ) -> Record | None:
        since = started - CREATE_SKEW
        for key in spec.unique:
            value = draft.fields.get(key)
            if isinstance(value, str) and value.strip():
                # A unique value names one record: the lost call's, or an older holder of it.
                found = [r for r in self._filtered(spec, key, value) if r.id not in claimed]
                return found[0] if found else None
        parent = spec.parent
        if parent is None or not draft.fields.get(parent):
            raise RetriableError(
                f"zoho_books: an answer to creating a {spec.singular} was lost and it carries "
                "nothing to look it up by; it was not sent again"
            )
        rows, _ = self._list(
            spec,
            f"{spec.name} created since the lost call",
            sort_column="created_time",
            sort_order="A",
            last_modified_time=_filter_time(since),
            **{parent: str(draft.fields[parent])},
        )
        reference = draft.fields.get("reference_number")
        for row in rows:
            created = row.get("created_time")
            record = answers.to_record(spec, row)
            if (
                record.id not in claimed
                and isinstance(created, str)
                and parse_datetime(created) >= since
                and (reference is None or _same(row.get("reference_number"), reference))
            ):
                return record
        return None

    def archive_many(self, module_name: str, ids: Sequence[str]) -> list[WriteResult]:
        """Mark contacts or items inactive (``POST /{module}/{id}/inactive``): kept, not deleted.

        Books has no archive for documents; an invoice or purchase order is refused per record.
        """
        spec = module(module_name)
        if spec.name in self._written:
            self._written[spec.name].update(ids)
        results: list[WriteResult] = []
        for record_id in ids:
            if spec.name not in ("contacts", "items"):
                error = WriteError(
                    "other",
                    f"Zoho Books cannot mark {spec.name} inactive; void or delete it in Books",
                )
                results.append(WriteResult(ref=record_id, ok=False, error=error))
                continue
            # Marking inactive twice is harmless, so a lost answer is simply retried.
            response = self._send("POST", f"{spec.name}/{record_id}/inactive", retry_writes=True)
            body = answers.envelope(response)
            if answers.code_of(body) == answers.CODE_OK and response.status_code < 400:
                results.append(WriteResult(ref=record_id, ok=True, id=record_id))
                continue
            if answers.code_of(body) == -1:
                answers.raise_for_call(response, f"marking a {spec.singular} inactive")
            results.append(WriteResult(ref=record_id, ok=False, error=answers.write_error(body)))
        return results

    def figures(self, module_name: str, ids: Sequence[str]) -> dict[str, dict[str, float]]:
        """Figures of contacts by id: ``receivables_outstanding`` and ``sales_total``.

        The outstanding receivables are the contact's own ``outstanding_receivable_amount``;
        total sales add up its invoices that are neither draft nor void, in the base currency
        (``total`` times the invoice's ``exchange_rate``). Contacts cost what ``get_many``
        costs; invoices one filtered list per contact, or one read of all invoices when that
        is cheaper (stopping, as ``find_many`` does, once it would cost more).
        """
        if module(module_name).name != "contacts":
            return {}
        out: dict[str, dict[str, float]] = {}
        for contact in self.get_many("contacts", ids):
            outstanding = contact.fields.get("outstanding_receivable_amount")
            out[contact.id] = {
                "receivables_outstanding": float(outstanding or 0),
                "sales_total": 0.0,
            }
        if not out:
            return out
        spec = module("invoices")
        invoices: list[Record] | None = None
        if len(out) >= SCAN_FROM:
            scanned, complete = self._scan(spec, budget=len(out))
            invoices = scanned if complete else None
        if invoices is None:
            invoices = []
            for contact_id in out:
                invoices.extend(self._filtered(spec, "customer_id", contact_id))
        sales: dict[str, Decimal] = {}
        for invoice in invoices:
            customer = str(invoice.fields.get("customer_id") or "")
            if customer not in out or str(invoice.fields.get("status")) in NO_SALE:
                continue
            rate = Decimal(str(invoice.fields.get("exchange_rate") or 1))
            total = Decimal(str(invoice.fields.get("total") or 0)) * rate
            sales[customer] = sales.get(customer, Decimal(0)) + total
        for customer, total in sales.items():
            out[customer]["sales_total"] = float(total.quantize(Decimal("0.01")))
        return out

    def update_many(self, module_name: str, patches: Sequence[Patch]) -> list[WriteResult]:
        spec = module(module_name)
        if spec.name in self._written:
            self._written[spec.name].update(p.id for p in patches)
        results = []
        for patch in patches:
            fields = answers.custom_body(patch.fields)
            if spec is CONTACTS and isinstance(fields.get("contact_persons"), list):
                fields["contact_persons"] = self._keep_person_ids(
                    patch.id, fields["contact_persons"]
                )
            # Setting the same values again is harmless, so a lost answer is simply retried.
            response = self._send("PUT", f"{spec.name}/{patch.id}", json=fields, retry_writes=True)
            body = answers.envelope(response)
            if answers.code_of(body) == answers.CODE_OK and response.status_code < 400:
                raw = body.get(spec.singular) or {}
                record = answers.to_record(spec, raw) if raw else None
                results.append(WriteResult(ref=patch.id, ok=True, id=patch.id, record=record))
                continue
            if answers.code_of(body) == -1:
                answers.raise_for_call(response, f"updating a {spec.singular}")
            results.append(WriteResult(ref=patch.id, ok=False, error=answers.write_error(body)))
        return results

    def _keep_person_ids(self, contact_id: str, people: list[Any]) -> list[Any]:
        """The persons sent, each carrying the ``contact_person_id`` Books has for it.

        Books replaces the whole list on an update and recreates a person sent without its id
        (a new id, its other fields lost); the stored persons are read and matched by e-mail,
        else by name.
        """
        current = self._get_one(CONTACTS, contact_id)
        stored = [p for p in (current or {}).get("contact_persons") or [] if isinstance(p, dict)]
        by_mail = {_key(p.get("email")): p for p in stored if _key(p.get("email"))}
        by_name = {
            (_key(p.get("first_name")), _key(p.get("last_name"))): p
            for p in stored
            if _key(p.get("first_name")) or _key(p.get("last_name"))
        }
        taken: set[str] = set()
        out: list[Any] = []
        for person in people:
            if not isinstance(person, dict) or person.get("contact_person_id"):
                out.append(person)
                continue
            found = by_mail.get(_key(person.get("email"))) or by_name.get(
                (_key(person.get("first_name")), _key(person.get("last_name")))
            )
            person_id = str((found or {}).get("contact_person_id") or "")
            if person_id and person_id not in taken:
                taken.add(person_id)
                out.append({"contact_person_id": person_id, **person})
            else:
                out.append(person)
        return out


# Books' custom field data types, in the words of field metadata; any other reads as text.
_CUSTOM_TYPES = {
    "number": "number",
    "decimal": "decimal",
    "amount": "decimal",
    "percent": "decimal",
    "date": "date",
    "check_box": "boolean",
    "email": "email",
    "dropdown": "picklist",
}

# Invoices that are no sale (yet, or any more).
NO_SALE = frozenset({"draft", "void"})


def _key(value: Any) -> str:
    return str(value or "").strip().casefold()


def from_connection(
    settings: Mapping[str, Any], token_store: TokenStore, *, http: httpx.Client | None = None
) -> ZohoBooksConnector:
    """A connector from a stored connection.

    Settings: ``client_id``, ``organization_id``; ``product`` (``books`` or ``erp``);
    ``data_centre`` or ``accounts_url`` and ``api_domain`` to override both hosts; optional
    ``plan`` (``free`` … ``premium``), ``calls_per_day`` and ``redirect_uri``. The client secret
    comes from the connection's secrets.
    """
    centre = str(settings.get("data_centre") or "com")
    accounts = str(settings.get("accounts_url") or "") or accounts_url(centre)
    app = oauth_app(
        client_id=setting(settings, "client_id"),
        client_secret=client_secret(token_store),
        accounts=accounts,
        scopes=SCOPES,
        redirect_uri=str(settings.get("redirect_uri") or ""),
    )
    limits = plan_limits(str(settings.get("plan") or "premium"))
    if settings.get("calls_per_day"):
        limits = replace(limits, per_day=int(settings["calls_per_day"]))
    product = str(settings.get("product") or "books")
    if product not in ("books", "erp"):
        raise ConfigError(f"zoho_books product must be 'books' or 'erp', not {product!r}")
    return ZohoBooksConnector(
        http or httpx.Client(timeout=60.0),
        app=app,
        token_store=token_store,
        organization_id=setting(settings, "organization_id"),
        product="erp" if product == "erp" else "books",
        api_domain=str(settings.get("api_domain") or "") or None,
        data_centre=centre,
        limits=limits,
    )
