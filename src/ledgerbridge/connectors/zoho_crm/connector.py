"""The Zoho CRM v8 connector.

Calls and their cost (one call = one API credit unless said):

- ``read_changes``: ``GET /{module}`` with ``per_page=200``, ``sort_by=Modified_Time`` ascending
  and ``If-Modified-Since``; ``page`` for the first 2,000 records, then ``page_token``. Zoho
  returns at most 50 fields per call: past 50, the first group pages and every further group is
  read for the page's ids (``ids=``, 100 per call) and merged by id, so a record never mixes two
  versions from pages that shifted in between. Deleted records since the cursor come from
  ``GET /{module}/deleted`` as tombstones, in time order with the rest.
- ``get_many``: ``ids=`` with 100 ids per call (times the field groups).
- ``find_many``: up to 10 values fit one search call (``criteria`` of ``equals`` joined by
  ``or``) which returns whole records: 1 call. More values go to COQL ``in`` (50 values per
  call, ids only) and then ``get_many``: 1,000 keys cost 20 + 10 = 30 calls instead of the 100
  searches. COQL also reads the database directly, without the search index's lag.
- ``create_many`` / ``update_many``: 100 records per call with ``trigger: []`` (10 credits).
  A create whose answer was lost is never sent again blindly: the records are looked up by a
  unique field (else the module's display field) through COQL, created at or after the call,
  and only the ones not found are sent again. Updates set values and are safe to repeat.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ledgerbridge.connectors.base import Budget, Capabilities
from ledgerbridge.connectors.dates import parse_datetime
from ledgerbridge.connectors.http.client import ApiClient
from ledgerbridge.connectors.http.limiter import Limits, RateLimiter
from ledgerbridge.connectors.http.oauth import OAuthClient, exchange_code, utc_now
from ledgerbridge.connectors.http.tokens import TokenSet, TokenStore
from ledgerbridge.connectors.zoho_crm import answers, escaping, views
from ledgerbridge.connectors.zoho_crm.accounts import (
    ZohoAuth,
    accounts_url,
    api_domain,
    client_secret,
    oauth_app,
    setting,
)
from ledgerbridge.connectors.zoho_crm.channels import (
    Channel,
    ChannelAnswer,
    channel_answer,
    listed_channel,
)
from ledgerbridge.connectors.zoho_crm.metadata import (
    FieldMeta,
    ModuleSummary,
    field_meta,
    module_summary,
)
from ledgerbridge.domain.config import ViewCondition
from ledgerbridge.domain.errors import (
    ConfigError,
    DailyLimitError,
    FatalError,
    RateLimitedError,
    RetriableError,
)
from ledgerbridge.domain.records import (
    Draft,
    ModuleInfo,
    OrgInfo,
    Page,
    Patch,
    Record,
    WriteResult,
)

SYSTEM = "zoho_crm"
SCOPES = (
    "ZohoCRM.modules.ALL",
    "ZohoCRM.settings.ALL",
    "ZohoCRM.org.READ",
    "ZohoCRM.users.READ",
    "ZohoCRM.coql.READ",
    "ZohoCRM.notifications.ALL",
)
PER_PAGE = 200
PAGE_WINDOW = 2000  # records ``page`` reaches; ``page_token`` after that
MAX_FIELDS = 50
MAX_IDS = 100
MAX_WRITE = 100
MAX_CRITERIA = 10
COQL_IN = 50
COQL_LIMIT = 2000
SEARCH_WINDOW = 2000
# How far our clock and Zoho's may differ when telling records created by a lost call.
CREATE_SKEW = timedelta(minutes=2)
RECOVERY_ATTEMPTS = 5
# The continuation of the last records page when deleted records still follow.
TOMBSTONES_FOLLOW = "deleted:0"

# Concurrency per organisation and daily credits, by edition (the facts).
EDITION_CONCURRENCY = {"free": 5, "standard": 10, "professional": 15, "enterprise": 20}
EDITION_CREDITS = {"free": (5000, 0), "standard": (50000, 250), "professional": (50000, 500)}


def edition_limits(edition: str = "enterprise", users: int = 1) -> Limits:
    """Daily credits and concurrency of a Zoho CRM edition (``ultimate`` allows 25 at once)."""
    name = edition.lower()
    base, per_user = EDITION_CREDITS.get(name, (50000, 1000))
    concurrency = 25 if name == "ultimate" else EDITION_CONCURRENCY.get(name, 20)
    return Limits(per_minute=None, concurrency=concurrency, per_day=base + per_user * users)


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _since_header(since: datetime) -> str:
    if since.utcoffset() is None:
        raise ValueError("since must be timezone-aware")
    return since.astimezone(UTC).isoformat(timespec="seconds")


def _plain(value: Any) -> bool:
    """A value a record can be looked up by: text or a number, not empty."""
    return (
        isinstance(value, str | int | float)
        and not isinstance(value, bool)
        and bool(str(value).strip())
    )


def _key_text(value: Any) -> str:
    return str(value).strip().casefold()


class ZohoCrmConnector:
    """One authorised Zoho CRM organisation.

    The connector owns ``http``: it installs its auth and a response hook on it, so each
    connector gets a client of its own (tests share one transport between clients).
    """

    system = SYSTEM
    capabilities = Capabilities(
        page_size=PER_PAGE,
        batch_size=MAX_WRITE,
        lookup_batch=COQL_IN,
        idempotency=False,
        webhooks=True,
    )

    def __init__(
        self,
        http: httpx.Client,
        *,
        app: OAuthClient,
        token_store: TokenStore,
        api_domain: str | None = None,
        data_centre: str = "com",
        clock: Callable[[], datetime] = utc_now,
        limits: Limits | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        describe_modules: Sequence[str] | None = None,
    ) -> None:
        self.http = http
        self.app = app
        self.token_store = token_store
        self.clock = clock
        self.data_centre = data_centre
        self._domain_override = api_domain.rstrip("/") if api_domain else None
        self.auth = ZohoAuth(app, token_store, http, clock=clock)
        # The connector owns its client: every call through it carries the token.
        http.auth = self.auth
        self.limiter = RateLimiter(
            limits or edition_limits(), clock=monotonic, sleep=sleep, wall=clock
        )
        self.api = ApiClient(http, system=SYSTEM, limiter=self.limiter, sleep=sleep, rng=rng)
        http.event_hooks.setdefault("response", []).append(self._credits_spent)
        self.describe_modules = tuple(describe_modules) if describe_modules else None
        self._modules: dict[str, ModuleSummary] | None = None
        self._fields: dict[str, dict[str, FieldMeta]] = {}
        self._org: OrgInfo | None = None
        # Ids written per module while that module's change feed is being read.
        self._written: dict[str, set[str]] = {}

    # -- plumbing --------------------------------------------------------------------------------

    def base_url(self) -> str:
        """``{api_domain}/crm/v8``: the override, else the token answer's, else the centre's."""
        if self._domain_override:
            return f"{self._domain_override}/crm/v8"
        tokens, _ = self.token_store.load()
        domain = tokens.extra.get("api_domain")
        root = str(domain).rstrip("/") if domain else api_domain(self.data_centre)
        return f"{root}/crm/v8"

    def _credits_spent(self, response: httpx.Response) -> None:
        """A 429 with no credits left is the day's budget, not a moment's: waiting won't help."""
        if response.status_code != 429 or response.headers.get("x-ratelimit-remaining") != "0":
            return
        self.limiter.day_spent()
        reset = self.limiter.next_reset()
        with contextlib.suppress(ValueError):
            millis = int(response.headers.get("x-ratelimit-reset", ""))
            reset = datetime.fromtimestamp(millis / 1000, tz=UTC)
        raise DailyLimitError("zoho_crm: the day's API credits are spent", reset_at=reset)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_writes: bool = False,
    ) -> httpx.Response:
        response = self.api.send(
            method,
            f"{self.base_url()}/{path}",
            params=params,
            json=json,
            headers=headers,
            retry_writes=retry_writes,
        )
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is not None:
            # Credits left for the day, as Zoho counts them (a write of 100 costs 10).
            with contextlib.suppress(ValueError):
                self.limiter.remaining_day = int(remaining)
        return response

    def _get(self, path: str, what: str, **params: Any) -> dict[str, Any]:
        return answers.raise_for_call(self._send("GET", path, params=params), what)

    # -- metadata --------------------------------------------------------------------------------

    def modules(self) -> list[ModuleSummary]:
        """Every module of ``/settings/modules`` (cached)."""
        if self._modules is None:
            body = self._get("settings/modules", "the module list")
            found = [module_summary(m) for m in body.get("modules", []) if isinstance(m, Mapping)]
            self._modules = {m.api_name: m for m in found}
        return list(self._modules.values())

    def field_meta(self, module: str) -> dict[str, FieldMeta]:
        if module not in self._fields:
            body = self._get("settings/fields", f"the fields of {module}", module=module)
            metas = [field_meta(f) for f in body.get("fields", []) if isinstance(f, Mapping)]
            self._fields[module] = {m.info.name: m for m in metas}
        return self._fields[module]

    def fields(self, module: str) -> ModuleInfo:
        """The module with its fields, custom ones included."""
        summary = next((m for m in self.modules() if m.api_name == module), None)
        metas = self.field_meta(module)
        label = summary.label if summary else module
        return ModuleInfo(module, label, tuple(m.info for m in metas.values()))

    def budget(self) -> Budget | None:
        """The day's remaining API calls as the rate limiter knows them."""
        return self.limiter.budget()

    def describe(self) -> OrgInfo:
        if self._org is None:
            body = self._get("org", "the organisation")
            org = (body.get("org") or [{}])[0]
            wanted = self.describe_modules or tuple(
                m.api_name for m in self.modules() if m.api_supported
            )
            self._org = OrgInfo(
                name=str(org.get("company_name") or ""),
                base_currency=str(org.get("iso_code") or "USD").upper(),
                multi_currency=bool(org.get("mc_status")),
                modules=tuple(self.fields(m) for m in wanted),
                extra={
                    "org_id": org.get("id"),
                    "zgid": org.get("zgid"),
                    "time_zone": org.get("time_zone"),
                    "currency_symbol": org.get("currency_symbol"),
                    "edition": (org.get("license_details") or {}).get("paid_type"),
                },
            )
        return self._org

    def org_info(self) -> OrgInfo:
        """The organisation without its field lists: one call (base currency, currencies)."""
        if self._org is not None:
            return self._org
        org = (self._get("org", "the organisation").get("org") or [{}])[0]
        return OrgInfo(
            name=str(org.get("company_name") or ""),
            base_currency=str(org.get("iso_code") or "USD").upper(),
            multi_currency=bool(org.get("mc_status")),
        )

    def view_conditions(self, module: str, view_id: str) -> tuple[ViewCondition, ...]:
        """A custom view's criteria as conditions (``GET /settings/custom_views/{id}``)."""
        body = self._get(f"settings/custom_views/{view_id}", "a custom view", module=module)
        found = [v for v in body.get("custom_views") or [] if isinstance(v, Mapping)]
        if not found:
            raise ConfigError(f"the CRM has no custom view {view_id} of {module}")
        return views.conditions(view_id, found[0].get("criteria"))

    def _field_groups(self, module: str, fields: Sequence[str] | None) -> list[list[str]]:
        """Groups of at most 50 names; the first holds ``Modified_Time`` for the order."""
        names = list(fields) if fields else list(self.field_meta(module))
        ordered = [
            "Modified_Time",
            *[n for n in dict.fromkeys(names) if n not in ("id", "Modified_Time")],
        ]
        return [list(g) for g in _chunks(ordered, MAX_FIELDS)]

    # -- reads -----------------------------------------------------------------------------------

    def read_changes(
        self, module: str, since: datetime | None, *, fields: Sequence[str] | None = None
    ) -> Iterator[Page]:
        groups = self._field_groups(module, fields)
        pending = self._tombstones(module, since) if since is not None else []
        # Pages are asked by number over a list sorted by modification time, and a record
        # changed while the list is read (a write-back, most often) jumps to its end: every
        # record behind it moves one place up, onto a page already read, and would never be
        # seen. So after each page the list starts again at the second of the page's last
        # record (``If-Modified-Since`` is inclusive and exact to the second), leaving out
        # what was handed over; only a page inside a single second goes on by number, counting
        # the records of that second written through this connector since they were read.
        query_since = _second(since) if since is not None else None
        number = 1
        by_number = False
        token: str | None = None
        seen: dict[str, datetime] = {}  # read since the list last started again, by id
        written: set[str] = set()
        self._written[module] = written
        try:
            while True:
                params: dict[str, Any] = {
                    "fields": ",".join(groups[0]),
                    "per_page": PER_PAGE,
                    "sort_by": "Modified_Time",
                    "sort_order": "asc",
                }
                if by_number and token is None:
                    # From the place of the first record not read yet: records read and
                    # written since (by the caller, after the last page) left their places.
                    number = len(seen.keys() - written) // PER_PAGE + 1
                if token is not None:
                    params["page_token"] = token
                else:
                    params["page"] = number
                headers = (
                    {"If-Modified-Since": _since_header(query_since)}
                    if query_since is not None
                    else None
                )
                response = self._send("GET", module, params=params, headers=headers)
                body = answers.raise_for_call(response, f"the {module} change feed")
                listed = answers.rows_of(body)
                info = body.get("info")
                info = info if isinstance(info, Mapping) else {}
                more = bool(info.get("more_records")) and bool(listed)
                times = [answers.row_time(r, module) for r in listed]
                fresh_rows = [
                    r for r, t in zip(listed, times, strict=True) if seen.get(str(r["id"])) != t
                ]
                rows = self._complete(module, fresh_rows, groups[1:])
                records = [answers.to_record(module, r) for r in rows]
                for row, moment in zip(listed, times, strict=True):
                    seen.setdefault(str(row["id"]), moment)
                if records:
                    first = records[0].modified_at
                    older = [t for t in pending if t.modified_at < first]
                    pending = [t for t in pending if t.modified_at >= first]
                    for chunk in _chunks(older, PER_PAGE):
                        yield Page(list(chunk), next_token=f"page:{number}")
                next_token: str | None = None
                if more:
                    last = _second(times[-1])
                    later = query_since is None or last > query_since
                    if later and any(_second(t) < last for t in times):
                        # start again at the last record's second, minus what it handed over
                        query_since, number, by_number, token = last, 1, False, None
                        seen = {
                            str(r["id"]): t
                            for r, t in zip(listed, times, strict=True)
                            if _second(t) == last
                        }
                        written.clear()
                    elif token is not None or len(seen) >= PAGE_WINDOW:
                        # one second holds more than ``page`` reaches: the token goes on
                        token = str(info.get("next_page_token") or "") or None
                        if token is None:
                            raise FatalError("zoho_crm: no page_token past the first 2,000 records")
                    else:
                        by_number = True  # one second fills the page: page on by number
                    start = _since_header(query_since) if query_since is not None else "-"
                    next_token = token or f"{start}|after:{len(seen)}"
                if records:
                    if next_token is None and pending:
                        next_token = TOMBSTONES_FOLLOW
                    yield Page(records, next_token=next_token)
                if not more:
                    break
        finally:
            if self._written.get(module) is written:
                del self._written[module]
        for index, chunk in enumerate(_chunks(pending, PER_PAGE)):
            last_chunk = (index + 1) * PER_PAGE >= len(pending)
            yield Page(list(chunk), next_token=None if last_chunk else f"deleted:{index + 1}")

    def _tombstones(self, module: str, since: datetime) -> list[Record]:
        """Records deleted at or after ``since``, oldest first (the API lists newest first)."""
        found: list[Record] = []
        number = 1
        while True:
            body = self._get(
                f"{module}/deleted", f"deleted {module}", type="all", page=number, per_page=PER_PAGE
            )
            rows = answers.rows_of(body)
            stop = False
            for row in rows:
                stamp = row.get("deleted_time")
                if not isinstance(stamp, str):
                    continue
                moment = parse_datetime(stamp)
                if moment < since.replace(microsecond=0):
                    stop = True
                    break
                found.append(
                    Record(
                        id=str(row["id"]),
                        module=module,
                        fields={"display_name": row.get("display_name")},
                        modified_at=moment,
                        deleted=True,
                    )
                )
            if stop or not answers.more_records(body):
                break
            number += 1
        found.sort(key=lambda r: (r.modified_at, r.id))
        return found

    def _by_ids(
        self, module: str, ids: Sequence[str], group: Sequence[str]
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for chunk in _chunks(list(ids), MAX_IDS):
            body = self._get(module, f"{module} by id", ids=",".join(chunk), fields=",".join(group))
            rows.extend(dict(r) for r in answers.rows_of(body))
        return rows

    def _complete(
        self, module: str, rows: Sequence[Mapping[str, Any]], groups: Sequence[Sequence[str]]
    ) -> list[dict[str, Any]]:
        """Add the fields of further groups to ``rows``, merged by id."""
        merged = {str(r["id"]): dict(r) for r in rows}
        if merged:
            for group in groups:
                for extra in self._by_ids(module, list(merged), group):
                    target = merged.get(str(extra["id"]))
                    if target is not None:
                        target.update({k: v for k, v in extra.items() if k != "Modified_Time"})
        return list(merged.values())

    def get_many(self, module: str, ids: Sequence[str]) -> list[Record]:
        wanted = [str(i) for i in dict.fromkeys(ids) if str(i)]
        if not wanted:
            return []
        groups = self._field_groups(module, None)
        rows = self._by_ids(module, wanted, groups[0])
        return [answers.to_record(module, r) for r in self._complete(module, rows, groups[1:])]

    def find_many(self, module: str, field: str, values: Sequence[str]) -> list[Record]:
        wanted = [v for v in dict.fromkeys(str(v) for v in values) if v.strip()]
        if not wanted:
            return []
        if len(wanted) <= MAX_CRITERIA:
            return self._search(module, field, wanted)
        ids = self._coql_ids(module, field, wanted)
        return self.get_many(module, list(ids))

    def _search(self, module: str, field: str, values: Sequence[str]) -> list[Record]:
        groups = self._field_groups(module, None)
        criteria = escaping.equals_any(field, values)
        rows: list[Mapping[str, Any]] = []
        number = 1
        while True:
            body = self._get(
                f"{module}/search",
                f"a search of {module}",
                criteria=criteria,
                fields=",".join(groups[0]),
                per_page=PER_PAGE,
                page=number,
            )
            rows.extend(answers.rows_of(body))
            more = answers.more_records(body)
            if not more or number * PER_PAGE >= SEARCH_WINDOW:
                break
            number += 1
        return [answers.to_record(module, r) for r in self._complete(module, rows, groups[1:])]

    def coql(self, query: str) -> list[dict[str, Any]]:
        """Rows of one COQL select (``[]`` when nothing matches)."""
        response = self._send("POST", "coql", json={"select_query": query}, retry_writes=True)
        body = answers.raise_for_call(response, "a COQL query")
        return [dict(r) for r in answers.rows_of(body)]

    def _coql_rows(
        self, module: str, field: str, values: Sequence[str], columns: Sequence[str]
    ) -> list[dict[str, Any]]:
        meta = self.field_meta(module).get(field)
        data_type = meta.data_type if meta else "text"
        rows: list[dict[str, Any]] = []
        select = ", ".join(dict.fromkeys(["id", *columns]))
        for chunk in _chunks(list(values), COQL_IN):
            offset = 0
            while True:
                query = (
                    f"select {select} from {module} where "
                    f"{escaping.coql_in(field, chunk, data_type)} "
                    f"order by id limit {offset}, {COQL_LIMIT}"
                )
                found = self.coql(query)
                rows.extend(found)
                if len(found) < COQL_LIMIT:
                    break
                offset += COQL_LIMIT
        return rows

    def _coql_ids(self, module: str, field: str, values: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(str(r["id"]) for r in self._coql_rows(module, field, values, [])))

    # -- writes ----------------------------------------------------------------------------------

    def create_many(self, module: str, drafts: Sequence[Draft]) -> list[WriteResult]:
        results: list[WriteResult] = []
        created: set[str] = set()
        for chunk in _chunks(list(drafts), MAX_WRITE):
            batch = self._create_batch(module, list(chunk), created)
            created.update(r.id for r in batch if r.ok and r.id)
            results.extend(batch)
        return results

    def _post_drafts(self, module: str, drafts: Sequence[Draft]) -> list[WriteResult]:
        body = {"data": [dict(d.fields) for d in drafts], "trigger": []}
        response = self._send("POST", module, json=body)
        got = answers.write_answers(response, len(drafts), f"creating {module}")
        return [
            answers.write_result(d.ref, a, updating=False) for d, a in zip(drafts, got, strict=True)
        ]

    def _create_batch(
        self, module: str, drafts: list[Draft], created: set[str]
    ) -> list[WriteResult]:
        started = self.clock()
        try:
            return self._post_drafts(module, drafts)
        except (RateLimitedError, DailyLimitError):
            raise
        except RetriableError as lost:
            problem: RetriableError = lost
        done: dict[str, WriteResult] = {}
        pending = drafts
        for _attempt in range(RECOVERY_ATTEMPTS):
            # The answer was lost: whatever Zoho created from it is there now. Find it first.
            found = self._created_by_lost_call(module, pending, started, created)
            for draft in pending:
                if draft.ref in found:
                    done[draft.ref] = WriteResult(ref=draft.ref, ok=True, id=found[draft.ref])
                    created.add(found[draft.ref])
            pending = [d for d in pending if d.ref not in found]
            if not pending:
                break
            started = self.clock()
            try:
                for result in self._post_drafts(module, pending):
                    done[result.ref] = result
                pending = []
                break
            except (RateLimitedError, DailyLimitError):
                raise
            except RetriableError as again:
                problem = again
        if pending:
            raise RetriableError(
                f"zoho_crm: creating {module} was not confirmed after {RECOVERY_ATTEMPTS} "
                f"lookups ({problem})"
            )
        return [done[d.ref] for d in drafts]

    def _retry_key(self, module: str, drafts: Sequence[Draft]) -> str:
        metas = self.field_meta(module)
        present = [name for name in metas if all(_plain(d.fields.get(name)) for d in drafts)]
        unique = [n for n in present if metas[n].unique]
        if unique:
            return unique[0]
        summary = next((m for m in self.modules() if m.api_name == module), None)
        if summary and summary.display_field in present:
            return summary.display_field
        texts = [n for n in present if metas[n].data_type in ("text", "email", "phone")]
        if texts:
            return texts[0]
        raise RetriableError(
            f"zoho_crm: an answer to creating {module} was lost and the records carry no field "
            "to look them up by; the create was not repeated"
        )

    def _created_by_lost_call(
        self, module: str, drafts: Sequence[Draft], started: datetime, claimed: set[str]
    ) -> dict[str, str]:
        """Draft ref -> id of records the lost call created (matched by key, oldest first)."""
        key = self._retry_key(module, drafts)
        values = list(dict.fromkeys(str(d.fields[key]) for d in drafts))
        rows = self._coql_rows(module, key, values, [key, "Created_Time"])
        since = started - CREATE_SKEW
        fresh = [
            r
            for r in rows
            if str(r["id"]) not in claimed
            and isinstance(r.get("Created_Time"), str)
            and parse_datetime(str(r["Created_Time"])) >= since
        ]
        fresh.sort(key=lambda r: (parse_datetime(str(r["Created_Time"])), str(r["id"])))
        found: dict[str, str] = {}
        taken: set[str] = set()
        for draft in drafts:
            wanted = _key_text(draft.fields[key])
            match = next(
                (r for r in fresh if str(r["id"]) not in taken and _key_text(r.get(key)) == wanted),
                None,
            )
            if match is not None:
                taken.add(str(match["id"]))
                found[draft.ref] = str(match["id"])
        return found

    def update_many(self, module: str, patches: Sequence[Patch]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for chunk in _chunks(list(patches), MAX_WRITE):
            body = {"data": [{**p.fields, "id": p.id} for p in chunk], "trigger": []}
            # Setting the same values twice is harmless: updates are retried like reads.
            response = self._send("PUT", module, json=body, retry_writes=True)
            got = answers.write_answers(response, len(chunk), f"updating {module}")
            if module in self._written:
                self._written[module].update(p.id for p in chunk)
            results.extend(
                replace(answers.write_result(p.id, a, updating=True), id=p.id)
                if a.get("status") == "success"
                else answers.write_result(p.id, a, updating=True)
                for p, a in zip(chunk, got, strict=True)
            )
        return results

    # -- notification channels -------------------------------------------------------------------

    def watch(
        self,
        channel_id: str,
        events: Sequence[str],
        notify_url: str,
        token: str | None,
        expiry: datetime,
    ) -> ChannelAnswer:
        """Subscribe ``notify_url`` to ``events`` (``Contacts.all``) until ``expiry`` (≤ 7 days)."""
        channel = Channel(str(channel_id), tuple(events), notify_url, token, expiry)
        return self._channel_call("POST", channel)

    def renew(
        self,
        channel_id: str,
        events: Sequence[str],
        notify_url: str,
        token: str | None,
        expiry: datetime,
    ) -> ChannelAnswer:
        """Extend (or change) an existing channel; Zoho keeps a channel at most a week."""
        channel = Channel(str(channel_id), tuple(events), notify_url, token, expiry)
        return self._channel_call("PUT", channel)

    def _channel_call(self, method: str, channel: Channel) -> ChannelAnswer:
        response = self._send(
            method, "actions/watch", json={"watch": [channel.to_json()]}, retry_writes=True
        )
        body = answers.body_of(response)
        items = body.get("watch")
        if not isinstance(items, list) or not items or not isinstance(items[0], Mapping):
            answers.raise_for_call(response, "a notification channel")
            raise FatalError(f"zoho_crm answered {response.status_code} to a channel change")
        return channel_answer(channel.channel_id, items[0])

    def unwatch(self, channel_ids: Sequence[str]) -> list[ChannelAnswer]:
        response = self._send(
            "DELETE",
            "actions/watch",
            params={"channel_ids": ",".join(str(c) for c in channel_ids)},
            retry_writes=True,
        )
        body = answers.raise_for_call(response, "unsubscribing channels")
        items = [w for w in body.get("watch", []) if isinstance(w, Mapping)]
        return [
            channel_answer(str((w.get("details") or {}).get("channel_id", "")), w) for w in items
        ]

    def channels(self) -> list[Channel]:
        """The organisation's live notification channels."""
        body = self._get("actions/watch", "the notification channels")
        return [listed_channel(w) for w in body.get("watch", []) if isinstance(w, Mapping)]


def authorize(
    http: httpx.Client, app: OAuthClient, code: str, clock: Callable[[], datetime] = utc_now
) -> TokenSet:
    """Trade the consent screen's code for tokens (the answer's ``api_domain`` is kept)."""
    return exchange_code(http, app, code, clock)


def from_connection(
    settings: Mapping[str, Any], token_store: TokenStore, *, http: httpx.Client | None = None
) -> ZohoCrmConnector:
    """A connector from a stored connection.

    Settings: ``client_id``; ``data_centre`` (``com``, ``eu`` …) or ``accounts_url`` and
    ``api_domain`` to override both hosts; optional ``redirect_uri``, ``edition``,
    ``licensed_users``, ``credits_per_day``, ``concurrency`` and ``modules`` (the modules
    ``describe`` covers; all the API supports when left out). The client secret comes from
    the connection's secrets.
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
    limits = edition_limits(
        str(settings.get("edition") or "enterprise"), int(settings.get("licensed_users") or 1)
    )
    if settings.get("credits_per_day"):
        limits = replace(limits, per_day=int(settings["credits_per_day"]))
    if settings.get("concurrency"):
        limits = replace(limits, concurrency=int(settings["concurrency"]))
    modules = settings.get("modules")
    return ZohoCrmConnector(
        http or httpx.Client(timeout=60.0),
        app=app,
        token_store=token_store,
        api_domain=str(settings.get("api_domain") or "") or None,
        data_centre=centre,
        limits=limits,
        describe_modules=[str(m) for m in modules] if isinstance(modules, list) else None,
    )
