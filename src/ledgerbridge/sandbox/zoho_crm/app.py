"""The Zoho CRM v8 emulator as a FastAPI app: ``create_app`` wires state, OAuth and limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge.sandbox.core.app import admin_router, instrument
from ledgerbridge.sandbox.core.clock import VirtualClock
from ledgerbridge.sandbox.core.faults import FaultConfig, FaultInjector
from ledgerbridge.sandbox.core.ledger import CallLedger
from ledgerbridge.sandbox.core.limits import LimitDecision, RateLimiter
from ledgerbridge.sandbox.core.oauth import OAuthError, OAuthServer
from ledgerbridge.sandbox.zoho_crm import errors as e
from ledgerbridge.sandbox.zoho_crm.conditions import Group, Node
from ledgerbridge.sandbox.zoho_crm.fields import field_json
from ledgerbridge.sandbox.zoho_crm.metadata import module_json, org_json, user_json
from ledgerbridge.sandbox.zoho_crm.notifications import Channel
from ledgerbridge.sandbox.zoho_crm.state import (
    MAX_FIELDS,
    MAX_PER_PAGE,
    MAX_WRITE,
    Listing,
    WriteMode,
    ZohoCrmState,
    credits_for,
)

SYSTEM = "zoho_crm"
CLIENT_ID = "sandbox-zoho-client"
CLIENT_SECRET = "sandbox-zoho-secret"  # noqa: S105 - a published sandbox credential
ACCESS_TTL = 3600
MAX_ACCESS_PER_REFRESH = 10
MAX_CHANNEL_DAYS = 7
ORG_LIMIT_KEY = "org"
_SORT_FIELDS = ("id", "Created_Time", "Modified_Time")
# the v8 user types; AllUsers is the older spelling clients still send
_ACTIVE_USER_TYPES = (
    "AllUsers",
    "ActiveUsers",
    "ActiveConfirmedUsers",
    "ConfirmedUsers",
    "AdminUsers",
)
_WRITE_STATUS = {"insert": 201, "update": 200, "upsert": 200}


def _rate_headers(state: ZohoCrmState) -> dict[str, str]:
    now = state.clock.now()
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return {
        "X-RATELIMIT-LIMIT": str(state.credits.limit),
        "X-RATELIMIT-REMAINING": str(state.credits.remaining(now)),
        "X-RATELIMIT-RESET": str(int(midnight.timestamp() * 1000)),
    }


def _json(
    state: ZohoCrmState, status: int, body: Any, headers: dict[str, str] | None = None
) -> Response:
    merged = {**_rate_headers(state), **(headers or {})}
    if status == 204:
        return Response(status_code=204, headers=merged)
    return JSONResponse(body, status_code=status, headers=merged)


async def _body(request: Request) -> dict[str, Any]:
    """The JSON body, read whatever the Content-Type (Zoho accepts bodies without one)."""
    raw = await request.body()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError as exc:
        raise e.ApiError(400, "INVALID_DATA", "body", {}) from exc
    if not isinstance(parsed, dict):
        raise e.ApiError(400, "INVALID_DATA", "body", {})
    return parsed


def _int_param(value: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise e.invalid_param(name) from exc
    if number < low or (high is not None and number > high):
        raise e.invalid_param(name, maximum_length=str(high) if high else "")
    return number


def _since(value: str | None) -> int | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise e.invalid_param("If-Modified-Since") from exc
    if moment.tzinfo is None:
        raise e.invalid_param("If-Modified-Since")
    return int(moment.timestamp())


def _fields(value: str | None, *, required: bool) -> list[str] | None:
    if value is None or not value.strip():
        if required:
            raise e.required_param("fields")
        return None
    names = [part.strip() for part in value.split(",") if part.strip()]
    if len(names) > MAX_FIELDS:
        raise e.ApiError(
            400,
            "LIMIT_EXCEEDED",
            "Max field limit exceeded",
            {"limit": MAX_FIELDS, "param_name": "fields"},
        )
    return names


def _base(request: Request, state: ZohoCrmState) -> str:
    """The configured API domain, else the address this call came in on."""
    state.seen_base_url = str(request.base_url).rstrip("/")
    return state.base_url


def _write_status(mode: str, answers: list[dict[str, Any]]) -> int:
    ok = sum(1 for answer in answers if answer["status"] == "success")
    if ok == len(answers):
        if mode == "upsert":
            inserted = all(answer.get("action") == "insert" for answer in answers)
            return 201 if inserted else 200
        return _WRITE_STATUS[mode]
    return 400 if ok == 0 else 207


class _Auth:
    """Checks the ``Zoho-oauthtoken`` header and charges the call's API credits."""

    def __init__(self, state: ZohoCrmState, oauth: OAuthServer, limiter: RateLimiter) -> None:
        self.state = state
        self.oauth = oauth
        self.limiter = limiter

    def __call__(self, request: Request, cost: int = 1) -> str:
        _base(request, self.state)
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise e.auth_failure()
        if scheme != "Zoho-oauthtoken" or not token.strip():
            raise e.invalid_token()
        check = self.oauth.check(token.strip())
        if not check.ok:
            raise e.invalid_token()
        # credits follow the limits switch of the admin API as well as the state's own
        charged = self.state.credits.charge(cost, self.state.clock.now())
        if self.limiter.enabled and not charged:
            refused = e.too_many_requests(
                "You have exceeded the maximum number of API credits allowed for the day",
                limit=self.state.credits.limit,
            )
            reset_ms = int(_rate_headers(self.state)["X-RATELIMIT-RESET"])
            wait = max(1, reset_ms // 1000 - int(self.state.clock.timestamp()))
            refused.headers["Retry-After"] = str(wait)
            raise refused
        return check.user


def create_app(
    state: ZohoCrmState | None = None,
    *,
    clock: VirtualClock | None = None,
    ledger: CallLedger | None = None,
    faults: FaultConfig | None = None,
    limits: bool = True,
    data: str = ":memory:",
    api_domain: str | None = None,
) -> FastAPI:
    """Build the emulator; ``app.state.sandbox`` is the ``ZohoCrmState`` tests poke directly.

    ``api_domain`` is the base URL the token answers name (set it to the served address when
    serving on a port; left unset, the address of the incoming call is used). ``limits`` False
    switches off credits and concurrency; ``faults`` sets the starting fault switches.
    """
    if state is None:
        state = ZohoCrmState(data, clock=clock, api_domain=api_domain)
    elif api_domain is not None:
        state.api_domain = api_domain.rstrip("/")
    clock = state.clock
    ledger = ledger or CallLedger()
    injector = FaultInjector(faults)
    limiter = RateLimiter(clock, per_minute=None, per_day=None, concurrency=state.concurrency)
    limiter.enabled = limits
    state.credits.enabled = limits
    oauth = OAuthServer(
        clock,
        clients={CLIENT_ID: CLIENT_SECRET},
        access_ttl=ACCESS_TTL,
        rotate_refresh=False,
        max_access_per_refresh_per_10min=MAX_ACCESS_PER_REFRESH,
        faults=injector,
    )
    app = FastAPI(title="Zoho CRM v8 sandbox", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.sandbox = state
    app.state.oauth = oauth
    app.state.ledger = ledger
    app.state.faults = injector
    app.state.limiter = limiter
    auth = _Auth(state, oauth, limiter)

    @app.exception_handler(e.ApiError)
    async def api_error(_request: Request, exc: e.ApiError) -> Response:
        headers = dict(exc.headers)
        if exc.status == 429:
            headers.setdefault("Retry-After", "60")
        return _json(state, exc.status, exc.body, headers)

    def limit_response(decision: LimitDecision) -> Response:
        message = (
            "The number of concurrent requests has exceeded the limit"
            if decision.problem == "concurrent"
            else "You have made too many requests. Please try again after some time."
        )
        return JSONResponse(
            {"code": "TOO_MANY_REQUESTS", "details": {}, "message": message, "status": "error"},
            status_code=429,
            headers={"Retry-After": str(decision.retry_after or 1)},
        )

    def limit_key(request: Request) -> str | None:
        return ORG_LIMIT_KEY if request.url.path.startswith("/crm/") else None

    def error_response() -> Response:
        return JSONResponse(
            {
                "code": "INTERNAL_ERROR",
                "details": {},
                "message": "Internal server error occurred.",
                "status": "error",
            },
            status_code=500,
        )

    instrument(
        app,
        system=SYSTEM,
        ledger=ledger,
        faults=injector,
        limiter=limiter,
        limit_key=limit_key,
        limit_response=limit_response,
        error_response=error_response,
    )
    app.include_router(_oauth_router(state, oauth))
    app.include_router(_meta_router(state, auth))
    app.include_router(_watch_router(state, auth))
    app.include_router(_records_router(state, auth))

    @app.api_route(
        "/crm/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], response_model=None
    )
    def unknown_path(rest: str) -> Response:
        del rest
        raise e.not_found()

    app.include_router(
        admin_router(
            system=SYSTEM,
            clock=clock,
            ledger=ledger,
            faults=injector,
            limiter=limiter,
            oauth=oauth,
            extra=lambda router: _admin_extras(router, state, limiter),
        )
    )
    return app


def _oauth_router(state: ZohoCrmState, oauth: OAuthServer) -> APIRouter:
    router = APIRouter()

    @router.get("/oauth/v2/auth", response_model=None)
    def authorize(
        request: Request,
        *,
        client_id: str,
        redirect_uri: str,
        scope: str = "ZohoCRM.modules.ALL",
        response_type: str = "code",
        access_type: str = "online",
        state_param: Annotated[str | None, Query(alias="state")] = None,
        prompt: str | None = None,
    ) -> Response:
        del prompt
        if response_type != "code":
            return JSONResponse({"error": "unsupported_response_type"}, status_code=400)
        grant_scope = scope.replace(",", " ")
        if access_type == "offline":
            grant_scope += " offline_access"
        try:
            code = oauth.authorize(client_id, redirect_uri, grant_scope, state_param)
        except OAuthError as exc:
            return JSONResponse({"error": exc.error}, status_code=400)
        params = {"code": code, "location": "us", "accounts-server": _base(request, state)}
        if state_param is not None:
            params["state"] = state_param
        joiner = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(params)}", status_code=302)

    @router.post("/oauth/v2/token")
    async def token(request: Request) -> Response:
        params: dict[str, str] = dict(request.query_params)
        raw = await request.body()
        if raw:
            form = await request.form()
            params.update({k: str(v) for k, v in form.items()})
        grant = params.get("grant_type", "")
        client_id = params.get("client_id", "")
        secret = params.get("client_secret", "")
        try:
            if grant == "authorization_code":
                answer = oauth.exchange_code(
                    params.get("code", ""), client_id, secret, params.get("redirect_uri")
                )
            elif grant == "refresh_token":
                answer = oauth.refresh(params.get("refresh_token", ""), client_id, secret)
            else:
                return JSONResponse({"error": "unsupported_grant_type"})
        except OAuthError as exc:
            if exc.error == "too_many_requests":
                return JSONResponse(
                    {"error": "Access Denied", "error_description": exc.description},
                    status_code=400,
                )
            # Zoho answers bad codes and refresh tokens with HTTP 200 and an error body
            error = "invalid_client" if exc.error == "invalid_client" else "invalid_code"
            return JSONResponse({"error": error})
        body: dict[str, Any] = {
            "access_token": answer.access_token,
            "scope": answer.scope.replace(" offline_access", ""),
            "api_domain": _base(request, state),
            "token_type": "Bearer",
            "expires_in": answer.expires_in,
        }
        if grant == "authorization_code" and answer.refresh_token is not None:
            body["refresh_token"] = answer.refresh_token
        return JSONResponse(body)

    @router.post("/oauth/v2/token/revoke")
    def revoke(token: str) -> dict[str, str]:
        oauth.revoke(token)
        return {"status": "success"}

    return router


def _meta_router(state: ZohoCrmState, auth: _Auth) -> APIRouter:
    router = APIRouter(prefix="/crm/v8")

    @router.get("/org")
    def org(request: Request) -> Response:
        auth(request)
        return _json(state, 200, {"org": [org_json(state)]})

    @router.get("/users")
    def users(request: Request, type: str = "ActiveUsers") -> Response:
        user_id = auth(request)
        if type == "CurrentUser":
            chosen = [state.users.get(user_id) or state.user()]
        elif type in _ACTIVE_USER_TYPES:
            chosen = list(state.users.values())
        elif type in ("DeactiveUsers", "NotConfirmedUsers"):
            chosen = []
        else:
            raise e.invalid_param("type")
        if not chosen:
            return _json(state, 204, None)
        body = {
            "users": [user_json(state, user) for user in chosen],
            "info": {"per_page": 200, "count": len(chosen), "page": 1, "more_records": False},
        }
        return _json(state, 200, body)

    @router.get("/settings/modules")
    def modules(request: Request) -> Response:
        auth(request)
        return _json(
            state, 200, {"modules": [module_json(state, m) for m in state.modules.values()]}
        )

    @router.get("/settings/fields")
    def fields(request: Request, module: str | None = None) -> Response:
        auth(request)
        if not module:
            raise e.required_param("module")
        mdef = state.module(module)
        body = {"fields": [field_json(mdef, fdef, state.modules) for fdef in mdef.fields.values()]}
        return _json(state, 200, body)

    @router.get("/settings/custom_views")
    def custom_views(request: Request, module: str | None = None) -> Response:
        auth(request)
        if not module:
            raise e.required_param("module")
        mdef = state.module(module)
        views = [view for view in state.views.values() if view.module == mdef.api_name]
        body = {
            "custom_views": [
                {
                    "id": view.id,
                    "name": view.name,
                    "display_value": view.name,
                    "system_name": "ALLVIEWS" if view.condition() is None else None,
                    "system_defined": view.condition() is None,
                    "default": view.condition() is None,
                    "access_type": "public",
                    "category": "public_views",
                    "favorite": None,
                }
                for view in views
            ],
            "info": {
                "per_page": 200,
                "count": len(views),
                "page": 1,
                "more_records": False,
                "default": views[0].id,
            },
        }
        return _json(state, 200, body)

    @router.get("/settings/custom_views/{view_id}")
    def custom_view(request: Request, view_id: str, module: str | None = None) -> Response:
        auth(request)
        if not module:
            raise e.required_param("module")
        mdef = state.module(module)
        view = state.views.get(view_id)
        if view is None or view.module != mdef.api_name:
            raise e.invalid_param("id")
        condition = view.condition()
        body = {
            "custom_views": [
                {
                    "id": view.id,
                    "name": view.name,
                    "display_value": view.name,
                    "module": {"api_name": mdef.api_name},
                    "system_defined": condition is None,
                    "criteria": None if condition is None else _criteria_json(condition),
                }
            ]
        }
        return _json(state, 200, body)

    @router.post("/coql")
    async def coql(request: Request) -> Response:
        body = await _body(request)
        auth(request)
        query = body.get("select_query")
        if not isinstance(query, str) or not query.strip():
            raise e.ApiError(
                400, "SYNTAX_ERROR", "error occurred while parsing the query", {"clause": "select"}
            )
        page = await run_in_threadpool(state.coql, query)
        if not page.rows:
            return _json(state, 204, None)
        return _json(state, 200, {"data": page.rows, "info": page.info})

    return router


def _channel_error(index: int, api_name: str, code: str = "INVALID_DATA") -> dict[str, Any]:
    message = "required field not found" if code == "MANDATORY_NOT_FOUND" else "invalid data"
    return {
        "code": code,
        "details": {"api_name": api_name, "json_path": f"$.watch[{index}].{api_name}"},
        "message": message,
        "status": "error",
    }


def _watch_router(state: ZohoCrmState, auth: _Auth) -> APIRouter:
    router = APIRouter(prefix="/crm/v8/actions")

    def expiry_of(raw: Any, default: datetime) -> datetime | None:
        if raw is None:
            return default
        try:
            moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        now = state.clock.now()
        if moment <= now or moment > now + timedelta(days=MAX_CHANNEL_DAYS):
            return None
        return moment

    def event_json(channel: Channel) -> list[dict[str, Any]]:
        events = []
        for name in channel.events:
            module_name = name.partition(".")[0]
            mdef = state.modules.get(module_name)
            events.append(
                {
                    "channel_expiry": channel.expiry.isoformat(timespec="seconds"),
                    "resource_uri": f"{state.base_url}/crm/v8/{module_name}",
                    "resource_id": mdef.module_id if mdef else "",
                    "resource_name": module_name,
                    "channel_id": str(channel.channel_id),
                    "notification_condition": [],
                }
            )
        return events

    def check_events(events: Any) -> bool:
        if not isinstance(events, list) or not events:
            return False
        for item in events:
            if not isinstance(item, str):
                return False
            module_name, _, kind = item.partition(".")
            if module_name not in state.modules or kind not in ("all", "create", "edit", "delete"):
                return False
        return True

    async def subscribe(request: Request, *, replace: bool) -> Response:
        body = await _body(request)
        auth(request)
        items = body.get("watch")
        if not isinstance(items, list) or not items:
            raise e.ApiError(
                400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "watch"}
            )
        answers: list[dict[str, Any]] = []
        default_expiry = state.clock.now() + timedelta(hours=1)
        for index, item in enumerate(items):
            if not isinstance(item, dict) or item.get("channel_id") is None:
                answers.append(_channel_error(index, "channel_id", "MANDATORY_NOT_FOUND"))
                continue
            current = state.notifier.get(item["channel_id"])
            if replace and current is None:
                answers.append(_channel_error(index, "channel_id"))
                continue
            events = item.get("events", current.events if current else None)
            if events is None:
                answers.append(_channel_error(index, "events", "MANDATORY_NOT_FOUND"))
                continue
            if not check_events(events):
                answers.append(_channel_error(index, "events"))
                continue
            url = item.get("notify_url", current.notify_url if current else None)
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                code = "MANDATORY_NOT_FOUND" if url is None else "INVALID_DATA"
                answers.append(_channel_error(index, "notify_url", code))
                continue
            token = item.get("token", current.token if current else None)
            if token is not None and (not isinstance(token, str) or len(token) > 50):
                answers.append(_channel_error(index, "token"))
                continue
            expiry = expiry_of(item.get("channel_expiry"), default_expiry)
            if expiry is None:
                answers.append(_channel_error(index, "channel_expiry"))
                continue
            channel = Channel(item["channel_id"], list(events), url, token, expiry)
            state.notifier.put(channel)
            message = (
                "Successfully updated the subscribe details"
                if replace
                else "Successfully subscribed for actions-watch of the given module"
            )
            answers.append(
                {
                    "code": "SUCCESS",
                    "details": {"events": event_json(channel)},
                    "message": message,
                    "status": "success",
                }
            )
        ok = all(answer["status"] == "success" for answer in answers)
        status = (201 if not replace else 200) if ok else 400
        return _json(state, status, {"watch": answers})

    @router.post("/watch")
    async def enable(request: Request) -> Response:
        return await subscribe(request, replace=False)

    @router.put("/watch")
    async def update(request: Request) -> Response:
        return await subscribe(request, replace=True)

    @router.patch("/watch")
    async def patch(request: Request) -> Response:
        body = await _body(request)
        items = body.get("watch")
        if isinstance(items, list) and any(
            isinstance(item, dict) and item.get("_delete_events") for item in items
        ):
            auth(request)
            answers = []
            for index, item in enumerate(items):
                current = state.notifier.get(item.get("channel_id"))
                if current is None:
                    answers.append(_channel_error(index, "channel_id"))
                    continue
                removing = set(item.get("events") or [])
                current.events = [name for name in current.events if name not in removing]
                if not current.events:
                    state.notifier.remove(current.channel_id)
                answers.append(
                    {
                        "code": "SUCCESS",
                        "details": {"events": event_json(current)},
                        "message": "Successfully removed the subscribe details",
                        "status": "success",
                    }
                )
            ok = all(answer["status"] == "success" for answer in answers)
            return _json(state, 200 if ok else 400, {"watch": answers})
        return await subscribe(request, replace=True)

    @router.get("/watch")
    def listing(
        request: Request, channel_id: str | None = None, module: str | None = None
    ) -> Response:
        auth(request)
        now = state.clock.now()
        chosen = [
            channel
            for channel in state.channels
            if channel.expiry > now
            and (channel_id is None or str(channel.channel_id) == channel_id)
            and (module is None or any(ev.partition(".")[0] == module for ev in channel.events))
        ]
        if not chosen:
            return _json(state, 204, None)
        watch = [
            {
                "channel_id": channel.channel_id,
                "events": channel.events,
                "notify_url": channel.notify_url,
                "token": channel.token,
                "channel_expiry": channel.expiry.isoformat(timespec="seconds"),
                "resource_name": channel.events[0].partition(".")[0],
                "notify_on_related_action": False,
            }
            for channel in chosen
        ]
        info = {"per_page": 200, "page": 1, "count": len(watch), "more_records": False}
        return _json(state, 200, {"watch": watch, "info": info})

    @router.delete("/watch")
    def unsubscribe(request: Request, channel_ids: str | None = None) -> Response:
        auth(request)
        if not channel_ids:
            raise e.required_param("channel_ids")
        # unsubscribing is idempotent: a channel already gone is reported as removed
        idents = [part.strip() for part in channel_ids.split(",") if part.strip()]
        answers = []
        for ident in idents:
            state.notifier.remove(ident)
            answers.append(
                {
                    "code": "SUCCESS",
                    "details": {"channel_id": ident},
                    "message": "Successfully un-subscribed from actions-watch",
                    "status": "success",
                }
            )
        return _json(state, 200, {"watch": answers})

    return router


def _records_router(state: ZohoCrmState, auth: _Auth) -> APIRouter:
    router = APIRouter(prefix="/crm/v8")

    async def write(
        request: Request, module: str, mode: WriteMode, path_id: str | None = None
    ) -> Response:
        body = await _body(request)
        data = body.get("data")
        records = data if isinstance(data, list) else []
        auth(request, credits_for(request.method, max(1, len(records))))
        state.module(module)
        if not isinstance(data, list) or not data:
            raise e.ApiError(
                400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "data"}
            )
        if len(data) > MAX_WRITE:
            raise e.record_limit(MAX_WRITE)
        if path_id is not None and len(data) != 1:
            raise e.invalid_param("data")
        trigger = body.get("trigger")
        if trigger is not None and (
            not isinstance(trigger, list) or not all(isinstance(t, str) for t in trigger)
        ):
            raise e.invalid_param("trigger")
        check_fields = body.get("duplicate_check_fields")
        if check_fields is not None and (
            not isinstance(check_fields, list)
            or not all(isinstance(name, str) for name in check_fields)
        ):
            raise e.invalid_param("duplicate_check_fields")

        def run() -> list[dict[str, Any]]:
            return state.write(
                module,
                data,
                mode=mode,
                trigger=trigger,
                duplicate_check_fields=check_fields,
                path_id=path_id,
            )

        answers = await run_in_threadpool(run)
        return _json(state, _write_status(mode, answers), {"data": answers})

    @router.get("/{module}/search")
    async def search(
        request: Request,
        module: str,
        *,
        criteria: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        word: str | None = None,
        page: str | None = None,
        per_page: str | None = None,
        fields: str | None = None,
    ) -> Response:
        auth(request)
        wanted = _fields(fields, required=False)

        def run() -> Any:
            return state.search(
                module,
                criteria=criteria,
                email=email,
                phone=phone,
                word=word,
                page=_int_param(page, "page", 1, 1, None),
                per_page=_int_param(per_page, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE),
                wanted=wanted,
            )

        found = await run_in_threadpool(run)
        if not found.rows:
            return _json(state, 204, None)
        return _json(state, 200, {"data": found.rows, "info": found.info})

    @router.get("/{module}/deleted")
    def deleted(
        request: Request,
        module: str,
        type: str = "all",
        page: str | None = None,
        per_page: str | None = None,
    ) -> Response:
        auth(request)
        found = state.deleted(
            module,
            type,
            page=_int_param(page, "page", 1, 1, None),
            per_page=_int_param(per_page, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE),
        )
        if not found.rows:
            return _json(state, 204, None)
        return _json(state, 200, {"data": found.rows, "info": found.info})

    @router.post("/{module}/upsert")
    async def upsert(request: Request, module: str) -> Response:
        return await write(request, module, "upsert")

    @router.get("/{module}")
    async def list_records(
        request: Request,
        module: str,
        *,
        fields: str | None = None,
        page: str | None = None,
        per_page: str | None = None,
        page_token: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        cvid: str | None = None,
        ids: str | None = None,
        if_modified_since: Annotated[str | None, Header()] = None,
    ) -> Response:
        auth(request)
        mdef = state.module(module)
        wanted = _fields(fields, required=True)
        if sort_by is not None and sort_by not in _SORT_FIELDS:
            raise e.invalid_param("sort_by", supported_values=list(_SORT_FIELDS))
        if sort_order is not None and sort_order not in ("asc", "desc"):
            raise e.invalid_param("sort_order", supported_values=["asc", "desc"])
        id_list = [part.strip() for part in ids.split(",") if part.strip()] if ids else None
        if id_list is not None and len(id_list) > MAX_WRITE:
            raise e.record_limit(MAX_WRITE)
        listing = Listing(
            mdef.api_name,
            wanted or [],
            sort_by or "id",
            sort_order or "desc",
            _since(if_modified_since),
            id_list,
            cvid,
        )
        number = _int_param(page, "page", 1, 1, None)
        size = _int_param(per_page, "per_page", MAX_PER_PAGE, 1, MAX_PER_PAGE)

        def run() -> Any:
            return state.list_records(listing, page=number, per_page=size, page_token=page_token)

        found = await run_in_threadpool(run)
        if not found.rows:
            return _json(state, 204, None)
        return _json(state, 200, {"data": found.rows, "info": found.info})

    @router.post("/{module}")
    async def insert(request: Request, module: str) -> Response:
        return await write(request, module, "insert")

    @router.put("/{module}")
    async def update(request: Request, module: str) -> Response:
        return await write(request, module, "update")

    @router.delete("/{module}")
    def delete_many(request: Request, module: str, ids: str | None = None) -> Response:
        id_list = [part.strip() for part in (ids or "").split(",") if part.strip()]
        auth(request, credits_for("DELETE", max(1, len(id_list))))
        if not id_list:
            raise e.required_param("ids")
        if len(id_list) > MAX_WRITE:
            raise e.record_limit(MAX_WRITE)
        answers = state.delete_records(module, id_list)
        return _json(state, _write_status("update", answers), {"data": answers})

    @router.get("/{module}/{id}")
    async def get_one(
        request: Request,
        module: str,
        id: str,  # the route template names it as the vendor's docs do
        fields: str | None = None,
    ) -> Response:
        record_id = id
        auth(request)
        wanted = _fields(fields, required=False)
        found = await run_in_threadpool(state.get_record, module, record_id, wanted)
        if found is None:
            return _json(state, 204, None)
        return _json(state, 200, {"data": [found]})

    @router.put("/{module}/{id}")
    async def update_one(request: Request, module: str, id: str) -> Response:
        return await write(request, module, "update", id)

    @router.delete("/{module}/{id}")
    def delete_one(request: Request, module: str, id: str) -> Response:
        auth(request, 1)
        answers = state.delete_records(module, [id])
        return _json(state, _write_status("update", answers), {"data": answers})

    return router


def _admin_extras(router: APIRouter, state: ZohoCrmState, limiter: RateLimiter) -> None:
    @router.post("/records/{module}")
    async def create_record(module: str, request: Request) -> Response:
        body = await _body(request)
        try:
            created = await run_in_threadpool(state.create, module, body)
        except ValueError as exc:
            return JSONResponse({"refused": exc.args[0]}, status_code=400)
        return JSONResponse({"data": [created]}, status_code=201)

    @router.get("/records/{module}")
    def read_records(module: str) -> dict[str, Any]:
        return {"data": state.all(module)}

    @router.patch("/records/{module}/{record_id}")
    async def edit_record(module: str, record_id: str, request: Request) -> Response:
        body = await _body(request)
        try:
            edited = await run_in_threadpool(state.edit, module, record_id, body)
        except ValueError as exc:
            return JSONResponse({"refused": exc.args[0]}, status_code=400)
        return JSONResponse({"data": [edited]})

    @router.delete("/records/{module}/{record_id}")
    def delete_record(module: str, record_id: str, permanent: bool = False) -> Response:
        try:
            state.delete(module, record_id, permanent=permanent)
        except KeyError:
            return JSONResponse({"refused": record_id}, status_code=404)
        return JSONResponse({"deleted": record_id})

    @router.get("/workflow")
    def workflow() -> dict[str, Any]:
        return {"workflow_runs": state.workflow_runs, "trigger_requests": state.trigger_requests}

    @router.get("/channels")
    def channels() -> dict[str, Any]:
        return {
            "channels": [
                {
                    "channel_id": channel.channel_id,
                    "events": channel.events,
                    "notify_url": channel.notify_url,
                    "channel_expiry": channel.expiry.isoformat(),
                }
                for channel in state.channels
            ]
        }

    @router.post("/notifications/flush")
    def flush() -> dict[str, Any]:
        return {"flushed": state.flush_notifications()}

    @router.put("/settings")
    async def settings(request: Request) -> dict[str, Any]:
        body = await _body(request)
        if "multi_currency" in body:
            state.set_multi_currency(bool(body["multi_currency"]), body.get("base_currency"))
        if "search_lag_seconds" in body:
            state.search_lag_seconds = float(body["search_lag_seconds"])
        if "edition" in body:
            state.set_edition(str(body["edition"]), body.get("licensed_users"))
        if "credits" in body:
            state.credits.limit = int(body["credits"])
        if "concurrency" in body:
            limiter.concurrency = int(body["concurrency"])
        return {
            "multi_currency": state.org.multi_currency,
            "base_currency": state.org.iso_code,
            "search_lag_seconds": state.search_lag_seconds,
            "edition": state.org.edition,
            "credits": state.credits.limit,
            "concurrency": limiter.concurrency,
            "remaining_credits": state.credits.remaining(state.clock.now()),
        }


__all__ = ["CLIENT_ID", "CLIENT_SECRET", "create_app"]


# Condition operators as a custom view's criteria names them; emptiness is ``${EMPTY}``.
_COMPARATORS = {"equals": "equal", "is_null": "equal", "is_not_null": "not_equal"}


def _criteria_json(node: Node) -> dict[str, Any]:
    """A view's condition tree in the custom-view answer's ``criteria`` shape."""
    if isinstance(node, Group):
        return {"group_operator": node.joiner, "group": [_criteria_json(i) for i in node.items]}
    value: Any
    if node.operator in ("is_null", "is_not_null"):
        value = "${EMPTY}"
    elif node.operator in ("in", "not_in", "between"):
        value = list(node.values)
    else:
        value = node.values[0] if node.values else None
    return {
        "comparator": _COMPARATORS.get(node.operator, node.operator),
        "field": {"api_name": node.field},
        "value": value,
    }
