"""The web application: webhooks, the CRM button URL and health; more routers join here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ledgerbridge import __version__, portal
from ledgerbridge.bootstrap import App
from ledgerbridge.jobs.dispatch import Dispatcher
from ledgerbridge.web import button, health, webhooks
from ledgerbridge.web.api import routes as api
from ledgerbridge.web.coalesce import Coalescer, Schedule, thread_timer
from ledgerbridge.web.intake import WebhookIntake
from ledgerbridge.web.replay import ReplayGuard


def create_app(
    application: App,
    dispatcher: Dispatcher,
    *,
    schedule: Schedule = thread_timer,
    replay: ReplayGuard | None = None,
) -> FastAPI:
    """The FastAPI app over a wired ``application``; jobs go to ``dispatcher``.

    ``schedule`` runs the webhook coalescing timers (tests pass one they fire by hand).
    """
    coalescer = Coalescer(
        dispatcher.submit_records,
        application.settings.webhook_coalesce_seconds,
        schedule=schedule,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        coalescer.close()  # what arrived just before shutdown is still queued

    web = FastAPI(title="ledgerbridge", version=__version__, lifespan=lifespan)
    web.state.application = application
    web.state.dispatcher = dispatcher
    web.state.coalescer = coalescer
    web.state.intake = WebhookIntake(application, coalescer, replay or ReplayGuard())
    web.include_router(webhooks.router)
    web.include_router(button.router)
    api.install(web)
    portal.install(web, application)

    @web.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    health.install(web, application)

    return web
