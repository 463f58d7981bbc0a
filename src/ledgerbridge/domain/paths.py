"""Dotted paths into nested records: ``Account_Name.id``, ``SalesDetails.UnitPrice``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def get_path(fields: Mapping[str, Any], path: str) -> Any:
    """The value at ``path``, or ``None`` when any step is missing."""
    if not path:
        return fields
    current: Any = fields
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
        if current is None:
            return None
    return current


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Sets ``value`` at ``path``, creating nested dicts on the way."""
    parts = path.split(".")
    current = target
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            current[part] = nxt
        current = nxt
    current[parts[-1]] = value


def top_level(path: str) -> str:
    return path.split(".", 1)[0]
