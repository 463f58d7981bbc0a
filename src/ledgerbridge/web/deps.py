"""What routes get injected: the wired application, the dispatcher and the webhook intake."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from ledgerbridge.bootstrap import App
from ledgerbridge.jobs.dispatch import Dispatcher
from ledgerbridge.web.intake import WebhookIntake


def get_application(request: Request) -> App:
    return cast(App, request.app.state.application)


def get_dispatcher(request: Request) -> Dispatcher:
    return cast(Dispatcher, request.app.state.dispatcher)


def get_intake(request: Request) -> WebhookIntake:
    return cast(WebhookIntake, request.app.state.intake)


ApplicationDep = Annotated[App, Depends(get_application)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
IntakeDep = Annotated[WebhookIntake, Depends(get_intake)]
