"""The alerts list (and its self-refreshing table fragment), acknowledge and unacknowledge.

Each row says what is wrong in the reader's language (title, code meaning, duration since the
fault began) and who was told, or why nobody was; the stack's own alerts are in the
pipeline-health strip above the table instead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chargekeeper.config.fleet import Fleet
from chargekeeper.routing import LiveRouting, RoutingView
from chargekeeper.store import User
from console.acks import AckForbidden, UnknownAlertError
from console.alert_view import alert_view
from console.auth import Role, SessionData
from console.context import ConsoleContext
from console.labels import label_text
from console.pipeline import pipeline_health
from console.queries import PERIODS, STATUSES, AlertFilter, alert_page
from console.silences import SilenceError
from console.told import deliveries_by_alert
from console.web.guard import check_csrf, page_user, require_acknowledger, safe_next
from console.web.render import language_of, render

# The "for how long" choices of an ack besides "until resolved", in hours.
ACK_HOURS = (1, 4, 24)


def routing_view(ctx: ConsoleContext, routing: LiveRouting | None) -> RoutingView | None:
    """The live routing's plan, to say why nobody was told (None without a routing)."""
    return RoutingView.of(routing.current, ctx.fleet) if routing is not None else None


def alerts_router(ctx: ConsoleContext, routing: LiveRouting | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    default_language = ctx.config.language

    def alert_list(request: Request, fragment: bool) -> HTMLResponse:
        user, data = page_user(ctx, request)
        language = language_of(request, default_language)
        wanted = AlertFilter.parse(request.query_params)
        now = datetime.now(UTC)
        view = routing_view(ctx, routing)
        with ctx.sessions() as session:
            page = alert_page(session, wanted, ctx.fleet, now)
            told = deliveries_by_alert(session, [row.alert.id for row in page.rows])
            health = pipeline_health(session, language)
            rows = [
                alert_view(
                    row.alert,
                    row.ack,
                    told.get(row.alert.id, []),
                    language=language,
                    translator=ctx.translator,
                    routing=view,
                    now=now,
                )
                for row in page.rows
            ]
        return render(
            request,
            "alerts_table.html" if fragment else "alerts.html",
            default_language,
            user=user,
            csrf=data.csrf,
            page=page,
            rows=rows,
            health=health,
            wanted=wanted,
            statuses=STATUSES,
            periods=list(PERIODS),
            facets=facet_options(page.counts, wanted, ctx.fleet, language),
            site_names=site_names(ctx.fleet),
            ack_hours=ACK_HOURS,
            # Where an ack from this table returns: the full page with the same filters.
            here="/alerts" + (f"?{request.url.query}" if request.url.query else ""),
            refresh_ms=int(ctx.config.refresh_seconds * 1000),
            local_time=ctx.local_time,
        )

    def silence_failed(request: Request, user: User, data: SessionData, error: str) -> HTMLResponse:
        """Alertmanager refused: nothing was recorded; say so, with its answer."""
        return render(
            request,
            "error.html",
            default_language,
            status_code=502,
            user=user,
            csrf=data.csrf,
            message_key="silence_failed",
            error=error,
        )

    @router.get("/", response_model=None)
    def home() -> RedirectResponse:
        return RedirectResponse("/alerts", status_code=303)

    @router.get("/alerts")
    def alerts(request: Request) -> HTMLResponse:
        return alert_list(request, fragment=False)

    @router.get("/alerts/pipeline")
    def pipeline_strip(request: Request) -> HTMLResponse:
        """The pipeline-health strip alone, which the alert pages' script refreshes."""
        user, _data = page_user(ctx, request)
        with ctx.sessions() as session:
            health = pipeline_health(session, language_of(request, default_language))
        return render(request, "_pipeline.html", default_language, user=user, health=health)

    @router.get("/alerts/table")
    def alerts_table(request: Request) -> HTMLResponse:
        """The table alone, which the page's script fetches every few seconds."""
        return alert_list(request, fragment=True)

    @router.post("/alerts/{alert_id}/ack", response_model=None)
    def acknowledge(
        alert_id: int,
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        note: Annotated[str, Form(max_length=2000)] = "",
        hours: Annotated[str, Form(max_length=4)] = "",
        next: Annotated[str, Form(max_length=2048)] = "/alerts",
    ) -> Response:
        user, data = page_user(ctx, request)
        check_csrf(data, csrf)
        require_acknowledger(user)
        until = None
        if hours.isdigit() and int(hours) in ACK_HOURS:
            until = datetime.now(UTC) + timedelta(hours=int(hours))
        try:
            ctx.acks.acknowledge(alert_id, user.username, note, until, Role(user.role))
        except UnknownAlertError:
            raise HTTPException(404, f"no alert {alert_id}") from None
        except AckForbidden as exc:
            raise HTTPException(403, str(exc)) from None
        except SilenceError as exc:
            return silence_failed(request, user, data, str(exc))
        return RedirectResponse(safe_next(next), status_code=303)

    @router.post("/alerts/{alert_id}/unack", response_model=None)
    def unacknowledge(
        alert_id: int,
        request: Request,
        csrf: Annotated[str, Form(max_length=128)],
        next: Annotated[str, Form(max_length=2048)] = "/alerts",
    ) -> Response:
        user, data = page_user(ctx, request)
        check_csrf(data, csrf)
        require_acknowledger(user)
        try:
            ctx.acks.unacknowledge(alert_id)
        except UnknownAlertError:
            raise HTTPException(404, f"no alert {alert_id}") from None
        except SilenceError as exc:
            return silence_failed(request, user, data, str(exc))
        return RedirectResponse(safe_next(next), status_code=303)

    return router


def site_names(fleet: Fleet) -> dict[str, str]:
    return {site.id: site.name or site.id for site in fleet.sites}


def facet_options(
    counts: dict[str, dict[str, int]], wanted: AlertFilter, fleet: Fleet, language: str = "en"
) -> dict[str, list[tuple[str, str]]]:
    """Each filter's choices as (value, label): the fleet's sites and clients, plus any value
    seen in the store or currently selected (an alert may name a site the fleet lacks).
    Priorities and source types are labelled in ``language``; names stay as written."""
    known = {
        "site": [(site.id, site.name or site.id) for site in fleet.sites],
        "client": [(client.id, client.name or client.id) for client in fleet.clients],
    }
    options: dict[str, list[tuple[str, str]]] = {}
    for name in ("severity", "family", "site", "client"):
        listed = list(known.get(name, []))
        seen = {value for value, _label in listed}
        extra = set(counts.get(name, {})) | {getattr(wanted, name)}
        listed += [
            (value, label_text(language, name, value) if name in ("severity", "family") else value)
            for value in sorted(extra - seen)
            if value
        ]
        options[name] = listed
    return options
