"""List requests: paging, sorting, the ``last_modified_time`` filter and search parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ledgerbridge.sandbox.zoho_books.errors import invalid
from ledgerbridge.sandbox.zoho_books.formats import parse_datetime
from ledgerbridge.sandbox.zoho_books.store import Column, Condition, like_escape

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Module:
    """How one record kind is listed, searched and named in answers."""

    kind: str
    singular: str
    label: str
    report_name: str
    default_sort: str
    default_order: str
    sort_columns: Mapping[str, Column]
    # search parameter -> column; each also accepts ``_startswith`` and ``_contains``
    text_filters: Mapping[str, Column]
    # parameters matched exactly (ids, types)
    exact_filters: Mapping[str, Column]
    # filter_by value -> stored statuses ("*" for all)
    status_filters: Mapping[str, tuple[str, ...]]
    # fields the real API leaves out of list answers
    list_omit: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListQuery:
    page: int = 1
    per_page: int = MAX_PER_PAGE
    sort_column: str | None = None
    sort_order: str | None = None
    modified_since: datetime | None = None
    filter_by: str | None = None
    search: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> ListQuery:
        """Read query parameters the way Zoho Books does; bad values name the parameter."""
        page = _positive(params, "page", 1)
        per_page = min(_positive(params, "per_page", MAX_PER_PAGE), MAX_PER_PAGE)
        order = params.get("sort_order")
        if order is not None and order not in ("A", "D"):
            raise invalid("sort_order")
        since: datetime | None = None
        raw_since = params.get("last_modified_time")
        if raw_since:
            try:
                since = parse_datetime(raw_since)
            except ValueError as exc:
                raise invalid("last_modified_time") from exc
        reserved = {
            "page",
            "per_page",
            "sort_column",
            "sort_order",
            "last_modified_time",
            "filter_by",
            "organization_id",
        }
        search = {k: v for k, v in params.items() if k not in reserved}
        return cls(
            page=page,
            per_page=per_page,
            sort_column=params.get("sort_column") or None,
            sort_order=order,
            modified_since=since,
            filter_by=params.get("filter_by") or None,
            search=search,
        )


@dataclass(frozen=True)
class Plan:
    """A list request resolved against a module: what the store runs and what the answer says."""

    conditions: list[Condition]
    order_by: Column
    descending: bool
    offset: int
    limit: int
    page_context: dict[str, Any]


def _positive(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise invalid(name) from exc
    if value < 1:
        raise invalid(name)
    return value


def plan(module: Module, query: ListQuery, *, today: date) -> Plan:
    sort_column = query.sort_column or module.default_sort
    column = module.sort_columns.get(sort_column)
    if column is None:
        raise invalid("sort_column")
    order = query.sort_order or module.default_order
    conditions: list[Condition] = []
    if query.modified_since is not None:
        # stored times keep milliseconds but answers show whole seconds: "at or after" a shown
        # second includes every record modified within that second
        floor_ms = int(query.modified_since.timestamp()) * 1000
        conditions.append(Condition("modified_ms", ">=", floor_ms))
    applied_filter = query.filter_by or "Status.All"
    statuses = module.status_filters.get(applied_filter)
    if statuses is None:
        raise invalid("filter_by")
    if applied_filter == "Status.OverDue":
        conditions.append(Condition("due_key", "!=", ""))
        conditions.append(Condition("due_key", "<", today.isoformat()))
    if statuses != ("*",):
        conditions.append(Condition("status", "in", statuses))
    criteria: list[dict[str, str]] = []
    for name, value in query.search.items():
        cond = _search_condition(module, name, value)
        if cond is None:
            continue
        conditions.append(cond)
        criteria.append({"column_name": name, "search_text": value})
    page_context: dict[str, Any] = {
        "page": query.page,
        "per_page": query.per_page,
        "has_more_page": False,
        "report_name": module.report_name,
        "applied_filter": applied_filter,
        "sort_column": sort_column,
        "sort_order": order,
        "search_criteria": criteria,
    }
    return Plan(
        conditions=conditions,
        order_by=column,
        descending=order == "D",
        offset=(query.page - 1) * query.per_page,
        limit=query.per_page,
        page_context=page_context,
    )


def _search_condition(module: Module, name: str, value: str) -> Condition | None:
    exact = module.exact_filters.get(name)
    if exact is not None:
        text = value.strip()
        if exact in ("ctype", "status"):
            text = text.lower()
        return Condition(exact, "=", text)
    for suffix, pattern in (("_startswith", "{}%"), ("_contains", "%{}%")):
        if name.endswith(suffix):
            column = module.text_filters.get(name[: -len(suffix)])
            if column is None:
                return None
            return Condition(column, "like", pattern.format(like_escape(search_key(value))))
    column = module.text_filters.get(name)
    if column is None:
        # unknown parameters are ignored, as by the real API
        return None
    return Condition(column, "=", search_key(value))


def search_key(text: str) -> str:
    """Search and uniqueness in Zoho Books ignore case and surrounding spaces."""
    return text.strip().casefold()
