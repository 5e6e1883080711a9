"""The chargers list with their live alert state; each charger's maintenance record and notes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from chargekeeper.store import Acknowledgement, Alert, ChargerNote
from console.context import ConsoleContext
from console.queries import first_acks
from console.web.alert_detail import translated_code
from console.web.alerts import site_names
from console.web.guard import check_csrf, page_user, require_acknowledger
from console.web.render import language_of, render

HISTORY_LIMIT = 500
NOTE_MAX = 4000


@dataclass(frozen=True)
class Incident:
    alert: Alert
    ack: Acknowledgement | None
    duration: str  # empty while still firing


def format_duration(start: datetime, end: datetime) -> str:
    """``2 d 3 h``, ``4 h 5 min``, ``6 min``: precise enough for a maintenance log."""
    seconds = max(0, int((end - start).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def firing_per_charger(ctx: ConsoleContext) -> dict[str, int]:
    query = (
        select(Alert.charge_point_id, func.count())
        .where(Alert.status == "firing")
        .group_by(Alert.charge_point_id)
    )
    with ctx.sessions() as session:
        return {str(cp): int(n) for cp, n in session.execute(query)}


def incident_history(ctx: ConsoleContext, charge_point_id: str) -> list[Incident]:
    with ctx.sessions() as session:
        alerts = list(
            session.scalars(
                select(Alert)
                .where(Alert.charge_point_id == charge_point_id)
                .order_by(Alert.starts_at.desc(), Alert.id.desc())
                .limit(HISTORY_LIMIT)
            )
        )
        acks = first_acks(session, alerts)
    return [
        Incident(
            alert,
            ack,
            format_duration(alert.starts_at, alert.ends_at)
            if alert.status == "resolved" and alert.ends_at
            else "",
        )
        for alert, ack in zip(alerts, acks, strict=True)
    ]


def visit_preparation(ctx: ConsoleContext, incidents: list[Incident], language: str) -> list[str]:
    """What to do or bring for the next visit: the translator's advice for every code the
    charger's firing alerts carry, once each, in the reader's language."""
    advice: dict[str, None] = {}
    for incident in incidents:
        if incident.alert.status != "firing":
            continue
        labels = {str(k): str(v) for k, v in incident.alert.labels.items()}
        translation = translated_code(ctx, labels, language)
        if translation is None:
            continue
        for meaning in translation.meanings or (translation.error_code_meaning,):
            if meaning is not None and meaning.action:
                advice[meaning.action] = None
    return list(advice)


def chargers_router(ctx: ConsoleContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/chargers")
    def chargers(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        return render(
            request,
            "chargers.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            chargers=ctx.fleet.chargers,
            firing=firing_per_charger(ctx),
            site_names=site_names(ctx.fleet),
        )

    @router.get("/chargers/{charge_point_id}")
    def charger(charge_point_id: str, request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        known = ctx.fleet.charger(charge_point_id)
        incidents = incident_history(ctx, charge_point_id)
        if known is None and not incidents:
            raise HTTPException(404, f"no charger {charge_point_id!r} in the fleet or the alerts")
        site_id = known.site if known else incidents[0].alert.site
        site = ctx.fleet.site(site_id)
        client = next((c for c in ctx.fleet.clients if site and c.id == site.client), None)
        recurring = Counter(incident.alert.alertname for incident in incidents)
        with ctx.sessions() as session:
            notes = list(
                session.scalars(
                    select(ChargerNote)
                    .where(ChargerNote.charge_point_id == charge_point_id)
                    .order_by(ChargerNote.at.desc(), ChargerNote.id.desc())
                )
            )
        return render(
            request,
            "charger.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            charge_point_id=charge_point_id,
            charger=known,
            site=site,
            client_name=(client.name or client.id) if client else "",
            incidents=incidents,
            recurring=[(name, n) for name, n in recurring.most_common() if n > 1],
            notes=notes,
            prepare=visit_preparation(ctx, incidents, language_of(request, ctx.config.language)),
            local_time=ctx.local_time,
        )

    @router.post("/chargers/{charge_point_id}/notes")
    def add_note(
        charge_point_id: str,
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        text: Annotated[str, Form(min_length=1, max_length=NOTE_MAX)],
    ) -> RedirectResponse:
        """Technicians and admins add a note; the record keeps who wrote it and when."""
        user, data = page_user(ctx, request)
        check_csrf(data, csrf)
        require_acknowledger(user)
        if ctx.fleet.charger(charge_point_id) is None:
            raise HTTPException(404, f"no charger {charge_point_id!r} in the fleet")
        with ctx.sessions.begin() as session:
            session.add(
                ChargerNote(
                    charge_point_id=charge_point_id,
                    by=user.username,
                    at=datetime.now(UTC),
                    text=text.strip(),
                )
            )
        return RedirectResponse(f"/chargers/{quote(charge_point_id, safe='')}", status_code=303)

    return router
