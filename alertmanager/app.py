"""The receiver's HTTP API: Alertmanager's webhook, the alerts, the delivery log, metrics.

Webhook semantics follow Alertmanager's retrier: 200 once the body is stored, 5xx only when
storing failed (Alertmanager retries), 4xx only for what a retry cannot fix (a wrong token, a
body that is not a version 4 webhook), each logged.

The read APIs (alerts, delivery log) show technicians' addresses and message bodies: they take
a console API token (``ck_...``, any role) or the webhook's bearer token, and answer 401 with
``WWW-Authenticate: Bearer`` otherwise.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from alertmanager.groupcommit import WriterNotRunning
from alertmanager.payload import WebhookPayload
from alertmanager.schemas import AlertOut, DeliveryOut, Problem, WebhookAccepted
from alertmanager.service import ReceiverService
from chargekeeper.store import Alert, Delivery, DeliveryState
from console.auth import user_for_token

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/v1/alertmanager/webhook"
# Alertmanager's max_alerts is unbounded; this bounds one body (a 2,000-alert storm is ~3 MB).
MAX_BODY_BYTES = 32 * 1024 * 1024

# OpenAPI security schemes. Both only parse the header (auto_error=False): the handlers decide,
# so that the webhook keeps its constant-time check and its Problem answers.
_webhook_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="WebhookToken",
    description="The bearer token Alertmanager sends (receiver.yaml token_file).",
)
_reader_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ReadToken",
    description="A console API token (ck_..., any role) or the webhook's bearer token.",
)


def bearer_matches(header: str | None, token: str) -> bool:
    """Constant-time check of ``Authorization: Bearer <token>``."""
    scheme, _, given = (header or "").partition(" ")
    expected = token.encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


def create_app(
    service: ReceiverService, token: str | None, routers: Sequence[APIRouter] = ()
) -> FastAPI:
    """The FastAPI app; ``token`` None disables authentication (tests and the demo only)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="Chargekeeper receiver",
        version="1",
        description="Alertmanager webhook receiver, alerts and the notification delivery log.",
        lifespan=lifespan,
    )
    metrics = service.metrics
    sessions = service.pipeline.sessions

    def reader(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_reader_bearer)],
    ) -> None:
        """Let in a console API token's holder or Alertmanager's token; 401 otherwise."""
        given = credentials.credentials if credentials else ""
        if given and token is not None and bearer_matches(f"Bearer {given}", token):
            return
        if given and user_for_token(sessions, given) is not None:
            return
        raise HTTPException(
            401,
            "missing or unknown token: send 'Authorization: Bearer ck_...' (a console API token)",
            headers={"WWW-Authenticate": "Bearer"},
        )

    read_access: dict[str, Any] = {
        "dependencies": [Depends(reader)],
        "responses": {401: {"description": "Missing or unknown token"}},
    }

    @app.post(
        WEBHOOK_PATH,
        response_model=WebhookAccepted,
        responses={400: {"model": Problem}, 401: {"model": Problem}, 503: {"model": Problem}},
        dependencies=[Depends(_webhook_bearer)],
    )
    async def webhook(request: Request) -> Response:
        """Store an Alertmanager webhook (version 4) and answer at once; notify after."""
        started = time.perf_counter()
        if token is not None and not bearer_matches(request.headers.get("authorization"), token):
            metrics.webhooks.labels("unauthorized").inc()
            log.warning("webhook from %s refused: bad or missing bearer token", _peer(request))
            return _problem(401, "missing or wrong bearer token", None)
        body = await request.body()
        try:
            if len(body) > MAX_BODY_BYTES:
                raise ValueError(f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
            raw = json.loads(body)
            payload = WebhookPayload.model_validate(raw)
        except ValidationError as exc:
            return _invalid(request, _validation_detail(exc))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            return _invalid(request, f"not JSON: {exc}")
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

    def _invalid(request: Request, detail: Any) -> Response:
        metrics.webhooks.labels("invalid").inc()
        log.warning("webhook from %s refused as malformed: %s", _peer(request), detail)
        return _problem(400, "not an Alertmanager version 4 webhook", detail)

    @app.get("/api/v1/alerts", response_model=list[AlertOut], **read_access)
    def list_alerts(
        status: Annotated[str | None, Query(pattern="^(firing|resolved)$")] = None,
        site: str | None = None,
        family: str | None = None,
        severity: str | None = None,
        charge_point_id: str | None = None,
        since: Annotated[datetime | None, Query(description="starts_at at or after")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[AlertOut]:
        """Alerts, newest first, filtered by any of the given fields."""
        query = select(Alert).order_by(Alert.starts_at.desc(), Alert.id.desc()).limit(limit)
        for column, value in (
            (Alert.status, status),
            (Alert.site, site),
            (Alert.family, family),
            (Alert.severity, severity),
            (Alert.charge_point_id, charge_point_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            # A naive time is taken as UTC, an offset given by the caller is honoured.
            query = query.where(Alert.starts_at >= since)
        with sessions() as session:
            return [AlertOut.model_validate(row) for row in session.scalars(query)]

    @app.get("/api/v1/notifications", response_model=list[DeliveryOut], **read_access)
    def list_notifications(
        state: DeliveryState | None = None,
        channel: Annotated[str | None, Query(pattern="^(email|sms)$")] = None,
        recipient_id: str | None = None,
        site: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[DeliveryOut]:
        """The delivery log, newest first: every message, its state and attempts."""
        query = (
            select(Delivery)
            .options(selectinload(Delivery.alerts))
            .order_by(Delivery.id.desc())
            .limit(limit)
        )
        for column, value in (
            (Delivery.state, state),
            (Delivery.channel, channel),
            (Delivery.recipient_id, recipient_id),
            (Delivery.site, site),
        ):
            if value is not None:
                query = query.where(column == value)
        with sessions() as session:
            return [_delivery_out(row) for row in session.scalars(query)]

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # After the receiver's own routes: requests are matched in order, and the webhook, hit a
    # hundred times at once in a storm, should not be tried against every console page first.
    for router in routers:
        app.include_router(router)
    return app


def _delivery_out(row: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        created_at=row.created_at,
        status=row.status,
        site=row.site,
        recipient_id=row.recipient_id,
        recipient_name=row.recipient_name,
        channel=row.channel,
        address=row.address,
        language=row.language,
        subject=row.subject,
        body_text=row.body_text,
        state=row.state.value,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        failure_reason=row.failure_reason,
        failure_detail=row.failure_detail,
        provider_id=row.provider_id,
        failover_of_id=row.failover_of_id,
        alert_ids=[link.alert_id for link in row.alerts],
    )


def _peer(request: Request) -> str:
    return request.client.host if request.client else "?"


def _problem(status: int, error: str, detail: Any) -> JSONResponse:
    return JSONResponse(Problem(error=error, detail=detail).model_dump(), status_code=status)


def _validation_detail(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors()[:20]
    ]
