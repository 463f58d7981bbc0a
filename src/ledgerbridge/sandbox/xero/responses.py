"""Xero's answer shapes: the envelope, validation and parse errors, problem details."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from starlette.responses import Response

from ledgerbridge.sandbox.xero.dates import ms_date

JSON_TYPE = "application/json; charset=utf-8"
PROVIDER_NAME = "ledgerbridge sandbox"
NOT_FOUND_TEXT = "The resource you're looking for cannot be found"


class XeroProblemError(Exception):
    """An answer other than success, raised from anywhere in a route."""

    def __init__(
        self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> Response:
        if isinstance(self.body, str):
            return Response(self.body, self.status, self.headers, media_type="text/plain")
        return json_response(self.body, self.status, self.headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, separators=(",", ":")).encode()
    return Response(content, status, headers, media_type=JSON_TYPE)


def envelope(
    now: datetime, key: str, records: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": ms_date(now),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    body[key] = records
    return body


def validation_exception(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": elements,
    }


def validation_problem(message: str, element: dict[str, Any] | None = None) -> XeroProblemError:
    carried = dict(element or {})
    carried["ValidationErrors"] = [{"Message": message}]
    return XeroProblemError(400, validation_exception([carried]))


def query_parse_problem(message: str) -> XeroProblemError:
    body = {"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}
    return XeroProblemError(400, body)


def post_data_problem(message: str = "Invalid Json data") -> XeroProblemError:
    return XeroProblemError(
        400, {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}
    )


def problem_details(status: int, title: str, detail: str) -> dict[str, Any]:
    """The identity-layer problem shape (401, 403, 429)."""
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
