"""The delivery log page: every message the receiver queued, newest first, with its result.

Each message is shown whole (an SMS cut mid-word reads as a different message), with its
channel and state in the reader's language."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from chargekeeper.store import Delivery, DeliveryState
from console.context import ConsoleContext
from console.labels import label_text
from console.web.guard import page_user
from console.web.render import language_of, render

LOG_LIMIT = 200
CHANNELS = ("email", "sms")


def notifications_router(ctx: ConsoleContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/notifications")
    def notifications(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        states = [state.value for state in DeliveryState]
        state = request.query_params.get("state", "")
        channel = request.query_params.get("channel", "")
        query = select(Delivery).order_by(Delivery.id.desc()).limit(LOG_LIMIT)
        if state in states:
            query = query.where(Delivery.state == DeliveryState(state))
        if channel in CHANNELS:
            query = query.where(Delivery.channel == channel)
        with ctx.sessions() as session:
            deliveries = list(session.scalars(query))
        language = language_of(request, ctx.config.language)

        def label(kind: str, value: str) -> str:
            return label_text(language, kind, value)

        return render(
            request,
            "notifications.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            deliveries=deliveries,
            states=states,
            channels=CHANNELS,
            state=state,
            channel=channel,
            local_time=ctx.local_time,
            label=label,
        )

    return router
