"""The API's own OpenAPI document (``/api/v1/openapi.json``) and its docs page (``/api/v1/docs``).

Only the ``/api/v1`` routes are in it. FastAPI files every response model under
``application/json``; refusals are ``application/problem+json``, so their schema is moved
there, beside the example each route gives.

The docs page is rendered here from the document, as plain HTML: no script and nothing from
another site, so it works under the portal's content security policy and without internet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

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


_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
)
_CODE = re.compile(r"`([^`]+)`")


def _prose(text: str) -> Markup:
    """Escaped text whose `backticked` parts are shown as code."""
    parts = _CODE.split(text)  # even indexes: prose, odd: code
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )


_TEMPLATES.filters["prose"] = _prose


def _example(doc: dict[str, Any], content: dict[str, Any]) -> str | None:
    """The example of a body or answer, as text: its own, or its schema's first."""
    found: Any = content.get("example")
    if found is None:
        schema = content.get("schema", {})
        examples = schema.get("examples")
        if not examples:
            target = schema.get("items", schema)
            refs = [s["$ref"] for s in [target, *target.get("anyOf", [])] if "$ref" in s]
            for ref in refs:
                examples = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("examples")
                if examples:
                    break
        if examples:
            found = [examples[0]] if "items" in schema else examples[0]
    if found is None:
        return None
    return found if isinstance(found, str) else json.dumps(found, indent=2, ensure_ascii=False)


def _operation(doc: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    body = op.get("requestBody", {}).get("content", {})
    media = next(iter(body), None)
    return {
        "anchor": op["operationId"],
        "method": method,
        "path": path,
        "summary": op.get("summary", ""),
        "description": op.get("description", ""),
        "parameters": op.get("parameters", []),
        "body_media": media,
        "body": _example(doc, body[media]) if media else None,
        "responses": [
            (
                code,
                answer.get("description", ""),
                next((_example(doc, c) for c in answer.get("content", {}).values()), None),
            )
            for code, answer in sorted(op.get("responses", {}).items())
        ],
    }


def docs_page(doc: dict[str, Any]) -> str:
    """The document as one readable page, routes grouped by their tag."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            tag = (op.get("tags") or ["api"])[0]
            groups.setdefault(tag, []).append(_operation(doc, path, method, op))
    return _TEMPLATES.get_template("docs.html").render(
        doc=doc, groups=list(groups.items()), openapi_url=OPENAPI_URL
    )


def install(web: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Serve the document of ``routers`` and the docs page over it."""
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    cached: dict[str, Any] = {}

    def current() -> dict[str, Any]:
        if not cached:
            cached.update(document(routes))
        return cached

    def openapi_json() -> JSONResponse:
        return JSONResponse(current())

    def docs() -> HTMLResponse:
        return HTMLResponse(docs_page(current()))

    web.add_api_route(OPENAPI_URL, openapi_json, include_in_schema=False)
    web.add_api_route(DOCS_URL, docs, include_in_schema=False)
