"""The ``where`` filter: the subset of .NET Dynamic LINQ that Xero clients use.

String literals are in double quotes and a doubled quote is a quote; a backslash is an ordinary
character (so ``\\"`` ends the literal and usually leaves a syntax error behind). Text
comparisons ignore case, like Xero's database. A filter that does not parse raises
:class:`QueryParseError`, answered as Xero's ``QueryParseException``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledgerbridge.sandbox.xero.dates import parse_day, parse_ms_date


class QueryParseError(ValueError):
    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} (at index {position})")
        self.message = message
        self.position = position


# -- tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, op, end
    text: str
    position: int
    value: Any = None


_OPERATORS = ("==", "!=", "<>", "<=", ">=", "&&", "||", "=", "<", ">", "!", "(", ")", ",", ".")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
            continue
        if char == '"':
            start = index
            index += 1
            pieces: list[str] = []
            while True:
                if index >= len(text):
                    raise QueryParseError("Unterminated string literal", start)
                if text[index] == '"':
                    if index + 1 < len(text) and text[index + 1] == '"':
                        pieces.append('"')
                        index += 2
                        continue
                    index += 1
                    break
                pieces.append(text[index])
                index += 1
            tokens.append(Token("string", text[start:index], start, "".join(pieces)))
            continue
        ident = _IDENT.match(text, index)
        if ident:
            tokens.append(Token("ident", ident.group(0), index))
            index = ident.end()
            continue
        number = _NUMBER.match(text, index)
        if number and (char != "-" or not tokens or tokens[-1].kind == "op"):
            raw = number.group(0)
            tokens.append(Token("number", raw, index, float(raw) if "." in raw else int(raw)))
            index = number.end()
            continue
        for operator in _OPERATORS:
            if text.startswith(operator, index):
                tokens.append(Token("op", operator, index))
                index += len(operator)
                break
        else:
            raise QueryParseError(f"Syntax error '{char}'", index)
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- syntax tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Compare:
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Logical:
    operator: str  # "and" | "or"
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class Call:
    method: str  # contains, startswith, endswith, tolower, toupper
    target: Node
    args: tuple[Node, ...]


Node = Field | Literal | Compare | Logical | Not | Call


@dataclass(frozen=True)
class GuidValue:
    text: str


class _Parser:
    def __init__(self, text: str, fields: Collection[str] | None, type_name: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.fields = {f.lower() for f in fields} if fields is not None else None
        self.type_name = type_name

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, *texts: str) -> Token | None:
        token = self.current
        if token.kind == "op" and token.text in texts:
            return self.take()
        if token.kind == "ident" and token.text.upper() in texts:
            return self.take()
        return None

    def expect(self, text: str) -> None:
        if self.accept(text) is None:
            raise QueryParseError(f"'{text}' expected", self.current.position)

    def parse(self) -> Node:
        if self.current.kind == "end":
            raise QueryParseError("Expression expected", 0)
        node = self.parse_or()
        if self.current.kind != "end":
            raise QueryParseError("Syntax error", self.current.position)
        return node

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while self.accept("||", "OR"):
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Logical("or", tuple(parts))

    def parse_and(self) -> Node:
        parts = [self.parse_not()]
        while self.accept("&&", "AND"):
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else Logical("and", tuple(parts))

    def parse_not(self) -> Node:
        if self.accept("!", "NOT"):
            return Not(self.parse_not())
        return self.parse_compare()

    def parse_compare(self) -> Node:
        left = self.parse_member()
        token = self.accept("==", "=", "!=", "<>", "<", ">", "<=", ">=")
        if token is None:
            return left
        operator = {"=": "==", "<>": "!="}.get(token.text, token.text)
        return Compare(operator, left, self.parse_member())

    def parse_member(self) -> Node:
        node = self.parse_primary()
        while self.accept("."):
            name = self.take()
            if name.kind != "ident":
                raise QueryParseError("Identifier expected", name.position)
            if self.accept("("):
                args = self.parse_args()
                method = name.text.lower()
                if method not in ("contains", "startswith", "endswith", "tolower", "toupper"):
                    raise QueryParseError(
                        f"No applicable method '{name.text}' exists in type 'String'",
                        name.position,
                    )
                node = Call(method, node, args)
            elif isinstance(node, Field):
                node = Field((*node.path, name.text))
            else:
                raise QueryParseError("Syntax error", name.position)
        return node

    def parse_args(self) -> tuple[Node, ...]:
        args: list[Node] = []
        if self.accept(")"):
            return ()
        args.append(self.parse_or())
        while self.accept(","):
            args.append(self.parse_or())
        self.expect(")")
        return tuple(args)

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "string":
            return Literal(token.value)
        if token.kind == "number":
            return Literal(token.value)
        if token.kind == "op" and token.text == "(":
            inner = self.parse_or()
            self.expect(")")
            return inner
        if token.kind == "op" and token.text == "-" and self.current.kind == "number":
            return Literal(-self.take().value)
        if token.kind != "ident":
            if token.kind == "end":
                raise QueryParseError("Expression expected", token.position)
            raise QueryParseError("Expression expected", token.position)
        word = token.text
        lowered = word.lower()
        if lowered in ("true", "false"):
            return Literal(lowered == "true")
        if lowered == "null":
            return Literal(None)
        if lowered == "guid" and self.current.text == "(":
            self.take()
            return Literal(GuidValue(self._string_argument()))
        if lowered == "guid" and self.current.text == ".":
            self.take()
            method = self.take()
            if method.text.lower() != "parse":
                raise QueryParseError("Syntax error", method.position)
            self.expect("(")
            return Literal(GuidValue(self._string_argument()))
        if lowered == "datetime" and self.current.text == "(":
            self.take()
            return Literal(self._datetime_arguments())
        if self.fields is not None and lowered not in self.fields:
            raise QueryParseError(
                f"No property or field '{word}' exists in type '{self.type_name}'", token.position
            )
        return Field((word,))

    def _string_argument(self) -> str:
        token = self.take()
        if token.kind != "string":
            raise QueryParseError("String literal expected", token.position)
        self.expect(")")
        return str(token.value)

    def _datetime_arguments(self) -> datetime:
        numbers: list[int] = []
        while True:
            token = self.take()
            if token.kind != "number" or not isinstance(token.value, int):
                raise QueryParseError("Integer literal expected", token.position)
            numbers.append(token.value)
            if self.accept(")"):
                break
            self.expect(",")
        if len(numbers) not in (3, 6):
            raise QueryParseError("No matching constructor in type 'DateTime'", None)
        try:
            year, month, day, *clock = numbers
            hour, minute, second = clock or (0, 0, 0)
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError as exc:
            raise QueryParseError(str(exc)) from exc


def parse(text: str, fields: Collection[str] | None = None, type_name: str = "Object") -> Node:
    """Parse a filter; ``fields`` (top-level property names) enables unknown-field errors."""
    return _Parser(text, fields, type_name).parse()


# -- evaluation ----------------------------------------------------------------------------------


def _lookup(doc: Any, path: tuple[str, ...]) -> Any:
    current = doc
    for part in path:
        if not isinstance(current, dict):
            return None
        if part in current:
            current = current[part]
            continue
        lowered = part.lower()
        current = next((v for k, v in current.items() if k.lower() == lowered), None)
    return current


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        parsed = parse_ms_date(value)
        if parsed is not None:
            return parsed
        day = parse_day(value)
        if day is not None:
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return None


def _normalise(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(left, GuidValue):
        left = left.text
    if isinstance(right, GuidValue):
        right = right.text
    if isinstance(left, datetime) or isinstance(right, datetime):
        return _as_datetime(left), _as_datetime(right)
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold(), right.casefold()
    if isinstance(left, bool) or isinstance(right, bool):
        return left, right
    return left, right


def _compare(operator: str, left: Any, right: Any) -> bool:
    left, right = _normalise(left, right)
    if operator == "==":
        return bool(left == right)
    if operator == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if operator == "<":
            return bool(left < right)
        if operator == ">":
            return bool(left > right)
        if operator == "<=":
            return bool(left <= right)
        return bool(left >= right)
    except TypeError:
        return False


def evaluate(node: Node, doc: dict[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Field):
        return _lookup(doc, node.path)
    if isinstance(node, Compare):
        return _compare(node.operator, evaluate(node.left, doc), evaluate(node.right, doc))
    if isinstance(node, Logical):
        if node.operator == "and":
            return all(bool(evaluate(part, doc)) for part in node.parts)
        return any(bool(evaluate(part, doc)) for part in node.parts)
    if isinstance(node, Not):
        return not bool(evaluate(node.inner, doc))
    target = evaluate(node.target, doc)
    if node.method == "tolower":
        return target.lower() if isinstance(target, str) else target
    if node.method == "toupper":
        return target.upper() if isinstance(target, str) else target
    argument = evaluate(node.args[0], doc) if node.args else None
    if not isinstance(target, str) or not isinstance(argument, str):
        return False
    checks: dict[str, Callable[[str, str], bool]] = {
        "contains": lambda t, a: a in t,
        "startswith": lambda t, a: t.startswith(a),
        "endswith": lambda t, a: t.endswith(a),
    }
    return checks[node.method](target.casefold(), argument.casefold())


def matches(node: Node, doc: dict[str, Any]) -> bool:
    return bool(evaluate(node, doc))


def equality_lookup(node: Node) -> tuple[str, list[str]] | None:
    """A field and the values it must equal, when the filter needs one of them to match.

    Lets the store fetch candidates through an index (``Name=="a" || Name=="b"``) before the
    full filter runs on them.
    """
    if isinstance(node, Compare) and node.operator == "==":
        for field_node, value_node in ((node.left, node.right), (node.right, node.left)):
            if isinstance(field_node, Field) and isinstance(value_node, Literal):
                value = value_node.value
                if isinstance(value, GuidValue):
                    value = value.text
                if isinstance(value, str):
                    return ".".join(field_node.path), [value]
        return None
    if isinstance(node, Logical) and node.operator == "or":
        found = [equality_lookup(part) for part in node.parts]
        if any(f is None for f in found):
            return None
        fields = {f[0].lower() for f in found if f is not None}
        if len(fields) != 1:
            return None
        first = found[0]
        assert first is not None
        return first[0], [v for f in found if f is not None for v in f[1]]
    if isinstance(node, Logical) and node.operator == "and":
        for part in node.parts:
            found_part = equality_lookup(part)
            if found_part is not None:
                return found_part
    return None
