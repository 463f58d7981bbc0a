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
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerbridge.domain.errors import ConfigError, LedgerbridgeError, RetriableError, StateError
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
    if not _in_api(request):
        # Other routes keep FastAPI's own answer.
        return await request_validation_exception_handler(request, exc)
    return _answer(invalid(_errors(exc.errors())))


def _in_api(request: Request) -> bool:
    return request.url.path == API_PREFIX or request.url.path.startswith(API_PREFIX + "/")


async def _on_http(request: Request, exc: Exception) -> Response:
    """Unknown API paths and methods are problem documents too; other paths keep FastAPI's."""
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - registered for it only
        raise exc
    if not _in_api(request):
        return await http_exception_handler(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404:
        detail = f"no route {request.url.path}; {API_PREFIX}/docs lists the routes"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    answer = problem_response(exc.status_code, detail)
    answer.headers.update(exc.headers or {})
    return answer


async def _on_error(request: Request, exc: Exception) -> Response:
    """An error of ours that a route did not turn into a refusal: still a problem document.

    A config or state the operation cannot work with is a conflict; a system that failed for
    now, unavailable; anything else an internal error, with the message (ours never hold
    secrets: the log masking rules apply to them as well).
    """
    if not _in_api(request):
        raise exc
    if isinstance(exc, ConfigError | StateError):
        return problem_response(409, str(exc))
    if isinstance(exc, RetriableError):
        return problem_response(503, str(exc))
    return problem_response(500, str(exc))


def install_handlers(web: FastAPI) -> None:
    web.add_exception_handler(RefusedError, _on_problem)
    web.add_exception_handler(RequestValidationError, _on_invalid)
    web.add_exception_handler(StarletteHTTPException, _on_http)
    web.add_exception_handler(LedgerbridgeError, _on_error)
