"""Webhook routes: Xero's signed batches and Zoho CRM's channel notifications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ledgerbridge.connectors.xero.webhooks import SIGNATURE_HEADER
from ledgerbridge.web.deps import IntakeDep
from ledgerbridge.web.intake import IntakeResult
from ledgerbridge.web.problems import problem

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("/xero/{integration}")
async def xero_webhook(integration: str, request: Request, intake: IntakeDep) -> Response:
    body = await request.body()
    signature = request.headers.get(SIGNATURE_HEADER)
    result = await run_in_threadpool(intake.xero, integration, body, signature)
    if result.status == 200:
        # Xero wants exactly an empty 200 (also the intent-to-receive handshake).
        return Response(status_code=200)
    return _refused(result)


@router.post("/zoho/{integration}")
async def zoho_webhook(integration: str, request: Request, intake: IntakeDep) -> Response:
    body = await request.body()
    result = await run_in_threadpool(intake.zoho, integration, body)
    if result.status != 200:
        return _refused(result)
    answer: dict[str, Any] = {"queued": result.queued, "replayed": result.replayed}
    if result.waiting:
        answer["waiting"] = result.detail
    if result.intake.deleted:
        answer["deleted_not_propagated"] = list(result.intake.deleted)
    return JSONResponse(answer)


def _refused(result: IntakeResult) -> Response:
    if result.status == 401:
        # Xero reads 401 as "signature refused"; the body says no more than that.
        return Response(status_code=401)
    return problem(result.status, result.detail)
