"""The receiver's HTTP endpoints: Alertmanager's webhook, ``/metrics`` and ``/healthz``.

The webhook follows Alertmanager's retrier: 200 once the body is stored, 5xx only when
storing failed (Alertmanager retries), 4xx only for what a retry cannot fix (a wrong token, a
body that is not a version 4 webhook), each logged and counted. Its token is checked by the
API's one bearer check (``chargekeeper.api``); a refusal is answered here, as a Problem.

Its body limit is FastAPI's ``max_body_size`` on the route: a declared Content-Length over it
is refused (413) before a byte is read, a chunked body as soon as the count passes it.
"""

# No ``from __future__ import annotations``: FastAPI reads the handler's annotations at run time.

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from alertmanager.groupcommit import WriterNotRunning
from alertmanager.service import ReceiverService
from alertmanager.stages.validate import MAX_BODY_BYTES, InvalidWebhook, validate
from chargekeeper.api import Accept, BearerAuth, Caller
from chargekeeper.api.models import Problem, WebhookAccepted
from chargekeeper.routing import WEBHOOK_PATH

log = logging.getLogger(__name__)


def receiver_router(service: ReceiverService, bearer: BearerAuth) -> APIRouter:
    """The webhook (validate → store, answered before anything else happens), metrics, health."""
    router = APIRouter()
    metrics = service.metrics
    alertmanager = bearer.optional(Accept.WEBHOOK)

    @router.post(
        WEBHOOK_PATH,
        response_model=WebhookAccepted,
        responses={400: {"model": Problem}, 401: {"model": Problem}, 503: {"model": Problem}},
        max_body_size=MAX_BODY_BYTES,
    )
    async def webhook(
        request: Request, caller: Annotated[Caller | None, Depends(alertmanager)]
    ) -> Response:
        """Store an Alertmanager webhook (version 4) and answer at once; notify after."""
        started = time.perf_counter()
        if caller is None:
            metrics.webhooks.labels("unauthorized").inc()
            log.warning("webhook from %s refused: bad or missing bearer token", _peer(request))
            return _problem(401, "missing or wrong bearer token", None)
        try:
            payload, raw = validate(await request.body())
        except InvalidWebhook as exc:
            metrics.webhooks.labels("invalid").inc()
            log.warning("webhook from %s refused as malformed: %s", _peer(request), exc.detail)
            return _problem(400, "not an Alertmanager version 4 webhook", exc.detail)
        try:
            # Committed (with the webhooks that arrived meanwhile) before this returns.
            receipt_id = await service.store(payload, raw)
        except (SQLAlchemyError, OSError, WriterNotRunning) as exc:
            metrics.webhooks.labels("store_failed").inc()
            log.error("storing webhook for %r failed: %s", payload.group_key, exc)
            return _problem(503, "could not store the webhook; retry", str(exc))
        metrics.webhooks.labels("stored").inc()
        if payload.truncated_alerts:
            metrics.truncated.inc(payload.truncated_alerts)
        metrics.webhook_seconds.observe(time.perf_counter() - started)
        accepted = WebhookAccepted(
            receipt_id=receipt_id,
            alerts=len(payload.alerts),
            truncated_alerts=payload.truncated_alerts,
        )
        return JSONResponse(accepted.model_dump())

    @router.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return router


def _peer(request: Request) -> str:
    return request.client.host if request.client else "?"


def _problem(status: int, error: str, detail: object) -> JSONResponse:
    return JSONResponse(Problem(error=error, detail=detail).model_dump(), status_code=status)
