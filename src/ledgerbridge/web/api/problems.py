"""How the API refuses: RFC 9457 problem details for its own refusals and for bad input."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from ledgerbridge.web.problems import problem

API_PREFIX = "/api/v1"


class RefusedError(Exception):
    """A refusal raised anywhere under a route, answered as a problem document."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


def _answer(refusal: RefusedError) -> JSONResponse:
    answer = problem(refusal.status, refusal.detail)
    answer.headers.update(refusal.headers)
    return answer


async def _on_problem(_: Request, exc: Exception) -> Response:
    if not isinstance(exc, RefusedError):  # pragma: no cover - registered for RefusedError only
        raise exc
    return _answer(exc)


def _field(loc: tuple[int | str, ...]) -> str:
    # ("body", "window", "days") names the field as a client writes it: window.days
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "path", "query", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _on_invalid(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):  # pragma: no cover - registered for it only
        raise exc
    if not request.url.path.startswith(API_PREFIX + "/"):
        # Other routes keep FastAPI's own answer.
        return await request_validation_exception_handler(request, exc)
    reasons = "; ".join(f"{_field(tuple(e['loc']))}: {e['msg']}" for e in exc.errors())
    return problem(422, reasons or "the request is not valid")


def install_handlers(web: FastAPI) -> None:
    web.add_exception_handler(RefusedError, _on_problem)
    web.add_exception_handler(RequestValidationError, _on_invalid)
