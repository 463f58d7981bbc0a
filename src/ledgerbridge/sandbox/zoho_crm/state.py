"""The emulated Zoho CRM organisation: records, layout, users, views, channels and credits.

Routes call the API methods (``write``, ``list_records``, ``search``, ``coql`` ...); tests and
the seed generator call the user methods (``create``, ``edit``, ``delete``, ``get`` ...), which
go through the same checks and notifications as a person editing in the CRM would.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.webhooks import WebhookSender
from ledgerbridge.sandbox.zoho_crm import errors as e
from ledgerbridge.sandbox.zoho_crm import fields as f
from ledgerbridge.sandbox.zoho_crm.conditions import Comparison, Group, Node, count_comparisons
from ledgerbridge.sandbox.zoho_crm.coql import CoqlLimitError, CoqlSyntaxError, Query, parse_coql
from ledgerbridge.sandbox.zoho_crm.criteria import CriteriaError, parse_criteria
from ledgerbridge.sandbox.zoho_crm.notifications import Channel, Notifier
from ledgerbridge.sandbox.zoho_crm.query import FIELD_NAME, Compiler, QueryError
from ledgerbridge.sandbox.zoho_crm.records import Context, RecordChecker, RecordError, empty
from ledgerbridge.sandbox.zoho_crm.storage import Row, Storage

WriteMode = Literal["insert", "update", "upsert"]

ID_PREFIX = "605120500000"
MAX_WRITE = 100
MAX_FIELDS = 50
MAX_PER_PAGE = 200
PAGE_WINDOW = 2000
MAX_CRITERIA = 10
MAX_IN_VALUES = 100
MAX_COQL_ROWS = 100000
DEFAULT_TRIGGERS = ("workflow", "approval", "blueprint")
PAGE_TOKEN_TTL = 86400
EDITION_CREDITS = {"free": 5000, "standard": 50000, "professional": 50000, "enterprise": 50000}
EDITION_PER_USER = {"free": 0, "standard": 250, "professional": 500, "enterprise": 1000}

ADMIN_USER: dict[str, Any] = {
    "id": "6051205000000339001",
    "name": "Sandbox Admin",
    "email": "crmadmin1@ledgr.com",
}
SECOND_USER: dict[str, Any] = {
    "id": "6051205000000339017",
    "name": "Priya Raman",
    "email": "praman001@ledgr.com",
}


@dataclass
class Org:
    """``GET /org`` settings the tests can switch."""

    company_name: str = "Ledgerbridge Sandbox Ltd"
    org_id: str = "6051205000000002001"
    zgid: str = "60051205"
    primary_zuid: str = "60051206"
    primary_email: str = "crmadmin1@ledgr.com"
    time_zone: str = "Etc/UTC"
    country_code: str = "US"
    currency: str = "US Dollar - USD"
    iso_code: str = "USD"
    currency_symbol: str = "$"
    currency_locale: str = "en_US"
    multi_currency: bool = False
    edition: str = "enterprise"
    licensed_users: int = 10


@dataclass
class CustomView:
    id: str
    module: str
    name: str
    criteria: str | None
    # Views made by a person may use comparisons search criteria lack (contains, empty).
    node: Node | None = None

    def condition(self) -> Node | None:
        if self.node is not None:
            return self.node
        return parse_criteria(self.criteria) if self.criteria else None


@dataclass
class Credits:
    """Daily API credits for the org, reset at UTC midnight of the virtual clock."""

    limit: int
    day: str = ""
    used: int = 0
    enabled: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _roll(self, now: datetime) -> None:
        today = now.date().isoformat()
        if today != self.day:
            self.day, self.used = today, 0

    def charge(self, cost: int, now: datetime) -> bool:
        with self.lock:
            self._roll(now)
            if self.enabled and self.used + cost > self.limit:
                return False
            self.used += cost
            return True

    def remaining(self, now: datetime) -> int:
        with self.lock:
            self._roll(now)
            return max(0, self.limit - self.used)


@dataclass
class ListPage:
    rows: list[dict[str, Any]]
    info: dict[str, Any]


@dataclass
class Listing:
    """The filters and order of a records listing; stored behind a page token."""

    module: str
    fields: list[str]
    sort_by: str = "id"
    sort_order: str = "asc"
    since: int | None = None
    ids: list[str] | None = None
    cvid: str | None = None


def _now_seconds(clock: VirtualClock) -> int:
    return int(clock.timestamp())


class ZohoCrmState:
    """Everything one emulated org holds; thread-safe through its storage lock."""

    def __init__(
        self,
        data: str = ":memory:",
        *,
        clock: VirtualClock | None = None,
        api_domain: str | None = None,
        credits: int | None = None,
        concurrency: int = 10,
        notify_delay: float = 0.2,
        sender: WebhookSender | None = None,
    ) -> None:
        self.clock = clock or VirtualClock()
        self.storage = Storage(data)
        self.modules = f.default_layout()
        self.org = Org()
        #: the base URL clients are told to use; unset, the address of the latest call is used
        self.api_domain = api_domain.rstrip("/") if api_domain else None
        self.seen_base_url = "http://127.0.0.1"
        self.users: dict[str, dict[str, Any]] = {
            ADMIN_USER["id"]: dict(ADMIN_USER),
            SECOND_USER["id"]: dict(SECOND_USER),
        }
        self.current_user = ADMIN_USER["id"]
        self.search_lag_seconds = 0.0
        self.max_criteria = MAX_CRITERIA
        self.workflow_runs = 0
        self.trigger_requests: list[list[str]] = []
        self._counter_lock = threading.Lock()
        self.concurrency = concurrency
        self.credits = Credits(credits if credits is not None else self.edition_credits())
        self.views: dict[str, CustomView] = {}
        self.sender = sender or WebhookSender(timeout=3.0, retries=2)
        self.notifier = Notifier(self.clock, self.sender, delay=notify_delay)
        self._define_views()

    # -- organisation ----------------------------------------------------------------------------

    def edition_credits(self) -> int:
        edition = self.org.edition
        per_user = EDITION_PER_USER.get(edition, 0) * self.org.licensed_users
        return EDITION_CREDITS.get(edition, 50000) + per_user

    def set_edition(self, edition: str, licensed_users: int | None = None) -> None:
        self.org.edition = edition
        if licensed_users is not None:
            self.org.licensed_users = licensed_users
        self.credits.limit = self.edition_credits()

    def set_multi_currency(self, enabled: bool, base_currency: str | None = None) -> None:
        self.org.multi_currency = enabled
        if base_currency is not None:
            self.org.iso_code = base_currency
            self.org.currency = base_currency

    def add_custom_field(
        self,
        module: str,
        api_name: str,
        data_type: str = f.TEXT,
        *,
        label: str = "",
        unique: bool = False,
        mandatory: bool = False,
        lookup_module: str | None = None,
        pick_list: Sequence[str] = (),
    ) -> f.FieldDef:
        mdef = self.module(module)
        if not FIELD_NAME.match(api_name) or api_name in mdef.fields:
            raise ValueError(f"{api_name!r} is not a new field name")
        fdef = f.FieldDef(
            api_name,
            data_type,
            label,
            mandatory=mandatory,
            custom=True,
            unique=unique,
            lookup_module=lookup_module,
            pick_list=tuple(pick_list),
            field_id=f"{mdef.module_id[:13]}{390000 + len(mdef.fields):06d}",
        )
        mdef.add(fdef)
        if mandatory:
            mdef.mandatory = (*mdef.mandatory, api_name)
        return fdef

    def _define_views(self) -> None:
        number = 87001
        for module in self.modules:
            self.views[f"{ID_PREFIX}{number:07d}"] = CustomView(
                f"{ID_PREFIX}{number:07d}", module, f"All {module.replace('_', ' ')}", None
            )
            number += 1
            self.views[f"{ID_PREFIX}{number:07d}"] = CustomView(
                f"{ID_PREFIX}{number:07d}", module, "Add to Xero", "(Add_to_Xero:equals:true)"
            )
            number += 1

    def define_view(
        self, module: str, name: str, conditions: Sequence[tuple[str, str, Any]]
    ) -> CustomView:
        """A custom view of ``module`` whose records meet every ``(field, operator, value)``.

        Operators are those of the condition tree: ``equals``, ``not_equal``, ``contains``,
        ``starts_with``, ``ends_with``, ``in``, ``is_null``, ``is_not_null`` ...
        """
        mdef = self.module(module)
        items: list[Node] = []
        for api_name, operator, value in conditions:
            if api_name not in mdef.fields:
                raise KeyError(f"{module} has no field {api_name}")
            values: tuple[Any, ...] = (
                () if value is None else tuple(value) if isinstance(value, list) else (value,)
            )
            items.append(Comparison(api_name, operator, values))  # type: ignore[arg-type]
        node: Node = items[0] if len(items) == 1 else Group("and", tuple(items))
        view_id = f"{ID_PREFIX}{87001 + len(self.views) + 500:07d}"
        view = CustomView(view_id, mdef.api_name, name, None, node)
        self.views[view_id] = view
        return view

    def view_for(self, module: str, name: str) -> CustomView:
        for view in self.views.values():
            if view.module == module and view.name == name:
                return view
        raise KeyError(name)

    def module(self, name: str) -> f.ModuleDef:
        found = self.modules.get(name)
        if found is None:
            # module API names are case-insensitive on the real service
            for key, value in self.modules.items():
                if key.lower() == name.lower():
                    return value
            raise e.invalid_module()
        return found

    def user(self, ident: str | None = None) -> dict[str, Any]:
        return dict(self.users[ident or self.current_user])

    @property
    def base_url(self) -> str:
        return self.api_domain or self.seen_base_url

    # -- time and ids -----------------------------------------------------------------------------

    def format_time(self, seconds: int) -> str:
        """Times read back in the org's time zone with its offset, as the real API does."""
        return datetime.fromtimestamp(seconds, tz=_zone(self.org.time_zone)).isoformat(
            timespec="seconds"
        )

    def new_id(self) -> str:
        return f"{ID_PREFIX}{self.storage.next_value('id', 1000001):07d}"

    def _context(self) -> Context:
        def exists(module: str, ident: str) -> bool:
            return self.storage.get(module, ident) is not None

        def product_price(ident: str) -> float | None:
            row = self.storage.get("Products", ident)
            price = row.doc.get("Unit_Price") if row else None
            return float(price) if isinstance(price, int | float) else None

        return Context(exists, product_price, self.new_id, self.users)

    # -- rendering ---------------------------------------------------------------------------------

    def render_many(
        self, module: f.ModuleDef, rows: Sequence[Row], wanted: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        names = self._lookup_names(module, rows)
        return [self._render(module, row, wanted, names) for row in rows]

    def _lookup_names(self, module: f.ModuleDef, rows: Sequence[Row]) -> dict[tuple[str, str], Any]:
        wanted: dict[str, set[str]] = {}
        for row in rows:
            for fdef in module.fields.values():
                value = row.doc.get(fdef.api_name)
                if fdef.data_type == f.LOOKUP and isinstance(value, dict):
                    wanted.setdefault(fdef.lookup_module or "", set()).add(value["id"])
                if fdef.data_type == f.SUBFORM and isinstance(value, list):
                    for item in value:
                        wanted.setdefault("Products", set()).add(item["Product_Name"]["id"])
        names: dict[tuple[str, str], Any] = {}
        for target, ids in wanted.items():
            name_field = self.modules[target].name_field
            for ident, row in self.storage.get_many(target, sorted(ids)).items():
                names[(target, ident)] = row.doc.get(name_field)
        return names

    def _render(
        self,
        module: f.ModuleDef,
        row: Row,
        wanted: Sequence[str] | None,
        names: dict[tuple[str, str], Any],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        field_names = list(wanted) if wanted else list(module.fields)
        for api_name in ["id", *[n for n in field_names if n != "id"]]:
            fdef = module.fields.get(api_name)
            if fdef is None:
                continue
            if api_name == "id":
                out["id"] = row.id
            elif api_name == "Created_Time":
                out[api_name] = self.format_time(row.ctime)
            elif api_name == "Modified_Time":
                out[api_name] = self.format_time(row.mtime)
            elif fdef.data_type == f.LOOKUP:
                value = row.doc.get(api_name)
                out[api_name] = (
                    {"name": names.get((fdef.lookup_module or "", value["id"])), "id": value["id"]}
                    if isinstance(value, dict)
                    else None
                )
            elif fdef.data_type == f.SUBFORM:
                items = row.doc.get(api_name) or []
                out[api_name] = [
                    {
                        **item,
                        "Product_Name": {
                            "name": names.get(("Products", item["Product_Name"]["id"])),
                            "id": item["Product_Name"]["id"],
                        },
                    }
                    for item in items
                ]
            else:
                out[api_name] = row.doc.get(api_name)
        return out

    # -- writes ------------------------------------------------------------------------------------

    def write(
        self,
        module_name: str,
        records: Sequence[Any],
        *,
        mode: WriteMode,
        trigger: Sequence[str] | None = None,
        duplicate_check_fields: Sequence[str] | None = None,
        user_id: str | None = None,
        path_id: str | None = None,
        via_api: bool = True,
    ) -> list[dict[str, Any]]:
        """Write a batch; one ``{code, details, message, status}`` answer per record.

        ``via_api`` False is a person editing in the CRM: no API trigger list is recorded.
        """
        module = self.module(module_name)
        user = self.user(user_id)
        checker = RecordChecker(module, self._context())
        answers: list[dict[str, Any]] = []
        changed: list[tuple[str, str, list[str]]] = []
        triggers = list(DEFAULT_TRIGGERS if trigger is None else trigger)
        check_fields = list(duplicate_check_fields or ())
        for index, raw in enumerate(records):
            if not isinstance(raw, dict):
                answers.append(
                    RecordError(
                        "INVALID_DATA",
                        "invalid data",
                        {"expected_data_type": "jsonobject", "json_path": f"$.data[{index}]"},
                    ).to_json()
                )
                continue
            with self.storage.transaction():
                answer, event = self._write_one(
                    module=module,
                    checker=checker,
                    raw=raw,
                    index=index,
                    mode=mode,
                    check_fields=check_fields,
                    user=user,
                    path_id=path_id,
                )
            answers.append(answer)
            if event is not None:
                changed.append(event)
        if via_api:
            with self._counter_lock:
                self.trigger_requests.append(triggers)
                if "workflow" in triggers:
                    self.workflow_runs += len(changed)
        self._notify_changes(module.api_name, changed)
        return answers

    def _write_one(
        self,
        *,
        module: f.ModuleDef,
        checker: RecordChecker,
        raw: dict[str, Any],
        index: int,
        mode: WriteMode,
        check_fields: list[str],
        user: dict[str, Any],
        path_id: str | None,
    ) -> tuple[dict[str, Any], tuple[str, str, list[str]] | None]:
        existing: Row | None = None
        duplicate_field: str | None = None
        if mode == "update":
            ident = path_id or (str(raw["id"]) if raw.get("id") is not None else None)
            if ident is None:
                return RecordError(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": "id", "json_path": f"$.data[{index}].id"},
                ).to_json(), None
            existing = self.storage.get(module.api_name, ident)
            if existing is None:
                return RecordError(
                    "INVALID_DATA",
                    "the id given seems to be invalid",
                    {"api_name": "id", "json_path": f"$.data[{index}].id"},
                ).to_json(), None
        elif mode == "upsert":
            if raw.get("id") is not None:
                existing = self.storage.get(module.api_name, str(raw["id"]))
                duplicate_field = "id" if existing else None
            if existing is None:
                existing, duplicate_field = self._find_duplicate(module, raw, check_fields)
        changes, problems = checker.check(raw, index, existing.doc if existing else None)
        if not problems:
            problems = self._unique_problems(module, changes, existing, index)
        if problems:
            return _error_answer(problems), None
        now = _now_seconds(self.clock)
        if existing is None:
            ident = self.new_id()
            doc = {
                "Owner": dict(user),
                "Created_By": dict(user),
                "Modified_By": dict(user),
                **changes,
            }
            if module.auto_number is not None:
                field_name, prefix, start = module.auto_number
                number = self.storage.next_value(f"auto:{module.api_name}", start)
                doc[field_name] = f"{prefix}{number}"
            self.storage.put(module.api_name, ident, now, now, doc)
            ctime, operation, message = now, "insert", "record added"
            affected = sorted(changes)
        else:
            ident = existing.id
            doc = {**existing.doc, **changes, "Modified_By": dict(user)}
            self.storage.put(module.api_name, ident, existing.ctime, now, doc)
            ctime, operation, message = existing.ctime, "update", "record updated"
            affected = sorted(k for k, v in changes.items() if existing.doc.get(k) != v)
        answer: dict[str, Any] = {
            "code": "SUCCESS",
            "details": {
                "Modified_Time": self.format_time(now),
                "Modified_By": {"name": user["name"], "id": user["id"]},
                "Created_Time": self.format_time(ctime),
                "id": ident,
                "Created_By": {
                    "name": doc["Created_By"]["name"],
                    "id": doc["Created_By"]["id"],
                },
            },
            "message": message,
            "status": "success",
        }
        if mode == "upsert":
            answer["action"] = operation
            if duplicate_field is not None:
                answer["duplicate_field"] = duplicate_field
        return answer, (ident, operation, affected)

    def _find_duplicate(
        self, module: f.ModuleDef, raw: dict[str, Any], check_fields: list[str]
    ) -> tuple[Row | None, str | None]:
        names = check_fields or [
            *module.duplicate_check,
            *(n for n, d in module.fields.items() if d.unique and n not in module.duplicate_check),
        ]
        for api_name in names:
            value = raw.get(api_name)
            fdef = module.fields.get(api_name)
            if fdef is None or empty(value) or not isinstance(value, str | int | float):
                continue
            found = self._rows_equal(module, api_name, value)
            if found:
                return found[0], api_name
        return None, None

    def _rows_equal(
        self, module: f.ModuleDef, api_name: str, value: Any, *, exclude: str | None = None
    ) -> list[Row]:
        compiler = Compiler(module, self.modules, lookup_mode="id")
        sql, params = compiler.compile(Comparison(api_name, "equals", (value,)))
        where = f"r.module = ? AND ({sql})"
        all_params: list[Any] = [module.api_name, *params]
        if exclude is not None:
            where += " AND r.id != ?"
            all_params.append(exclude)
        # the unary + keeps SQLite on the key index instead of walking rows in creation order
        return self.storage.select(where, all_params, "ORDER BY +r.ctime, +r.id LIMIT 1")

    def _unique_problems(
        self, module: f.ModuleDef, changes: dict[str, Any], existing: Row | None, index: int
    ) -> list[RecordError]:
        problems: list[RecordError] = []
        for api_name, value in changes.items():
            fdef = module.fields[api_name]
            if not fdef.unique or empty(value):
                continue
            found = self._rows_equal(
                module, api_name, value, exclude=existing.id if existing else None
            )
            if found:
                owner = found[0].doc.get("Owner") or ADMIN_USER
                problems.append(
                    RecordError(
                        "DUPLICATE_DATA",
                        "duplicate data",
                        {
                            "api_name": api_name,
                            "json_path": f"$.data[{index}].{api_name}",
                            "duplicate_record": {
                                "id": found[0].id,
                                "module": {"api_name": module.api_name, "id": module.module_id},
                                "Owner": {"name": owner["name"], "id": owner["id"]},
                            },
                        },
                    )
                )
        return problems

    def delete_records(
        self, module_name: str, ids: Sequence[str], *, user_id: str | None = None
    ) -> list[dict[str, Any]]:
        module = self.module(module_name)
        user = self.user(user_id)
        answers: list[dict[str, Any]] = []
        deleted: list[tuple[str, str, list[str]]] = []
        for ident in ids:
            with self.storage.transaction():
                row = self.storage.get(module.api_name, ident)
                if row is None:
                    answers.append(
                        {
                            "code": "INVALID_DATA",
                            "details": {"id": ident},
                            "message": "the id given seems to be invalid",
                            "status": "error",
                        }
                    )
                    continue
                self._bin(module, row, user, "recycle")
            answers.append(
                {
                    "code": "SUCCESS",
                    "details": {"id": ident},
                    "message": "record deleted",
                    "status": "success",
                }
            )
            deleted.append((ident, "delete", []))
        self._notify_changes(module.api_name, deleted)
        return answers

    def _bin(self, module: f.ModuleDef, row: Row, user: dict[str, Any], kind: str) -> None:
        self.storage.remove(module.api_name, row.id)
        creator = row.doc.get("Created_By") or ADMIN_USER
        self.storage.execute(
            "INSERT OR REPLACE INTO deleted (module, id, display_name, kind, dtime, created_by, "
            "deleted_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                module.api_name,
                row.id,
                str(row.doc.get(module.name_field) or ""),
                kind,
                _now_seconds(self.clock),
                json.dumps({"name": creator["name"], "id": creator["id"]}),
                json.dumps({"name": user["name"], "id": user["id"]}),
            ),
        )

    def empty_recycle_bin(self, module_name: str | None = None) -> int:
        """Move recycled records to permanently deleted, as the bin does after 60 days."""
        if module_name is None:
            return self.storage.execute("UPDATE deleted SET kind = 'permanent'")
        return self.storage.execute(
            "UPDATE deleted SET kind = 'permanent' WHERE module = ?", (module_name,)
        )

    # -- reads -------------------------------------------------------------------------------------

    def _order(self, sort_by: str) -> str:
        return {"id": "r.id", "Created_Time": "r.ctime", "Modified_Time": "r.mtime"}[sort_by]

    def _listing_where(self, module: f.ModuleDef, listing: Listing) -> tuple[str, list[Any]]:
        where = ["r.module = ?"]
        params: list[Any] = [module.api_name]
        if listing.since is not None:
            where.append("r.mtime >= ?")
            params.append(listing.since)
        if listing.ids:
            where.append(f"r.id IN ({', '.join('?' for _ in listing.ids)})")
            params.extend(listing.ids)
        if listing.cvid:
            view = self.views.get(listing.cvid)
            if view is None or view.module != module.api_name:
                raise e.invalid_param("cvid")
            condition = view.condition()
            if condition is not None:
                compiler = Compiler(module, self.modules, lookup_mode="name")
                sql, view_params = compiler.compile(condition)
                where.append(f"({sql})")
                params.extend(view_params)
        return " AND ".join(where), params

    def list_records(
        self,
        listing: Listing,
        *,
        page: int = 1,
        per_page: int = MAX_PER_PAGE,
        page_token: str | None = None,
    ) -> ListPage:
        after: tuple[Any, str] | None = None
        if page_token is not None:
            stored, after, page = self._read_token(page_token)
            # the token keeps the filters and order; the fields come from this call
            stored.fields = listing.fields or stored.fields
            listing = stored
        module = self.module(listing.module)
        where, params = self._listing_where(module, listing)
        column = self._order(listing.sort_by)
        direction = "DESC" if listing.sort_order == "desc" else "ASC"
        limit = per_page
        if after is not None:
            compare = "<" if direction == "DESC" else ">"
            if column == "r.id":
                where += f" AND r.id {compare} ?"
                params.append(after[1])
            else:
                where += f" AND ({column}, r.id) {compare} (?, ?)"
                params.extend([after[0], after[1]])
            offset = 0
        else:
            offset = (page - 1) * per_page
            if offset >= PAGE_WINDOW:
                raise e.iteration_limit(PAGE_WINDOW)
            limit = min(per_page, PAGE_WINDOW - offset)
        rows = self.storage.select(
            where,
            params,
            f"ORDER BY {column} {direction}, r.id {direction} LIMIT {limit + 1} OFFSET {offset}",
        )
        more = len(rows) > limit
        rows = rows[:limit]
        info: dict[str, Any] = {
            "per_page": per_page,
            "count": len(rows),
            "page": page,
            "sort_by": listing.sort_by,
            "sort_order": listing.sort_order,
            "more_records": more,
        }
        if page_token is not None:
            info["previous_page_token"] = page_token
        if more and rows:
            last = rows[-1]
            key = {"r.id": last.id, "r.ctime": last.ctime, "r.mtime": last.mtime}[column]
            token, expiry = self._make_token(listing, (key, last.id), page + 1)
            info["next_page_token"] = token
            info["page_token_expiry"] = expiry
        return ListPage(self.render_many(module, rows, listing.fields), info)

    def _make_token(self, listing: Listing, after: tuple[Any, str], page: int) -> tuple[str, str]:
        token = secrets.token_hex(24)
        expires = _now_seconds(self.clock) + PAGE_TOKEN_TTL
        body = {"listing": listing.__dict__, "after": list(after), "page": page}
        self.storage.execute(
            "INSERT INTO page_tokens (token, body, expires) VALUES (?, ?, ?)",
            (token, json.dumps(body), expires),
        )
        return token, self.format_time(expires)

    def _read_token(self, token: str) -> tuple[Listing, tuple[Any, str], int]:
        found = self.storage.query(
            "SELECT body, expires FROM page_tokens WHERE token = ?", (token,)
        )
        if not found:
            raise e.invalid_param("page_token")
        if int(found[0][1]) < _now_seconds(self.clock):
            raise e.invalid_param("page_token", reason="page token expired")
        body = json.loads(found[0][0])
        listing = Listing(**body["listing"])
        return listing, (body["after"][0], body["after"][1]), int(body["page"])

    def get_record(
        self, module_name: str, ident: str, wanted: Sequence[str] | None = None
    ) -> dict[str, Any] | None:
        module = self.module(module_name)
        row = self.storage.get(module.api_name, ident)
        if row is None:
            return None
        return self.render_many(module, [row], wanted)[0]

    def search(
        self,
        module_name: str,
        *,
        criteria: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        word: str | None = None,
        page: int = 1,
        per_page: int = MAX_PER_PAGE,
        wanted: Sequence[str] | None = None,
    ) -> ListPage:
        module = self.module(module_name)
        node = self._search_node(module, criteria, email, phone, word)
        compiler = Compiler(module, self.modules, lookup_mode="name")
        try:
            sql, params = compiler.compile(node)
        except QueryError as exc:
            raise _invalid_query(exc.api_name) from exc
        offset = (page - 1) * per_page
        if offset >= PAGE_WINDOW:
            raise e.iteration_limit(PAGE_WINDOW)
        limit = min(per_page, PAGE_WINDOW - offset)
        where = f"r.module = ? AND ({sql})"
        all_params: list[Any] = [module.api_name, *params]
        if self.search_lag_seconds > 0:
            where += " AND r.mtime <= ?"
            all_params.append(int(self.clock.timestamp() - self.search_lag_seconds))
        rows = self.storage.select(
            where, all_params, f"ORDER BY +r.id LIMIT {limit + 1} OFFSET {offset}"
        )
        more = len(rows) > limit
        rows = rows[:limit]
        info = {"per_page": per_page, "count": len(rows), "page": page, "more_records": more}
        return ListPage(self.render_many(module, rows, wanted), info)

    def _search_node(
        self,
        module: f.ModuleDef,
        criteria: str | None,
        email: str | None,
        phone: str | None,
        word: str | None,
    ) -> Node:
        if criteria is not None:
            try:
                node = parse_criteria(criteria)
            except CriteriaError as exc:
                raise _invalid_query(exc.api_name or "criteria") from exc
            if count_comparisons(node) > self.max_criteria:
                raise e.ApiError(
                    400,
                    "CRITERIA_LIMIT_EXCEEDED",
                    "no of criterium that can be given exceed the limit 15",
                    {"limit": self.max_criteria},
                )
            crowded = _largest_in(node)
            if crowded is not None and len(crowded.values) > MAX_IN_VALUES:
                raise e.ApiError(
                    400,
                    "INVALID_QUERY",
                    'Only 100 values are allowed in "IN" criteria',
                    {"api_name": crowded.field, "param_name": "criteria"},
                )
            return node
        kinds = {"email": (f.EMAIL,), "phone": (f.PHONE,)}
        for param, value in (("email", email), ("phone", phone)):
            if value is not None:
                names = [n for n, d in module.fields.items() if d.data_type in kinds[param]]
                if not names:
                    raise _invalid_query(param)
                items = tuple(Comparison(n, "equals", (value,)) for n in names)
                return items[0] if len(items) == 1 else Group("or", items)
        if word is not None:
            texts = [
                n
                for n, d in module.fields.items()
                if d.data_type in (f.TEXT, f.EMAIL, f.PHONE, f.TEXTAREA, f.AUTONUMBER)
            ]
            items = tuple(Comparison(n, "contains", (word,)) for n in texts)
            return Group("or", items)
        raise e.ApiError(
            400,
            "EXPECTED_PARAM_MISSING",
            "One of the expected parameter is missing",
            {"param_names": ["criteria", "email", "phone", "word"]},
        )

    def coql(self, text: str) -> ListPage:
        try:
            query = parse_coql(text)
        except CoqlSyntaxError as exc:
            raise e.ApiError(
                400,
                "SYNTAX_ERROR",
                "error occurred while parsing the query",
                {"line": exc.line, "column": exc.column, "near": exc.near},
            ) from exc
        except CoqlLimitError as exc:
            raise e.ApiError(
                400,
                "LIMIT_EXCEEDED",
                "limit exceeded",
                {"by": "limit", "limit": 2000, "given": exc.limit},
            ) from exc
        return self._run_coql(query)

    def _run_coql(self, query: Query) -> ListPage:
        if len(query.fields) > MAX_FIELDS:
            raise e.ApiError(
                400,
                "LIMIT_EXCEEDED",
                "select columns limit exceeded",
                {"by": "select_columns", "limit": MAX_FIELDS},
            )
        if query.offset + query.limit > MAX_COQL_ROWS:
            raise e.ApiError(
                400,
                "LIMIT_EXCEEDED",
                "offset limit exceeded",
                {"by": "offset", "limit": MAX_COQL_ROWS},
            )
        module = self.modules.get(query.module)
        if module is None:
            raise e.ApiError(
                400,
                "INVALID_QUERY",
                "invalid query formed",
                {"module": query.module, "reason": "the module is not supported"},
            )
        compiler = Compiler(module, self.modules, lookup_mode="id")
        where = "r.module = ?"
        params: list[Any] = [module.api_name]
        order_params: list[Any] = []
        order_parts: list[str] = []
        try:
            for name in query.fields:
                if name != "id":
                    compiler.expression(name)
            if query.where is not None:
                sql, where_params = compiler.compile(query.where)
                where += f" AND ({sql})"
                params.extend(where_params)
            for name, direction in query.order_by:
                expr = compiler.expression(name)
                order_parts.append(f"{expr.sql} {direction.upper()}")
                order_params.extend(expr.params)
        except QueryError as exc:
            raise e.ApiError(
                400,
                "INVALID_QUERY",
                "column given seems to be invalid",
                {"column_name": exc.api_name, "reason": exc.reason},
            ) from exc
        order = ", ".join([*order_parts, "+r.id ASC" if query.where is not None else "r.id ASC"])
        rows = self.storage.select(
            where,
            [*params, *order_params],
            f"ORDER BY {order} LIMIT {query.limit + 1} OFFSET {query.offset}",
        )
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        plain = [n for n in query.fields if "." not in n]
        rendered = self.render_many(module, rows, plain)
        for out, row in zip(rendered, rows, strict=True):
            for name in plain:
                fdef = module.fields[name]
                if fdef.data_type == f.LOOKUP and isinstance(out.get(name), dict):
                    out[name] = {"id": out[name]["id"]}
            for name in query.fields:
                if "." in name:
                    out[name] = self._dotted(module, row, name)
        return ListPage(rendered, {"count": len(rendered), "more_records": more})

    def _dotted(self, module: f.ModuleDef, row: Row, path: str) -> Any:
        head, _, rest = path.partition(".")
        fdef = module.fields[head]
        value = row.doc.get(head)
        if not isinstance(value, dict):
            return None
        if fdef.data_type == f.OWNERLOOKUP or rest == "id":
            return value.get(rest)
        target = self.modules[fdef.lookup_module or ""]
        found = self.storage.get(target.api_name, value["id"])
        if found is None:
            return None
        return self.render_many(target, [found], [rest])[0].get(rest)

    def deleted(
        self, module_name: str, kind: str = "all", *, page: int = 1, per_page: int = MAX_PER_PAGE
    ) -> ListPage:
        module = self.module(module_name)
        where = "module = ?"
        params: list[Any] = [module.api_name]
        if kind in ("recycle", "permanent"):
            where += " AND kind = ?"
            params.append(kind)
        elif kind != "all":
            raise e.invalid_param("type")
        offset = (page - 1) * per_page
        found = self.storage.query(
            f"SELECT id, display_name, kind, dtime, created_by, deleted_by FROM deleted "
            f"WHERE {where} ORDER BY dtime DESC, id DESC LIMIT {per_page + 1} OFFSET {offset}",
            params,
        )
        more = len(found) > per_page
        rows = [
            {
                "deleted_by": json.loads(item[5]),
                "id": item[0],
                "display_name": item[1],
                "type": item[2],
                "created_by": json.loads(item[4]),
                "deleted_time": self.format_time(int(item[3])),
            }
            for item in found[:per_page]
        ]
        info = {"per_page": per_page, "count": len(rows), "page": page, "more_records": more}
        return ListPage(rows, info)

    # -- notifications -----------------------------------------------------------------------------

    def _notify_changes(self, module: str, changed: list[tuple[str, str, list[str]]]) -> None:
        for ident, operation, affected in changed:
            self.notifier.record_change(
                module,
                operation,
                ident,
                affected,
                resource_uri=f"{self.base_url}/crm/v8/{module}",
            )

    @property
    def channels(self) -> list[Channel]:
        return self.notifier.channels()

    def flush_notifications(self, timeout: float = 5.0) -> bool:
        """Send batched callbacks now and wait until they were delivered."""
        self.notifier.flush()
        return self.sender.flush(timeout)

    # -- user methods (tests and the seed generator) -----------------------------------------------

    def create(
        self, module: str, data: dict[str, Any], *, user_id: str | None = None
    ) -> dict[str, Any]:
        """Create a record as a person in the CRM would; raises ``ValueError`` when refused."""
        answer = self.write(module, [data], mode="insert", user_id=user_id, via_api=False)[0]
        if answer["status"] != "success":
            raise ValueError(answer)
        found = self.get(module, answer["details"]["id"])
        assert found is not None
        return found

    def edit(
        self, module: str, ident: str, changes: dict[str, Any], *, user_id: str | None = None
    ) -> dict[str, Any]:
        answer = self.write(
            module, [changes], mode="update", user_id=user_id, path_id=ident, via_api=False
        )[0]
        if answer["status"] != "success":
            raise ValueError(answer)
        found = self.get(module, ident)
        assert found is not None
        return found

    def delete(self, module: str, ident: str, *, permanent: bool = False) -> None:
        answer = self.delete_records(module, [ident])[0]
        if answer["status"] != "success":
            raise KeyError(ident)
        if permanent:
            self.storage.execute(
                "UPDATE deleted SET kind = 'permanent' WHERE module = ? AND id = ?",
                (self.module(module).api_name, ident),
            )

    def get(self, module: str, ident: str) -> dict[str, Any] | None:
        return self.get_record(module, ident)

    def all(self, module: str) -> list[dict[str, Any]]:
        mdef = self.module(module)
        rows = self.storage.select("r.module = ?", [mdef.api_name], "ORDER BY r.ctime, r.id")
        return self.render_many(mdef, rows)

    def count(self, module: str) -> int:
        return self.storage.count("r.module = ?", [self.module(module).api_name])

    def bulk_insert(
        self,
        module: str,
        docs: Iterable[dict[str, Any]],
        *,
        modified: datetime | None = None,
        spacing_seconds: int = 0,
    ) -> list[str]:
        """Seed many records fast, without checks or notifications (the data must be valid)."""
        mdef = self.module(module)
        start = int((modified or self.clock.now()).timestamp())
        user = self.user()
        items = list(docs)
        rows: list[tuple[str, str, int, int, dict[str, Any]]] = []
        ids: list[str] = []
        with self.storage.transaction():
            first = self.storage.next_value("id", 1000001, len(items))
            for number, doc in enumerate(items):
                ident = f"{ID_PREFIX}{first + number:07d}"
                moment = start + number * spacing_seconds
                stored = {"Owner": user, "Created_By": user, "Modified_By": user, **doc}
                if mdef.api_name == "Contacts":
                    parts = [stored.get("First_Name"), stored.get("Last_Name")]
                    stored["Full_Name"] = " ".join(str(p) for p in parts if p)
                rows.append((mdef.api_name, ident, moment, moment, stored))
                ids.append(ident)
            self.storage.put_many(rows)
        return ids

    def touch(self, module: str, ident: str, *, at: datetime | None = None) -> None:
        """Bump a record's Modified_Time without changing data (a no-op edit in the UI)."""
        moment = int((at or self.clock.now()).timestamp())
        self.storage.execute(
            "UPDATE records SET mtime = ? WHERE module = ? AND id = ?",
            (moment, self.module(module).api_name, ident),
        )

    def close(self) -> None:
        self.notifier.stop()
        self.sender.stop()
        self.storage.close()


def _error_answer(problems: list[RecordError]) -> dict[str, Any]:
    if len(problems) == 1:
        return problems[0].to_json()
    return {
        "code": "MULTIPLE_OR_MULTI_ERRORS",
        "details": {"errors": [p.to_json() for p in problems]},
        "message": "multiple errors occurred",
        "status": "error",
    }


def _largest_in(node: Node) -> Comparison | None:
    if isinstance(node, Comparison):
        return node if node.operator == "in" else None
    found = [item for item in (_largest_in(child) for child in node.items) if item is not None]
    return max(found, key=lambda item: len(item.values), default=None)


def _invalid_query(api_name: str) -> e.ApiError:
    return e.ApiError(
        400,
        "INVALID_QUERY",
        "Invalid query formed",
        {"api_name": api_name, "param_name": "criteria"},
    )


def credits_for(method: str, records: int) -> int:
    """API credits of one call: reads cost 1; writes 1 per 10 records."""
    if method in ("POST", "PUT", "PATCH", "DELETE") and records > 0:
        return max(1, math.ceil(records / 10))
    return 1


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)
