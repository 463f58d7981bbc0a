"""Readiness and metrics routes: ``/readyz`` for load balancers, ``/metrics`` for Prometheus."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ledgerbridge.bootstrap import App
from ledgerbridge.checks import database_problems
from ledgerbridge.observability import metrics


def install(web: FastAPI, application: App) -> None:
    # One registry per web app: its collector reads this application's open connectors.
    budgets = metrics.registry_for(application.opened)

    @web.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        """200 when the database answers and its schema is current; 503 with reasons if not."""
        problems = await run_in_threadpool(database_problems, application.store.engine)
        if problems:
            return JSONResponse({"status": "unavailable", "reasons": problems}, status_code=503)
        return JSONResponse({"status": "ready"})

    if application.settings.metrics_enabled:

        @web.get("/metrics", tags=["health"], include_in_schema=False)
        def prometheus() -> Response:
            body, content_type = metrics.exposition(budgets)
            return Response(body, media_type=content_type)
