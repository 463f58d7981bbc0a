"""The search ``criteria`` parameter: ``((Email:equals:a@b.c)or(Last_Name:starts_with:Sm))``.

Inside a value, ``(``, ``)`` and ``,`` must be written ``\\(``, ``\\)`` and ``\\,``; a backslash
escapes any character. An unescaped parenthesis inside a value is an invalid query, as on the
real service; an unescaped comma separates values for ``in`` and ``between`` and is refused
elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from ledgerbridge.sandbox.zoho_crm.conditions import Comparison, Node, Operator, combine

OPERATORS: frozenset[str] = frozenset(
    {
        "equals",
        "not_equal",
        "starts_with",
        "in",
        "greater_than",
        "greater_equal",
        "less_than",
        "less_equal",
        "between",
    }
)
_MULTI = frozenset({"in", "between"})


@dataclass
class CriteriaError(Exception):
    """A criteria string that cannot be read; ``api_name`` names the field when known."""

    reason: str
    api_name: str = ""

    def __str__(self) -> str:
        return self.reason


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise CriteriaError(f"expected {char!r} at position {self.pos}")
        self.pos += 1

    def skip_spaces(self) -> None:
        while self.peek() == " ":
            self.pos += 1

    def expression(self) -> Node:
        nodes = [self.group()]
        joiners: list[str] = []
        self.skip_spaces()
        while self.peek() not in ("", ")"):
            start = self.pos
            while self.peek() not in ("", "(", " "):
                self.pos += 1
            word = self.text[start : self.pos].lower()
            if word not in ("and", "or"):
                raise CriteriaError(f"expected and/or at position {start}")
            joiners.append(word)
            self.skip_spaces()
            nodes.append(self.group())
            self.skip_spaces()
        return combine(nodes, joiners)

    def group(self) -> Node:
        self.skip_spaces()
        self.expect("(")
        self.skip_spaces()
        if self.peek() == "(":
            inner = self.expression()
            self.skip_spaces()
            self.expect(")")
            return inner
        node = self.comparison()
        self.expect(")")
        return node

    def _until_colon(self, what: str) -> str:
        start = self.pos
        while self.peek() not in ("", ":", "(", ")"):
            self.pos += 1
        if self.peek() != ":":
            raise CriteriaError(f"{what} not followed by ':'", self.text[start : self.pos].strip())
        word = self.text[start : self.pos].strip()
        self.pos += 1
        return word

    def comparison(self) -> Comparison:
        api_name = self._until_colon("field")
        if not api_name:
            raise CriteriaError("empty field name")
        operator = self._until_colon("operator")
        if operator not in OPERATORS:
            raise CriteriaError(f"unknown operator {operator!r}", api_name)
        values: list[str] = []
        current: list[str] = []
        while True:
            char = self.peek()
            if char == "":
                raise CriteriaError("criteria ends inside a value", api_name)
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    raise CriteriaError("criteria ends after a backslash", api_name)
                current.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == ")":
                break
            if char == "(":
                raise CriteriaError("unescaped '(' inside a value", api_name)
            if char == ",":
                if operator not in _MULTI:
                    raise CriteriaError("unescaped ',' inside a value", api_name)
                values.append("".join(current))
                current = []
                self.pos += 1
                continue
            current.append(char)
            self.pos += 1
        values.append("".join(current))
        if operator == "between" and len(values) != 2:
            raise CriteriaError("between takes two values", api_name)
        return Comparison(api_name, cast(Operator, operator), tuple(values))


def parse_criteria(text: str) -> Node:
    """Parse a criteria string into a condition tree, or raise ``CriteriaError``."""
    reader = _Reader(text.strip())
    if not reader.text:
        raise CriteriaError("empty criteria")
    node = reader.expression()
    if reader.pos != len(reader.text):
        raise CriteriaError(f"unexpected ')' at position {reader.pos}")
    return node


def escape_value(value: str) -> str:
    """Escape a value for use inside criteria (what a client must do)."""
    return "".join("\\" + char if char in "(),\\" else char for char in value)
