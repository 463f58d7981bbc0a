"""The COQL subset: ``select f1, Lookup.f2 from Module [where ...] [order by ...] [limit o, n]``.

Where clauses take ``= != > >= < <=``, ``in (...)``, ``not in (...)``, ``like '%x%'``,
``not like``, ``is null``, ``is not null``, ``and``/``or`` and parentheses. Strings are in single
quotes with ``\\'`` for a quote inside; numbers and ``true``/``false``/``null`` are bare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from ledgerbridge.sandbox.zoho_crm.conditions import Comparison, Node, Operator, combine

MAX_LIMIT = 2000
DEFAULT_LIMIT = 200

_KEYWORDS = frozenset(
    {
        "select",
        "from",
        "where",
        "and",
        "or",
        "in",
        "not",
        "like",
        "is",
        "null",
        "order",
        "by",
        "asc",
        "desc",
        "limit",
        "offset",
        "true",
        "false",
    }
)
_COMPARE = {
    "=": "equals",
    "!=": "not_equal",
    ">": "greater_than",
    ">=": "greater_equal",
    "<": "less_than",
    "<=": "less_equal",
}


@dataclass
class CoqlSyntaxError(Exception):
    """A query that does not parse; ``near`` is the text where reading stopped."""

    near: str
    column: int
    line: int = 1

    def __str__(self) -> str:
        return f"syntax error near {self.near!r} at column {self.column}"


@dataclass
class CoqlLimitError(Exception):
    """A ``limit`` above what COQL returns in one call."""

    limit: int


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "number", "symbol", "end"
    text: str
    value: Any
    column: int


@dataclass
class Query:
    fields: list[str]
    module: str
    where: Node | None
    order_by: list[tuple[str, str]] = field(default_factory=list)
    offset: int = 0
    limit: int = DEFAULT_LIMIT


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        start = pos
        if char == "'":
            pos += 1
            chars: list[str] = []
            while True:
                if pos >= len(text):
                    raise CoqlSyntaxError(text[start : start + 20], start + 1)
                if text[pos] == "\\" and pos + 1 < len(text):
                    chars.append(text[pos + 1])
                    pos += 2
                    continue
                if text[pos] == "'":
                    pos += 1
                    break
                chars.append(text[pos])
                pos += 1
            tokens.append(Token("string", text[start:pos], "".join(chars), start + 1))
            continue
        if char.isdigit() or (char == "-" and pos + 1 < len(text) and text[pos + 1].isdigit()):
            pos += 1
            while pos < len(text) and (text[pos].isdigit() or text[pos] == "."):
                pos += 1
            raw = text[start:pos]
            number: float | int = float(raw) if "." in raw else int(raw)
            tokens.append(Token("number", raw, number, start + 1))
            continue
        if char.isalpha() or char in "_$":
            while pos < len(text) and (text[pos].isalnum() or text[pos] in "_$."):
                pos += 1
            word = text[start:pos]
            tokens.append(Token("word", word, word, start + 1))
            continue
        if text.startswith(("!=", ">=", "<="), pos):
            pos += 2
            tokens.append(Token("symbol", text[start:pos], text[start:pos], start + 1))
            continue
        if char in "=<>(),*":
            pos += 1
            tokens.append(Token("symbol", char, char, start + 1))
            continue
        raise CoqlSyntaxError(char, start + 1)
    tokens.append(Token("end", "", None, len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def fail(self) -> CoqlSyntaxError:
        token = self.current
        return CoqlSyntaxError(token.text or "<end>", token.column)

    def is_word(self, word: str) -> bool:
        token = self.current
        return token.kind == "word" and token.text.lower() == word

    def take_word(self, word: str) -> None:
        if not self.is_word(word):
            raise self.fail()
        self.pos += 1

    def take_symbol(self, symbol: str) -> None:
        if self.current.kind != "symbol" or self.current.text != symbol:
            raise self.fail()
        self.pos += 1

    def identifier(self) -> str:
        token = self.current
        if token.kind != "word" or token.text.lower() in _KEYWORDS:
            raise self.fail()
        self.pos += 1
        return token.text

    def query(self) -> Query:
        self.take_word("select")
        fields = [self.identifier()]
        while self.current.kind == "symbol" and self.current.text == ",":
            self.pos += 1
            fields.append(self.identifier())
        self.take_word("from")
        module = self.identifier()
        where: Node | None = None
        if self.is_word("where"):
            self.pos += 1
            where = self.condition()
        order: list[tuple[str, str]] = []
        if self.is_word("order"):
            self.pos += 1
            self.take_word("by")
            order.append(self.order_item())
            while self.current.kind == "symbol" and self.current.text == ",":
                self.pos += 1
                order.append(self.order_item())
        offset, limit = 0, DEFAULT_LIMIT
        if self.is_word("limit"):
            self.pos += 1
            first = self.integer()
            if self.current.kind == "symbol" and self.current.text == ",":
                self.pos += 1
                offset, limit = first, self.integer()
            elif self.is_word("offset"):
                self.pos += 1
                limit, offset = first, self.integer()
            else:
                limit = first
        if self.current.kind != "end":
            raise self.fail()
        if limit > MAX_LIMIT:
            raise CoqlLimitError(limit)
        return Query(fields, module, where, order, offset, limit)

    def integer(self) -> int:
        token = self.current
        if token.kind != "number" or not isinstance(token.value, int) or token.value < 0:
            raise self.fail()
        self.pos += 1
        return int(token.value)

    def order_item(self) -> tuple[str, str]:
        name = self.identifier()
        direction = "asc"
        if self.is_word("asc") or self.is_word("desc"):
            direction = self.current.text.lower()
            self.pos += 1
        return name, direction

    def condition(self) -> Node:
        nodes = [self.primary()]
        joiners: list[str] = []
        while self.is_word("and") or self.is_word("or"):
            joiners.append(self.current.text.lower())
            self.pos += 1
            nodes.append(self.primary())
        return combine(nodes, joiners)

    def primary(self) -> Node:
        if self.current.kind == "symbol" and self.current.text == "(":
            self.pos += 1
            inner = self.condition()
            self.take_symbol(")")
            return inner
        name = self.identifier()
        token = self.current
        if token.kind == "symbol" and token.text in _COMPARE:
            self.pos += 1
            return Comparison(name, cast(Operator, _COMPARE[token.text]), (self.literal(),))
        if self.is_word("is"):
            self.pos += 1
            negate = self.is_word("not")
            if negate:
                self.pos += 1
            self.take_word("null")
            return Comparison(name, "is_not_null" if negate else "is_null", ())
        negate = self.is_word("not")
        if negate:
            self.pos += 1
        if self.is_word("in"):
            self.pos += 1
            self.take_symbol("(")
            values = [self.literal()]
            while self.current.kind == "symbol" and self.current.text == ",":
                self.pos += 1
                values.append(self.literal())
            self.take_symbol(")")
            return Comparison(name, "not_in" if negate else "in", tuple(values))
        if self.is_word("like"):
            self.pos += 1
            value = self.literal()
            if not isinstance(value, str):
                raise self.fail()
            return Comparison(name, "not_like" if negate else "like", (value,))
        raise self.fail()

    def literal(self) -> Any:
        token = self.current
        if token.kind in ("string", "number"):
            self.pos += 1
            return token.value
        if self.is_word("true") or self.is_word("false"):
            self.pos += 1
            return token.text.lower() == "true"
        if self.is_word("null"):
            self.pos += 1
            return None
        raise self.fail()


def parse_coql(text: str) -> Query:
    """Parse one select query, or raise ``CoqlSyntaxError`` / ``CoqlLimitError``."""
    return _Parser(tokenize(text)).query()
