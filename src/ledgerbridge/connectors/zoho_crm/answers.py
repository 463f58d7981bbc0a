"""Zoho CRM answers read into domain types: records, per-record write results, errors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from ledgerbridge.connectors.dates import parse_datetime
from ledgerbridge.domain.errors import ConfigError, FatalError, RetriableError
from ledgerbridge.domain.records import Record, WriteError, WriteResult

_CODES = {
    "DUPLICATE_DATA": "duplicate",
    "MANDATORY_NOT_FOUND": "mandatory_missing",
    "INVALID_DATA": "invalid",
    "ID_ALREADY_CONVERTED": "conflict",
    "RECORD_LOCKED": "conflict",
    "CANNOT_PROCESS": "other",
}
_CONFIG_CODES = frozenset(
    {"INVALID_MODULE", "NOT_SUPPORTED", "INVALID_URL_PATTERN", "NO_PERMISSION"}
)


def row_time(raw: Mapping[str, Any], module: str) -> datetime:
    """When a listed record was last modified (its creation time if it never was)."""
    stamp = raw.get("Modified_Time") or raw.get("Created_Time")
    if not isinstance(stamp, str):
        raise FatalError(f"zoho_crm: a {module} record came without Modified_Time")
    return parse_datetime(stamp)


def to_record(module: str, raw: Mapping[str, Any]) -> Record:
    """A record as Zoho wrote it; ``Modified_Time`` becomes the aware ``modified_at``."""
    fields = {k: v for k, v in raw.items() if k != "id"}
    return Record(
        id=str(raw["id"]), module=module, fields=fields, modified_at=row_time(raw, module)
    )


def body_of(response: httpx.Response) -> dict[str, Any]:
    """The JSON body, ``{}`` for 204 and empty answers."""
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError as exc:
        raise RetriableError(
            f"zoho_crm answered {response.status_code} with a body that is not JSON"
        ) from exc
    if isinstance(body, dict):
        return body
    if isinstance(body, list):
        return {"data": body}
    raise RetriableError(
        f"zoho_crm answered {response.status_code} with JSON that is neither an object nor a list"
    )


def rows_of(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The records of a read answer; a ``data`` that is there but not a list is no answer."""
    data = body.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise RetriableError(
            f"zoho_crm answered with data that is not a list: {type(data).__name__}"
        )
    rows = [row for row in data if isinstance(row, Mapping)]
    if any("id" not in row for row in rows):
        # dropping it would lose a change without a word; asking again may get it whole
        raise RetriableError("zoho_crm answered with a record that has no id")
    return rows


def more_records(body: Mapping[str, Any]) -> bool:
    """Whether a read answer says another page follows."""
    info = body.get("info")
    return isinstance(info, Mapping) and bool(info.get("more_records"))


def raise_for_call(response: httpx.Response, what: str) -> dict[str, Any]:
    """The body of a whole-call answer; a whole-call refusal becomes an exception."""
    body = body_of(response)
    if response.status_code < 400:
        return body
    code = str(body.get("code", ""))
    message = str(body.get("message", "")) or f"HTTP {response.status_code}"
    details = body.get("details") or {}
    text = f"zoho_crm refused {what}: {code} {message} {details}".strip()
    if code in _CONFIG_CODES:
        raise ConfigError(text)
    raise FatalError(text)


def write_error(answer: Mapping[str, Any], *, updating: bool) -> WriteError:
    """One refused record in our codes, with Zoho's own message for a person to read."""
    code = str(answer.get("code", ""))
    details = answer.get("details") or {}
    if code == "MULTIPLE_OR_MULTI_ERRORS":
        inner = [e for e in details.get("errors", []) if isinstance(e, Mapping)]
        if inner:
            first = write_error(inner[0], updating=updating)
            messages = "; ".join(
                f"{e.get('message', '')} ({(e.get('details') or {}).get('api_name', '')})"
                for e in inner
            )
            return WriteError(first.code, messages, first.field, first.duplicate_id)
    field = details.get("api_name") if isinstance(details, Mapping) else None
    ours = _CODES.get(code, "other")
    if updating and code == "INVALID_DATA" and field == "id":
        ours = "not_found"
    duplicate = None
    if code == "DUPLICATE_DATA" and isinstance(details, Mapping):
        found = details.get("duplicate_record") or {}
        duplicate = str(found["id"]) if isinstance(found, Mapping) and found.get("id") else None
    message = str(answer.get("message") or code or "refused")
    return WriteError(ours, message, str(field) if field else None, duplicate)


def write_result(ref: str, answer: Mapping[str, Any], *, updating: bool) -> WriteResult:
    if str(answer.get("status")) == "success":
        details = answer.get("details") or {}
        return WriteResult(ref=ref, ok=True, id=str(details.get("id")))
    return WriteResult(ref=ref, ok=False, error=write_error(answer, updating=updating))


def write_answers(response: httpx.Response, count: int, what: str) -> list[Mapping[str, Any]]:
    """The ``data`` list of a batch write (201, 200, 207 or 400 with per-record answers)."""
    body = body_of(response)
    data = body.get("data")
    if response.status_code in (200, 201, 202, 207, 400) and isinstance(data, list):
        if len(data) != count:
            raise FatalError(f"zoho_crm answered {len(data)} results for {count} records")
        return [a if isinstance(a, Mapping) else {} for a in data]
    raise_for_call(response, what)
    raise FatalError(f"zoho_crm answered {response.status_code} to {what} without results")
