"""``GET /api/v1/notifications``: the delivery log, every message and what became of it."""

# No ``from __future__ import annotations``: FastAPI reads the annotations at run time.

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from chargekeeper.api.models import DeliveryOut
from chargekeeper.store import Delivery, DeliveryState
from console.api.base import read_access
from console.context import ConsoleContext


def notifications_api_router(ctx: ConsoleContext) -> APIRouter:
    """The delivery log shows addresses and bodies: an API token or the webhook token."""
    router = APIRouter(prefix="/api/v1")

    @router.get("/notifications", response_model=list[DeliveryOut], **read_access(ctx))
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
        with ctx.sessions() as session:
            return [DeliveryOut.of(row) for row in session.scalars(query)]

    return router
