"""The API's own OpenAPI document (``/api/v1/openapi.json``) and its docs page (``/api/v1/docs``).

Only the ``/api/v1`` routes are in it. FastAPI files every response model under
``application/json``; refusals are ``application/problem+json``, so their schema is moved
there, beside the example each route gives.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute

from ledgerbridge import __version__
from ledgerbridge.web.api.problems import API_PREFIX
from ledgerbridge.web.problems import PROBLEM_JSON

OPENAPI_URL = f"{API_PREFIX}/openapi.json"
DOCS_URL = f"{API_PREFIX}/docs"

DESCRIPTION = """\
Connections, integrations, flows and field maps, schedules, runs and their records of a
ledgerbridge installation.

Every request carries a token: `Authorization: Bearer <token>`, made with
`ledgerbridge token create NAME` (`--user EMAIL` for one that sees only that user's
integrations). Every refusal is an RFC 9457 problem document (`application/problem+json`)
whose `detail` says what was wrong and what to do; a 422 also lists each bad field under
`errors`. An integration a token may not see is answered 404, like one that does not exist.
"""


def _problem_content(operation: dict[str, Any]) -> None:
    for code, answer in operation.get("responses", {}).items():
        if not code.startswith(("4", "5")):
            continue
        content = answer.setdefault("content", {})
        plain = content.pop("application/json", None)
        problem = content.setdefault(PROBLEM_JSON, {})
        if plain and "schema" in plain:
            problem.setdefault("schema", plain["schema"])
        example = problem.get("example")
        if isinstance(example, dict) and "detail" in example:
            problem["example"] = {
                "type": "about:blank",
                "title": HTTPStatus(int(code)).phrase,  # as the answers themselves say it
                "status": int(code),
                **example,
            }


def _no_content(operation: dict[str, Any]) -> None:
    answer = operation.get("responses", {}).get("204")
    if answer is not None:
        answer.pop("content", None)


def document(routes: Iterable[APIRoute]) -> dict[str, Any]:
    doc = get_openapi(
        title="ledgerbridge API",
        version=__version__,
        description=DESCRIPTION,
        routes=list(routes),
    )
    for path in doc.get("paths", {}).values():
        for operation in path.values():
            _problem_content(operation)
            _no_content(operation)
    return doc


def install(web: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Serve the document of ``routers`` and the docs page over it."""
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    cached: dict[str, Any] = {}

    def openapi_json() -> JSONResponse:
        if not cached:
            cached.update(document(routes))
        return JSONResponse(cached)

    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=OPENAPI_URL, title="ledgerbridge API")

    web.add_api_route(OPENAPI_URL, openapi_json, include_in_schema=False)
    web.add_api_route(DOCS_URL, docs, include_in_schema=False)
