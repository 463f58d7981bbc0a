"""How the API refuses: RFC 9457 problem details for its own refusals and for bad input.

A 422 carries, besides the readable ``detail``, an ``errors`` extension member: one
``{"field", "message"}`` per bad field, with the field as a client writes it (``window.days``,
``config.flows.0.name``), so a client can point at the field without parsing prose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

import pydantic
from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from ledgerbridge.web.problems import PROBLEM_JSON

API_PREFIX = "/api/v1"


class RefusedError(Exception):
    """A refusal raised anywhere under a route, answered as a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        headers: Mapping[str, str] | None = None,
        *,
        errors: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = list(errors)


def problem_response(
    status: int, detail: str, errors: Sequence[tuple[str, str]] = ()
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [{"field": f, "message": m} for f, m in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _answer(refusal: RefusedError) -> JSONResponse:
    answer = problem_response(refusal.status, refusal.detail, refusal.errors)
    answer.headers.update(refusal.headers)
    return answer


async def _on_problem(_: Request, exc: Exception) -> Response:
    if not isinstance(exc, RefusedError):  # pragma: no cover - registered for RefusedError only
        raise exc
    return _answer(exc)


def field_path(loc: Iterable[int | str], prefix: Sequence[str] = ()) -> str:
    """("body", "window", "days") names the field as a client writes it: window.days."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "path", "query", "header"):
        parts = parts[1:]
    return ".".join([*prefix, *parts]) or "body"


def _errors(raw: Iterable[Any], prefix: Sequence[str] = ()) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for error in raw:
        message = str(error["msg"]).removeprefix("Value error, ")
        out.append((field_path(tuple(error["loc"]), prefix), message))
    return out


def invalid(errors: Sequence[tuple[str, str]]) -> RefusedError:
    """A 422 naming each bad field and what is wrong with it."""
    detail = "; ".join(f"{f}: {m}" for f, m in errors) or "the request is not valid"
    return RefusedError(422, detail, errors=errors)


def invalid_model(exc: pydantic.ValidationError, *prefix: str) -> RefusedError:
    """A 422 for a document validated inside a route; ``prefix`` is where it sits in the body."""
    return invalid(_errors(exc.errors(), prefix))


async def _on_invalid(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover - registered for it only
        raise exc
    if not request.url.path.startswith(API_PREFIX + "/"):
        # Other routes keep FastAPI's own answer.
        return await request_validation_exception_handler(request, exc)
    return _answer(invalid(_errors(exc.errors())))


def install_handlers(web: FastAPI) -> None:
    web.add_exception_handler(RefusedError, _on_problem)
    web.add_exception_handler(RequestValidationError, _on_invalid)
