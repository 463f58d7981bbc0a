"""The Zoho Books envelope (``code`` 0 = success, ``message``) read into domain types."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from ledgerbridge.connectors.dates import parse_datetime
from ledgerbridge.connectors.zoho_books.modules import BooksModule
from ledgerbridge.domain.errors import ConfigError, FatalError, RetriableError
from ledgerbridge.domain.records import Record, WriteError

CODE_OK = 0
CODE_INVALID_VALUE = 2
CODE_MISSING_VALUE = 4
CODE_ALREADY_EXISTS = 1001
CODE_DOES_NOT_EXIST = 1002
CODE_IN_USE = 3009
CODE_CONTACT_EXISTS = 3062
CODE_BAD_STATE = 6011
CODE_UNKNOWN_ORGANIZATION = 6041

_CODES = {
    CODE_ALREADY_EXISTS: "duplicate",
    CODE_CONTACT_EXISTS: "duplicate",
    CODE_MISSING_VALUE: "mandatory_missing",
    CODE_INVALID_VALUE: "invalid",
    CODE_DOES_NOT_EXIST: "not_found",
    CODE_IN_USE: "conflict",
    CODE_BAD_STATE: "conflict",
}
_INVALID_FIELD = re.compile(r"Invalid value passed for (\w+)")


def envelope(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise RetriableError(
            f"zoho_books answered {response.status_code} with a body that is not JSON"
        ) from exc
    if not isinstance(body, dict):
        raise RetriableError(f"zoho_books answered {response.status_code} without an envelope")
    return body


def code_of(body: Mapping[str, Any]) -> int:
    try:
        return int(body.get("code", -1))
    except (TypeError, ValueError):
        return -1


def raise_for_call(response: httpx.Response, what: str) -> dict[str, Any]:
    """The envelope of a whole-call answer; a refusal becomes an exception."""
    body = envelope(response)
    code = code_of(body)
    if code == CODE_OK and response.status_code < 400:
        return body
    text = f"zoho_books refused {what}: {body.get('message', '')} (code {code})"
    if code == CODE_UNKNOWN_ORGANIZATION:
        raise ConfigError(text + "; choose the organization again")
    raise FatalError(text)


def write_error(body: Mapping[str, Any]) -> WriteError:
    code = code_of(body)
    message = str(body.get("message") or f"code {code}")
    match = _INVALID_FIELD.search(message)
    return WriteError(_CODES.get(code, "other"), message, match.group(1) if match else None)


def to_record(spec: BooksModule, raw: Mapping[str, Any]) -> Record:
    stamp = raw.get("last_modified_time") or raw.get("created_time")
    if not isinstance(stamp, str):
        raise FatalError(f"zoho_books: a {spec.singular} came without last_modified_time")
    fields = {k: v for k, v in raw.items() if k != spec.id_field}
    # Custom field values read as ``cf_<name>`` fields, the names mappings use.
    for entry in raw.get("custom_fields") or ():
        if isinstance(entry, Mapping) and str(entry.get("api_name") or "").startswith("cf_"):
            fields.setdefault(str(entry["api_name"]), entry.get("value"))
    return Record(
        id=str(raw[spec.id_field]),
        module=spec.name,
        fields=fields,
        modified_at=parse_datetime(stamp),
    )


def custom_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A write body: ``cf_<name>`` fields go in ``custom_fields``, as Books takes them."""
    body = {k: v for k, v in fields.items() if not k.startswith("cf_")}
    custom = [{"api_name": k, "value": v} for k, v in fields.items() if k.startswith("cf_")]
    if custom:
        body["custom_fields"] = custom
    return body
