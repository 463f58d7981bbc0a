"""Validation of exchanged requests and answers against the vendors' OpenAPI specs.

``openapi-core`` is a development dependency, so it is imported inside the functions that
need it; the runtime package works without it.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

SPEC_DIR_ENV = "LEDGERBRIDGE_SPEC_DIR"
_ZOHO_REMOTE = re.compile(r"^https://raw\.githubusercontent\.com/[^#]*/v8\.0/([A-Za-z_]+\.json)")
# files tried first win, so specific paths beat record.json's /crm/v8/{module}/{id}
_ZOHO_FILES = (
    "coql.json",
    "notifications.json",
    "users.json",
    "fields.json",
    "modules.json",
    "bulk_read.json",
    "module_search.json",
    "record.json",
)
_XERO_HOST = "https://api.xero.com"
_ZOHO_HOST = "https://zohoapis.com"


class ConformanceError(AssertionError):
    """A request or answer does not match the vendor's spec."""

    def __init__(self, method: str, path: str, stage: str, problems: list[str]) -> None:
        self.method = method
        self.path = path
        self.stage = stage
        self.problems = problems
        joined = "; ".join(problems)
        super().__init__(f"{method} {path}: {stage} does not match the spec: {joined}")


def spec_dir() -> Path:
    """Where the vendor specs live: $LEDGERBRIDGE_SPEC_DIR, ../shared/specs, /work/shared/specs."""
    configured = os.environ.get(SPEC_DIR_ENV)
    candidates = [Path(configured)] if configured else []
    candidates += [
        (Path(__file__).parents[4] / "../shared/specs").resolve(),
        Path("/work/shared/specs"),
    ]
    for candidate in candidates:
        if (candidate / "xero").is_dir():
            return candidate
    raise FileNotFoundError(f"no spec directory found (set {SPEC_DIR_ENV})")


def _load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506
    return loaded


def _without_security(data: dict[str, Any]) -> dict[str, Any]:
    # the emulators enforce auth themselves; openapi-core only warns on OAuth2 schemes
    paths = {
        template: {
            method: (
                {k: v for k, v in operation.items() if k != "security"}
                if isinstance(operation, dict)
                else operation
            )
            for method, operation in item.items()
        }
        for template, item in data.get("paths", {}).items()
    }
    return {**{k: v for k, v in data.items() if k != "security"}, "paths": paths}


def _openapi(
    data: dict[str, Any], base_uri: str, documents: dict[str, dict[str, Any]] | None = None
) -> Any:
    from jsonschema_path import SchemaPath
    from openapi_core import Config, OpenAPI

    data = _without_security(data)
    config = Config(spec_validator_cls=None)  # trusted input; checking it on load costs seconds
    if documents is None:
        return OpenAPI.from_dict(data, base_uri=base_uri, config=config)
    # A $ref into a sibling file resolves to the already loaded (and rewritten) document, read
    # once per process, instead of the raw file re-read and re-parsed on every reference.
    by_uri = {
        (Path(base_uri[len("file://") :]).parent / name).resolve().as_uri(): doc
        for name, doc in documents.items()
    }

    def local(uri: str) -> Any:
        return by_uri[uri.split("#", 1)[0]]

    handlers = {"file": local}
    spec = SchemaPath.from_dict(data, base_uri=base_uri, handlers=handlers)
    return OpenAPI(spec, config=config)


@cache
def load_xero_spec() -> Any:
    """The Xero Accounting spec as an ``openapi_core.OpenAPI`` (cached per process)."""
    path = spec_dir() / "xero" / "xero_accounting.yaml"
    return _openapi(_load_yaml(path), path.resolve().as_uri())


@cache
def load_xero_identity_spec() -> Any:
    path = spec_dir() / "xero" / "xero-identity.yaml"
    return _openapi(_load_yaml(path), path.resolve().as_uri())


def _rewrite_refs(node: Any, folder: Path) -> Any:
    """Point refs at the vendor's GitHub files to local copies (unknown files: any value)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            match = _ZOHO_REMOTE.match(ref)
            if match:
                local = folder / match.group(1)
                if not local.exists():
                    return {}
                return {**node, "$ref": local.resolve().as_uri() + ref[match.end() :]}
        # Zoho's schemas use oneOf where branches overlap (an answer matches both the record
        # wrapper and API_Exception); anyOf is what the schemas mean
        return {
            ("anyOf" if key == "oneOf" else key): _rewrite_refs(value, folder)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, folder) for item in node]
    return node


@cache
def _zoho_documents() -> dict[str, dict[str, Any]]:
    folder = spec_dir() / "zoho-crm-v8"
    loaded: dict[str, dict[str, Any]] = {}
    # common.json is only reached through references; it is rewritten like the others.
    for name in (*_ZOHO_FILES, "common.json"):
        with (folder / name).open(encoding="utf-8") as handle:
            loaded[name] = _rewrite_refs(json.load(handle), folder)
    return loaded


@cache
def load_zoho_spec() -> tuple[Any, ...]:
    """The Zoho CRM v8 spec files as ``OpenAPI`` objects, most specific first (cached)."""
    folder = spec_dir() / "zoho-crm-v8"
    documents = _zoho_documents()
    return tuple(
        _openapi(documents[name], (folder / name).resolve().as_uri(), documents)
        for name in _ZOHO_FILES
    )


# -- adapters from httpx to openapi-core's request and response protocols ------------------------


class _Request:
    def __init__(self, request: httpx.Request, host_url: str, path: str) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = host_url
        self.path = path
        self.method = request.method.lower()
        query = parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=Headers([(k, v) for k, v in request.headers.items()]),
            cookie=ImmutableMultiDict(),
        )
        content = request.content
        self.body: bytes | None = content if content else None
        self.content_type = request.headers.get("content-type", "").lower()


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        from werkzeug.datastructures import Headers

        self.status_code = response.status_code
        self.headers = Headers([(k, v) for k, v in response.headers.items()])
        self.content_type = response.headers.get("content-type", "").lower()
        self.data: bytes | None = response.content


@dataclass
class _Target:
    specs: tuple[Any, ...]
    host_url: str
    path: str


def _canonical_segments(spec: Any) -> dict[str, str]:
    """Lower-case literal path segments of a spec mapped to their spelling in the spec."""
    names: dict[str, str] = {}
    for template in spec.spec / "paths":
        for part in str(template).split("/"):
            if part and not part.startswith("{"):
                names.setdefault(part.lower(), part)
    return names


@cache
def _xero_segments() -> dict[str, str]:
    return _canonical_segments(load_xero_spec())


@cache
def _identity_segments() -> dict[str, str]:
    return _canonical_segments(load_xero_identity_spec())


def _recase(path: str, names: dict[str, str]) -> str:
    # Xero's paths are case-insensitive; the spec has one spelling
    return "/".join(names.get(part.lower(), part) for part in path.split("/"))


def _ambiguous(spec: Any, path: str) -> bool:
    """Whether more than one path template of ``spec`` fits ``path`` (by its last segments)."""
    parts = [p for p in path.split("/") if p]
    fits = 0
    for template in (spec.spec / "paths").keys():  # noqa: SIM118 - a SchemaPath, not a dict
        pattern = [p for p in str(template).split("/") if p]
        tail = parts[-len(pattern) :] if len(pattern) <= len(parts) else []
        if len(tail) == len(pattern) and all(
            t.startswith("{") or t == got for t, got in zip(pattern, tail, strict=True)
        ):
            fits += 1
    return fits > 1


def _target(path: str) -> _Target | None:
    lowered = path.lower()
    if lowered.startswith("/api.xro/2.0/"):
        rest = _recase(path[len("/api.xro/2.0") :], _xero_segments())
        return _Target((load_xero_spec(),), _XERO_HOST, "/api.xro/2.0" + rest)
    if lowered == "/connections" or lowered.startswith("/connections/"):
        recased = _recase(path, _identity_segments())
        return _Target((load_xero_identity_spec(),), _XERO_HOST, recased)
    if lowered.startswith("/crm/v8/") or lowered.startswith("/crm/bulk/v8/"):
        return _Target(load_zoho_spec(), _ZOHO_HOST, path)
    return None


@dataclass
class ValidationRecord:
    method: str
    path: str
    status: int


@dataclass
class _Seen:
    validated: list[ValidationRecord] = field(default_factory=list)
    unvalidated: list[ValidationRecord] = field(default_factory=list)
    undescribed: list[ValidationRecord] = field(default_factory=list)


def _messages(error: BaseException) -> list[str]:
    found = [f"{type(error).__name__}: {error}"]
    for inner in getattr(error, "schema_errors", None) or []:
        location = "/".join(str(p) for p in getattr(inner, "absolute_path", []))
        found.append(f"  at {location or '<root>'}: {getattr(inner, 'message', inner)}")
    cause = error.__cause__
    if cause is not None and cause is not error:
        found += _messages(cause)
    return found


class ValidatingTransport(httpx.BaseTransport):
    """Wraps a transport and checks every request and answer against the vendor's spec.

    Paths without an operation in any spec (OAuth token endpoints, ``/_sandbox``, Zoho Books)
    pass through and are listed in ``unvalidated``; validated calls are listed in ``validated``;
    answers with a status the operation does not describe are listed in ``undescribed``.
    """

    def __init__(self, inner: httpx.BaseTransport, *, validate_responses: bool = True) -> None:
        self.inner = inner
        self.validate_responses = validate_responses
        self._lock = threading.Lock()
        self._seen = _Seen()

    @property
    def validated(self) -> list[ValidationRecord]:
        with self._lock:
            return list(self._seen.validated)

    @property
    def unvalidated(self) -> list[ValidationRecord]:
        with self._lock:
            return list(self._seen.unvalidated)

    @property
    def undescribed(self) -> list[ValidationRecord]:
        """Calls whose request was validated but whose answer status the spec does not list."""
        with self._lock:
            return list(self._seen.undescribed)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        from openapi_core.templating.paths.exceptions import PathError

        request.read()
        path = request.url.path
        target = _target(path)
        chosen: Any = None
        adapted: _Request | None = None
        if target is not None:
            adapted = _Request(request, target.host_url, target.path)
            for spec in target.specs:
                try:
                    spec.validate_request(adapted)
                except PathError:
                    continue
                except Exception as exc:
                    if _ambiguous(spec, target.path):
                        # Two templates fit this path (Xero's /PurchaseOrders/{PurchaseOrderID}
                        # and /PurchaseOrders/{PurchaseOrderNumber}); the validator only ever
                        # tries the first, so the call goes unvalidated rather than refused.
                        break
                    raise ConformanceError(request.method, path, "request", _messages(exc)) from exc
                chosen = spec
                break
        response = self.inner.handle_request(request)
        if chosen is None or adapted is None:
            with self._lock:
                self._seen.unvalidated.append(
                    ValidationRecord(request.method, path, response.status_code)
                )
            return response
        response.read()
        if self.validate_responses:
            from openapi_core.templating.responses.exceptions import ResponseNotFound

            try:
                chosen.validate_response(adapted, _Response(response))
            except ResponseNotFound:
                # the spec does not describe this status (401, 403, 429 ...): nothing to check
                with self._lock:
                    self._seen.undescribed.append(
                        ValidationRecord(request.method, path, response.status_code)
                    )
                return response
            except Exception as exc:
                raise ConformanceError(request.method, path, "answer", _messages(exc)) from exc
        with self._lock:
            record = ValidationRecord(request.method, path, response.status_code)
            self._seen.validated.append(record)
        return response

    def close(self) -> None:
        self.inner.close()
