"""Turn a condition tree into SQL over the record table, so filters never scan in Python.

Records live in ``records(module, id, ctime, mtime, doc)`` with ``doc`` the stored JSON; fields
are read with ``json_extract`` (key fields have expression indexes). Text compares
case-insensitively through ``zlower`` (a Python ``casefold`` registered on the connection, since
SQLite's own ``lower`` is ASCII only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from ledgerbridge.sandbox.zoho_crm import fields as f
from ledgerbridge.sandbox.zoho_crm.conditions import Comparison, Node

LookupMode = Literal["name", "id"]

_TEXT_TYPES = frozenset(
    {f.TEXT, f.TEXTAREA, f.EMAIL, f.PHONE, f.WEBSITE, f.PICKLIST, f.AUTONUMBER, f.BIGINT}
)
_NUMBER_TYPES = frozenset({f.INTEGER, f.DOUBLE, f.CURRENCY})
FIELD_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@dataclass
class QueryError(Exception):
    """A field or value the query cannot use (``INVALID_QUERY`` on the wire)."""

    api_name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.api_name}: {self.reason}"


@dataclass(frozen=True)
class Expr:
    sql: str
    params: tuple[Any, ...]
    kind: str  # "text", "number", "boolean", "date", "time", "id"


def json_path(api_name: str) -> str:
    return '$."' + api_name + '"'


def extract(alias: str, path: str) -> str:
    """``json_extract`` with the path written out, so expression indexes can serve it.

    Paths are built from layout field names checked against ``FIELD_NAME``; they hold no quote.
    """
    return f"json_extract({alias}.doc, '{path}')"


def parse_datetime(value: Any, api_name: str) -> int:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise QueryError(api_name, "invalid datetime") from exc
    if moment.tzinfo is None:
        raise QueryError(api_name, "datetime needs an offset")
    return int(moment.timestamp())


class Compiler:
    """Compiles conditions for one module; ``lookup_mode`` says what a bare lookup compares."""

    def __init__(
        self,
        module: f.ModuleDef,
        modules: dict[str, f.ModuleDef],
        *,
        lookup_mode: LookupMode,
        alias: str = "r",
    ) -> None:
        self.module = module
        self.modules = modules
        self.lookup_mode = lookup_mode
        self.alias = alias

    def field(self, api_name: str) -> f.FieldDef:
        fdef = self.module.fields.get(api_name)
        if fdef is None or not FIELD_NAME.match(api_name):
            raise QueryError(api_name, "invalid column")
        return fdef

    def expression(self, path: str) -> Expr:
        a = self.alias
        head, _, rest = path.partition(".")
        fdef = self.field(head)
        if head == "id":
            return Expr(f"{a}.id", (), "id")
        if head == "Created_Time":
            return Expr(f"{a}.ctime", (), "time")
        if head == "Modified_Time":
            return Expr(f"{a}.mtime", (), "time")
        if fdef.data_type == f.SUBFORM:
            raise QueryError(head, "subform fields cannot be filtered")
        if fdef.data_type == f.OWNERLOOKUP:
            key = rest or ("name" if self.lookup_mode == "name" else "id")
            if key not in ("id", "name", "email"):
                raise QueryError(path, "invalid column")
            column = extract(a, f"{json_path(head)}.{key}")
            return Expr(column, (), "id" if key == "id" else "text")
        if fdef.data_type == f.LOOKUP:
            target = self.modules[fdef.lookup_module or ""]
            if rest == "id" or (not rest and self.lookup_mode == "id"):
                return Expr(extract(a, f"{json_path(head)}.id"), (), "id")
            inner = Compiler(target, self.modules, lookup_mode="id", alias=a + "t")
            sub = inner.expression(rest or target.name_field)
            sql = (
                f"(SELECT {sub.sql} FROM records {a}t WHERE {a}t.module = ? "
                f"AND {a}t.id = {extract(a, json_path(head) + '.id')})"
            )
            return Expr(sql, (*sub.params, target.api_name), sub.kind)
        if rest:
            raise QueryError(path, "invalid column")
        kind = "text"
        if fdef.data_type in _NUMBER_TYPES:
            kind = "number"
        elif fdef.data_type == f.BOOLEAN:
            kind = "boolean"
        elif fdef.data_type == f.DATE:
            kind = "date"
        elif fdef.data_type == f.DATETIME:
            kind = "datetimetext"
        return Expr(extract(a, json_path(head)), (), kind)

    def value(self, expr: Expr, raw: Any, api_name: str) -> Any:
        if raw is None:
            return None
        if expr.kind == "number":
            if isinstance(raw, bool):
                raise QueryError(api_name, "expected a number")
            try:
                return float(raw)
            except (TypeError, ValueError) as exc:
                raise QueryError(api_name, "expected a number") from exc
        if expr.kind == "boolean":
            if isinstance(raw, bool):
                return int(raw)
            text = str(raw).strip().lower()
            if text not in ("true", "false"):
                raise QueryError(api_name, "expected true or false")
            return int(text == "true")
        if expr.kind == "time":
            return parse_datetime(raw, api_name)
        if expr.kind == "date":
            try:
                return date.fromisoformat(str(raw).strip()).isoformat()
            except ValueError as exc:
                raise QueryError(api_name, "expected a date") from exc
        if expr.kind == "id":
            return str(raw).strip()
        return str(raw)

    def compile(self, node: Node) -> tuple[str, list[Any]]:
        if isinstance(node, Comparison):
            return self.comparison(node)
        parts: list[str] = []
        params: list[Any] = []
        for item in node.items:
            sql, item_params = self.compile(item)
            parts.append(f"({sql})")
            params.extend(item_params)
        return f" {node.joiner.upper()} ".join(parts), params

    def comparison(self, node: Comparison) -> tuple[str, list[Any]]:
        expr = self.expression(node.field)
        params: list[Any] = list(expr.params)
        op = node.operator
        if op == "is_null":
            return f"({expr.sql}) IS NULL", params
        if op == "is_not_null":
            return f"({expr.sql}) IS NOT NULL", params
        values = [self.value(expr, raw, node.field) for raw in node.values]
        folded = expr.kind == "text"
        column = f"zlower({expr.sql})" if folded else expr.sql
        if folded:
            values = [v.casefold() if isinstance(v, str) else v for v in values]
        if op in ("equals", "not_equal") and values[0] is None:
            negate = "NOT " if op == "not_equal" else ""
            return f"({expr.sql}) IS {negate}NULL", params
        simple = {
            "equals": "=",
            "greater_than": ">",
            "greater_equal": ">=",
            "less_than": "<",
            "less_equal": "<=",
        }
        if op in simple:
            return f"{column} {simple[op]} ?", [*params, values[0]]
        if op == "not_equal":
            return f"({expr.sql} IS NULL OR {column} != ?)", [*params, *params, values[0]]
        if op in ("in", "not_in"):
            marks = ", ".join("?" for _ in values)
            if op == "in":
                return f"{column} IN ({marks})", [*params, *values]
            return (
                f"({expr.sql} IS NULL OR {column} NOT IN ({marks}))",
                [*params, *params, *values],
            )
        if op == "between":
            return f"{column} BETWEEN ? AND ?", [*params, values[0], values[1]]
        if op in ("starts_with", "ends_with", "contains"):
            if not folded:
                raise QueryError(node.field, f"{op} needs a text field")
            escaped = _like_escape(str(values[0]))
            pattern = {
                "starts_with": escaped + "%",
                "ends_with": "%" + escaped,
                "contains": "%" + escaped + "%",
            }[op]
            return f"{column} LIKE ? ESCAPE '\\'", [*params, pattern]
        if op in ("like", "not_like"):
            if not folded:
                raise QueryError(node.field, "like needs a text field")
            # COQL's like takes % as the wildcard; other characters stand for themselves
            pattern = _like_escape(str(values[0])).replace("\\%", "%")
            negate = "NOT " if op == "not_like" else ""
            return f"{column} {negate}LIKE ? ESCAPE '\\'", [*params, pattern]
        raise QueryError(node.field, f"unsupported operator {op}")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
