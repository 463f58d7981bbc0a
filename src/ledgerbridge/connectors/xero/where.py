"""Xero ``where`` filters for bulk lookups, kept under a safe URL length.

Xero parses ``where`` as .NET Dynamic LINQ: string literals go in double quotes and a double
quote inside one is written twice; a backslash is an ordinary character (escaping with it is a
parse error). Id fields compare with ``Guid("...")``. Many keys become one filter joined with
``||``; filters are cut so the encoded query stays far below the 2,048 bytes IIS-hosted APIs
such as Xero's accept by default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import quote_plus

# Budget for the percent-encoded ``where`` value; the rest of the query (page, pageSize,
# includeArchived, order) fits in what is left of 2,048 bytes.
WHERE_BUDGET = 1800
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_JOIN = "||"


def is_guid(text: str) -> bool:
    return bool(_GUID.match(text))


def string_literal(value: str) -> str:
    """``"The ""Quoted"" Co"``: Dynamic LINQ's only escape is the doubled quote."""
    return '"' + value.replace('"', '""') + '"'


def is_id_field(field: str) -> bool:
    return field.rsplit(".", 1)[-1].endswith("ID")


def term(field: str, value: str) -> str | None:
    """One equality test, or ``None`` when the value can never match (a malformed id)."""
    if not _PATH.match(field):
        raise ValueError(f"not a Xero field name: {field!r}")
    if is_id_field(field):
        return f'{field}==Guid("{value}")' if is_guid(value) else None
    return f"{field}=={string_literal(value)}"


def encoded_length(text: str) -> int:
    return len(quote_plus(text, safe=""))


def pack(
    terms: Sequence[str], *, max_terms: int, budget: int = WHERE_BUDGET, joiner: str = _JOIN
) -> Iterator[list[str]]:
    """Groups of terms, each at most ``max_terms`` long and within ``budget`` once encoded.

    A single term longer than the budget still goes out alone: it cannot be split.
    """
    joiner_cost = encoded_length(joiner)
    group: list[str] = []
    size = 0
    for item in terms:
        cost = encoded_length(item)
        extra = cost + (joiner_cost if group else 0)
        if group and (len(group) >= max_terms or size + extra > budget):
            yield group
            group, size = [], 0
            extra = cost
        group.append(item)
        size += extra
    if group:
        yield group


def where_clause(terms: Sequence[str]) -> str:
    return _JOIN.join(terms)
