"""Errors answered as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from http import HTTPStatus

from fastapi.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"


def problem(status: int, detail: str, *, title: str | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": title or HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
