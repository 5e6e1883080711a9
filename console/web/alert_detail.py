"""The alert detail page: timeline, translated code, who was told, runbook and dashboard
links, ack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from chargekeeper.routing import LiveRouting
from chargekeeper.store import Acknowledgement, Alert, AlertSilence, Delivery, DeliveryAlert
from console import alert_view as views
from console.context import ConsoleContext
from console.labels import label_text
from console.pipeline import pipeline_health
from console.web.alerts import ACK_HOURS, routing_view, site_names
from console.web.guard import page_user
from console.web.render import language_of, render
from translator import Translation


@dataclass(frozen=True)
class TimelineEntry:
    """One line of an alert's timeline; ``ok`` False marks a failed delivery."""

    at: datetime
    kind: str  # fired | received | notified | acked | resolved
    who: str = ""
    channel: str = ""  # notified: email | sms; acked: console | sms
    state: str = ""
    note: str = ""
    ok: bool = True


def alert_detail_router(ctx: ConsoleContext, routing: LiveRouting | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    default_language = ctx.config.language

    @router.get("/alerts/{alert_id}")
    def alert_detail(alert_id: int, request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        language = language_of(request, default_language)
        with ctx.sessions() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise HTTPException(404, f"no alert {alert_id}")
            deliveries = list(
                session.scalars(
                    select(Delivery)
                    .join(DeliveryAlert, DeliveryAlert.delivery_id == Delivery.id)
                    .where(DeliveryAlert.alert_id == alert_id)
                    .order_by(Delivery.created_at, Delivery.id)
                )
            )
            acks = list(
                session.scalars(
                    select(Acknowledgement)
                    .where(Acknowledgement.alert_id == alert_id)
                    .order_by(Acknowledgement.at)
                )
            )
            silence = session.scalar(
                select(AlertSilence)
                .where(AlertSilence.alert_id == alert_id, AlertSilence.expired_at.is_(None))
                .limit(1)
            )
            health = pipeline_health(session, language)
            view = views.alert_view(
                alert,
                acks[0] if acks else None,
                [
                    (d.recipient_name or d.recipient_id, d.channel, d.state)
                    for d in deliveries
                    if d.status == "firing"
                ],
                language=language,
                translator=ctx.translator,
                routing=routing_view(ctx, routing),
                now=datetime.now(UTC),
            )
        labels = {str(k): str(v) for k, v in alert.labels.items()}
        return render(
            request,
            "alert.html",
            default_language,
            user=user,
            csrf=data.csrf,
            alert=alert,
            view=view,
            health=health,
            labels=labels,
            site_name=site_names(ctx.fleet).get(alert.site, alert.site),
            annotations={str(k): str(v) for k, v in alert.annotations.items()},
            timeline=timeline(alert, deliveries, acks, language),
            ack=acks[0] if acks else None,
            silence=silence,
            translation=translated_code(ctx, labels, language),
            dashboard_url=ctx.links.charger_dashboard(
                alert.charge_point_id, site=alert.site, client=_client_of(ctx, alert)
            ),
            runbook_url=ctx.links.from_annotation(str(alert.annotations.get("runbook_url", ""))),
            ack_hours=ACK_HOURS,
            here=f"/alerts/{alert_id}",
            refresh_ms=int(ctx.config.refresh_seconds * 1000),
            local_time=ctx.local_time,
        )

    return router


def translated_code(
    ctx: ConsoleContext, labels: dict[str, str], language: str
) -> Translation | None:
    """The charger's codes explained in the reader's language; None if it sent no code."""
    return views.translated_code(ctx.translator, labels, language)


def timeline(
    alert: Alert, deliveries: list[Delivery], acks: list[Acknowledgement], language: str = "en"
) -> list[TimelineEntry]:
    """What happened to an alert, in time order: fired, received, each message, acks, resolved;
    channels and states in ``language``."""
    entries = [
        TimelineEntry(alert.starts_at, "fired"),
        TimelineEntry(alert.first_received_at, "received"),
    ]
    for delivery in deliveries:
        state = label_text(language, "state", delivery.state.value)
        if delivery.failure_reason:
            state += f" ({delivery.failure_reason})"
        entries.append(
            TimelineEntry(
                delivery.sent_at or delivery.created_at,
                "notified",
                who=delivery.recipient_name or delivery.recipient_id,
                channel=label_text(language, "channel", delivery.channel),
                state=state,
                ok=delivery.state.value in ("sent", "pending", "sending"),
            )
        )
    for ack in acks:
        via = label_text(language, "via", ack.via)
        entries.append(TimelineEntry(ack.at, "acked", who=ack.by, channel=via, note=ack.note))
    if alert.status == "resolved" and alert.ends_at is not None:
        entries.append(TimelineEntry(alert.ends_at, "resolved"))
    return sorted(entries, key=lambda entry: entry.at)


def _client_of(ctx: ConsoleContext, alert: Alert) -> str:
    """The alert's client label, else its site's client in the fleet file."""
    site = ctx.fleet.site(alert.site)
    return str(alert.labels.get("client") or (site.client if site else ""))
