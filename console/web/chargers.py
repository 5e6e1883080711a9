"""The chargers list with live state, search and filters; each charger's maintenance record
and notes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from chargekeeper.store import Acknowledgement, Alert, ChargerNote
from console.context import ConsoleContext
from console.fleet_state import STATES, ChargerFilter, FleetView, facet_options, fleet_view
from console.i18n import translate
from console.labels import duration_text
from console.queries import first_acks
from console.web.alert_detail import translated_code
from console.web.guard import check_csrf, page_user, require_acknowledger
from console.web.render import language_of, render

HISTORY_LIMIT = 500
NOTE_MAX = 4000
FILTER_MAX = 200
# "For the next visit" keeps the advice of faults resolved this recently.
RECENT_DAYS = 30


@dataclass(frozen=True)
class Incident:
    alert: Alert
    ack: Acknowledgement | None
    duration: str  # empty while still firing


def incident_history(
    ctx: ConsoleContext, charge_point_id: str, language: str = "en"
) -> list[Incident]:
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
            duration_text(language, alert.starts_at, alert.ends_at)
            if alert.status == "resolved" and alert.ends_at
            else "",
        )
        for alert, ack in zip(alerts, acks, strict=True)
    ]


@dataclass(frozen=True)
class VisitAdvice:
    """One thing to do or bring, from the latest recent fault whose code calls for it."""

    action: str
    code: str  # the translated title of what the charger reported
    at: datetime  # when that fault began
    resolved: bool
    alert_id: int
    site: str


def visit_preparation(
    ctx: ConsoleContext, incidents: list[Incident], language: str, now: datetime
) -> list[VisitAdvice]:
    """What to do or bring for the next visit: the translator's advice for every code of the
    charger's faults firing now or resolved within RECENT_DAYS (a fault that cleared itself
    often returns), once each, newest first, in the reader's language."""
    since = now - timedelta(days=RECENT_DAYS)
    advice: dict[str, VisitAdvice] = {}
    for incident in incidents:  # newest first: the first fault naming an action is kept
        alert = incident.alert
        if alert.status != "firing" and (alert.ends_at or alert.starts_at) < since:
            continue
        labels = {str(k): str(v) for k, v in alert.labels.items()}
        translation = translated_code(ctx, labels, language)
        if translation is None:
            continue
        for meaning in translation.meanings or (translation.error_code_meaning,):
            if meaning is not None and meaning.action and meaning.action not in advice:
                advice[meaning.action] = VisitAdvice(
                    meaning.action,
                    translation.title,
                    alert.starts_at,
                    alert.status != "firing",
                    alert.id,
                    alert.site,
                )
    return list(advice.values())


def wanted_filter(request: Request) -> ChargerFilter:
    """The list's filters from the query string (a plain GET form: works without script)."""
    params = request.query_params
    return ChargerFilter(
        **{
            name: params.get(name, "").strip()[:FILTER_MAX]
            for name in ("q", "site", "client", "group", "vendor", "status")
        }
    )


def label_helpers(language: str) -> dict[str, Any]:
    """Template functions showing OCPP statuses, priorities and alert names in ``language``;
    a value the catalog lacks is shown as it came (a charger may send any status)."""

    def lookup(key: str, value: str) -> str:
        try:
            return translate(language, key)
        except KeyError:
            return value

    return {
        "status_label": lambda status: lookup("cp_status_" + status, status),
        "severity_label": lambda severity: lookup("sev_" + severity, severity),
        "alert_title": lambda name: lookup("title_" + name.lower(), name),
    }


def chargers_router(ctx: ConsoleContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def view(only: str | None = None) -> FleetView:
        return fleet_view(ctx.fleet, ctx.sessions, ctx.config.prometheus_url, only)

    @router.get("/chargers")
    def chargers(request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        fleet = view()
        wanted = wanted_filter(request)
        return render(
            request,
            "chargers.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            fleet=fleet,
            chargers=wanted.apply(fleet.chargers),
            wanted=wanted,
            facets=facet_options(fleet.chargers),
            states=STATES,
            local_time=ctx.local_time,
            **label_helpers(language_of(request, ctx.config.language)),
        )

    @router.get("/chargers/{charge_point_id}")
    def charger(charge_point_id: str, request: Request) -> HTMLResponse:
        user, data = page_user(ctx, request)
        fleet = view(charge_point_id)
        live = fleet.charger(charge_point_id)
        incidents = incident_history(
            ctx, charge_point_id, language_of(request, ctx.config.language)
        )
        if live is None and not incidents:
            raise HTTPException(404, f"no charger {charge_point_id!r} in the fleet or the alerts")
        site_id = live.site if live else incidents[0].alert.site
        recurring = Counter(incident.alert.alertname for incident in incidents)
        with ctx.sessions() as session:
            notes = list(
                session.scalars(
                    select(ChargerNote)
                    .where(ChargerNote.charge_point_id == charge_point_id)
                    .order_by(ChargerNote.at.desc(), ChargerNote.id.desc())
                )
            )
        language = language_of(request, ctx.config.language)
        return render(
            request,
            "charger.html",
            ctx.config.language,
            user=user,
            csrf=data.csrf,
            charge_point_id=charge_point_id,
            charger=ctx.fleet.charger(charge_point_id),
            live=live,
            fleet=fleet,
            site=ctx.fleet.site(site_id),
            incidents=incidents,
            recurring=[(name, n) for name, n in recurring.most_common() if n > 1],
            notes=notes,
            prepare=visit_preparation(ctx, incidents, language, datetime.now(UTC)),
            recent_days=RECENT_DAYS,
            local_time=ctx.local_time,
            **label_helpers(language),
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
