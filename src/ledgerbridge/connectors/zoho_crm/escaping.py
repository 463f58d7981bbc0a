"""Literals inside search criteria and COQL, written so any name survives the trip.

Criteria: ``(``, ``)``, ``,`` and the backslash itself are escaped with a backslash (the
facts); everything else, quotes and non-Latin scripts included, goes as it is and httpx
percent-encodes the query string. COQL: string literals in single quotes, with a backslash
before a quote or a backslash inside.
"""

from __future__ import annotations

from collections.abc import Sequence

_CRITERIA_SPECIAL = frozenset("(),\\")
NUMERIC_TYPES = frozenset({"integer", "bigint", "double", "currency", "decimal", "long"})


def criteria_value(value: str) -> str:
    return "".join("\\" + char if char in _CRITERIA_SPECIAL else char for char in value)


def equals_any(field: str, values: Sequence[str]) -> str:
    """``((F:equals:a)or(F:equals:b))``; one value stands alone in its parentheses."""
    parts = [f"({field}:equals:{criteria_value(v)})" for v in values]
    if len(parts) == 1:
        return parts[0]
    return "(" + "or".join(parts) + ")"


def coql_literal(value: str, data_type: str = "text") -> str:
    if data_type in NUMERIC_TYPES:
        try:
            float(value)
        except ValueError:
            pass
        else:
            return value.strip()
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def coql_in(field: str, values: Sequence[str], data_type: str = "text") -> str:
    return f"{field} in ({', '.join(coql_literal(v, data_type) for v in values)})"
