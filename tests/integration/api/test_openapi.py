"""The API's OpenAPI document is valid, covers every route and declares every refusal."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from ledgerbridge.web.api.routes import ROUTERS
from tests.integration.api.conftest import PROBLEM, Api

METHODS = {"get", "put", "post", "patch", "delete"}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_the_served_document_is_valid_openapi(api: Api) -> None:
    answer = api.http.get("/api/v1/openapi.json")
    assert answer.status_code == 200  # public, like any API description
    doc = answer.json()
    validate(doc)
    assert doc["info"]["title"] == "ledgerbridge API"
    assert all(path.startswith("/api/v1/") for path in doc["paths"])
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    served = {
        (route.path, method.lower())
        for router in ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert {(p, m) for p, m, _ in _operations(doc)} == served
    assert len(served) >= 30


def test_every_route_is_secured_and_declares_its_problems(api: Api) -> None:
    doc = api.http.get("/api/v1/openapi.json").json()
    for path, method, op in _operations(doc):
        where = f"{method.upper()} {path}"
        assert op["security"] == [{"HTTPBearer": []}], where
        assert op.get("summary") and op.get("description"), where
        answers = op["responses"]
        assert {"401", "422"} <= set(answers), where
        success = [c for c in answers if c.startswith("2")]
        assert len(success) == 1, where
        if success[0] != "204":
            assert answers[success[0]]["content"], where
        for code, answer in answers.items():
            if code.startswith(("4", "5")):
                assert set(answer["content"]) == {PROBLEM}, (where, code)
                problem = answer["content"][PROBLEM]
                assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}, (where, code)
                example = problem["example"]
                assert (example["status"], example["title"]) == (
                    int(code),
                    HTTPStatus(int(code)).phrase,
                ), (where, code)
                assert example["detail"], (where, code)
        if "{name}" in path:
            assert "404" in answers, where
        if method in {"put", "post", "patch"} and op.get("requestBody"):
            body = op["requestBody"]["content"]
            assert any("schema" in c for c in body.values()), where


def _has_example(doc: dict[str, Any], content: dict[str, Any]) -> bool:
    if "example" in content or "examples" in content:
        return True
    schema = content.get("schema", {})
    if schema.get("examples"):
        return True
    schema = schema.get("items", schema)
    refs = [s["$ref"] for s in [schema, *schema.get("anyOf", [])] if "$ref" in s]
    return any(doc["components"]["schemas"][r.rsplit("/", 1)[-1]].get("examples") for r in refs)


def test_examples_and_documented_refusals(api: Api) -> None:
    doc = api.http.get("/api/v1/openapi.json").json()
    for path, method, op in _operations(doc):
        for code, answer in op["responses"].items():
            for media, content in answer.get("content", {}).items():
                assert _has_example(doc, content), (method, path, code, media)
        for media, content in op.get("requestBody", {}).get("content", {}).items():
            assert _has_example(doc, content), (method, path, "body", media)
    paths = doc["paths"]
    delete = paths["/api/v1/integrations/{name}"]["delete"]["responses"]
    assert {"200", "401", "404", "409", "422", "502"} <= set(delete)
    conflict = delete["409"]["content"][PROBLEM]["example"]
    assert conflict["status"] == 409
    assert "disabled" in conflict["detail"]
    create = paths["/api/v1/connections"]["post"]["responses"]
    assert {"201", "409"} <= set(create)
    assert "403" in paths["/api/v1/connections/{connection}"]["delete"]["responses"]
    schemas = doc["components"]["schemas"]
    for model in ("ConnectionIn", "IntegrationOut", "IntegrationCreate", "FieldsIn", "Problem"):
        assert schemas[model].get("examples"), model
    runs = paths["/api/v1/integrations/{name}/runs"]["get"]["responses"]["200"]
    assert "Link" in runs["headers"]


def test_the_docs_page_shows_every_route_without_scripts(api: Api) -> None:
    page = api.http.get("/api/v1/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    html = page.text
    assert '<a href="/api/v1/openapi.json">' in html
    doc = api.http.get("/api/v1/openapi.json").json()
    for path, method, op in _operations(doc):
        assert f'id="{op["operationId"]}"' in html, (method, path)
        assert path in html
    # readable under a policy of this site's scripts only, and offline
    assert "<script" not in html
    assert 'src="http' not in html
    assert '<th scope="col">status</th>' in html
    assert "no integration named &#39;acme&#39;" in html  # examples are escaped, not markup
    # the whole application's document still builds with the API in it
    assert api.http.get("/openapi.json").status_code == 200
