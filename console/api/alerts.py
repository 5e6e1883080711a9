"""The console's JSON API under ``/api/v1`` for non-browser clients, with bearer API tokens.

The receiver already serves ``GET /api/v1/alerts`` (see ``alertmanager/README.md``; it takes
a console API token too); the console's list, with the page's filters, counts and acks, is
``GET /api/v1/console/alerts``.
"""

# No ``from __future__ import annotations`` here: FastAPI resolves string annotations in the
# module's globals, and ``ApiUser`` is local to ``api_router`` (it closes over the context).

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from alertmanager.schemas import AlertOut
from chargekeeper.config.fleet import Charger
from chargekeeper.store import Acknowledgement, Alert, User
from console.acks import AckTimeError, UnknownAlertError
from console.auth import Role
from console.auth.bearer import console_api_router, token_user
from console.context import ConsoleContext
from console.queries import AlertFilter, alert_page, first_acks
from console.silences import SilenceError
from console.web.chargers import firing_per_charger, incident_history

_ACK_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"description": "The user's role (viewer) cannot acknowledge"},
    404: {"description": "No such alert"},
    422: {"description": "Invalid body, or 'until' not in the future"},
    502: {"description": "Alertmanager refused or is unreachable; nothing was recorded"},
}


class AckOut(BaseModel):
    by: str
    at: datetime
    via: str
    note: str


class ConsoleAlertOut(AlertOut):
    ack: AckOut | None


class AlertListOut(BaseModel):
    alerts: list[ConsoleAlertOut]
    counts: dict[str, dict[str, int]] = Field(
        description="Per filter, how many alerts each value would show with the other filters"
    )


class AckIn(BaseModel):
    note: str = Field(default="", max_length=2000)
    until: datetime | None = Field(
        default=None, description="Silence until then; omitted: until the alert resolves"
    )


class ChargerOut(BaseModel):
    id: str
    site: str
    client: str
    group: str
    vendor: str
    model: str
    firing_alerts: int


class IncidentOut(BaseModel):
    alert: ConsoleAlertOut
    duration: str = Field(description="Empty while the alert is still firing")


class ChargerRecordOut(BaseModel):
    charger: ChargerOut | None = Field(description="None for a charger absent from the fleet")
    incidents: list[IncidentOut]


def _alert_out(alert: Alert, ack: Acknowledgement | None) -> ConsoleAlertOut:
    base = AlertOut.model_validate(alert).model_dump()
    return ConsoleAlertOut(
        **base,
        ack=AckOut(by=ack.by, at=ack.at, via=ack.via, note=ack.note) if ack else None,
    )


def api_router(ctx: ConsoleContext) -> APIRouter:
    router = console_api_router()

    ApiUser = Annotated[User, Depends(token_user(ctx.sessions))]

    @router.get("/console/alerts", response_model=AlertListOut)
    def list_alerts(
        _user: ApiUser,
        alert_status: Annotated[
            Literal["firing", "resolved", "all"], Query(alias="status")
        ] = "firing",
        severity: str = "",
        family: str = "",
        site: str = "",
        client: str = "",
        period: Annotated[Literal["1h", "24h", "7d", "30d", "all"], Query()] = "all",
        charge_point_id: str = "",
    ) -> AlertListOut:
        """Alerts newest first (at most 200) with their ack, filtered like the alerts page."""
        wanted = AlertFilter(alert_status, severity, family, site, client, period, charge_point_id)
        with ctx.sessions() as session:
            page = alert_page(session, wanted, ctx.fleet)
        return AlertListOut(
            alerts=[_alert_out(row.alert, row.ack) for row in page.rows], counts=page.counts
        )

    @router.get(
        "/alerts/{alert_id}",
        response_model=ConsoleAlertOut,
        responses={404: {"description": "No such alert or charger"}},
    )
    def get_alert(alert_id: int, _user: ApiUser) -> ConsoleAlertOut:
        """One alert with its first ack."""
        with ctx.sessions() as session:
            alert = session.get(Alert, alert_id)
            if alert is None:
                raise HTTPException(404, f"no alert {alert_id}")
            (ack,) = first_acks(session, [alert])
        return _alert_out(alert, ack)

    @router.post(
        "/alerts/{alert_id}/ack",
        response_model=ConsoleAlertOut,
        responses=_ACK_ERRORS,
    )
    def acknowledge(alert_id: int, body: AckIn, user: ApiUser) -> ConsoleAlertOut:
        """Acknowledge and silence the alert in Alertmanager (technician or admin)."""
        _may_acknowledge(user)
        try:
            ctx.acks.acknowledge(alert_id, user.username, body.note, body.until)
        except UnknownAlertError:
            raise HTTPException(404, f"no alert {alert_id}") from None
        except AckTimeError as exc:
            raise HTTPException(422, f"until: {exc}") from None
        except SilenceError as exc:
            raise HTTPException(502, str(exc)) from None
        return get_alert(alert_id, user)

    @router.delete(
        "/alerts/{alert_id}/ack",
        response_model=ConsoleAlertOut,
        responses=_ACK_ERRORS,
    )
    def unacknowledge(alert_id: int, user: ApiUser) -> ConsoleAlertOut:
        """Remove the alert's acks and expire its silence (technician or admin)."""
        _may_acknowledge(user)
        try:
            ctx.acks.unacknowledge(alert_id)
        except UnknownAlertError:
            raise HTTPException(404, f"no alert {alert_id}") from None
        except SilenceError as exc:
            raise HTTPException(502, str(exc)) from None
        return get_alert(alert_id, user)

    @router.get("/chargers", response_model=list[ChargerOut])
    def list_chargers(_user: ApiUser) -> list[ChargerOut]:
        """The fleet's chargers with how many alerts each has firing."""
        firing = firing_per_charger(ctx)
        return [_charger_out(ctx, charger, firing) for charger in ctx.fleet.chargers]

    @router.get(
        "/chargers/{charge_point_id}",
        response_model=ChargerRecordOut,
        responses={404: {"description": "No such alert or charger"}},
    )
    def charger_record(charge_point_id: str, _user: ApiUser) -> ChargerRecordOut:
        """A charger's maintenance record: identity and every alert with duration and ack."""
        incidents = incident_history(ctx, charge_point_id)
        known = ctx.fleet.charger(charge_point_id)
        if known is None and not incidents:
            raise HTTPException(404, f"no charger {charge_point_id!r}")
        firing = firing_per_charger(ctx)
        return ChargerRecordOut(
            charger=_charger_out(ctx, known, firing) if known else None,
            incidents=[
                IncidentOut(alert=_alert_out(i.alert, i.ack), duration=i.duration)
                for i in incidents
            ],
        )

    return router


def _may_acknowledge(user: User) -> None:
    if not Role(user.role).can_acknowledge:
        raise HTTPException(403, f"role {user.role!r} cannot acknowledge")


def _charger_out(ctx: ConsoleContext, charger: Charger, firing: dict[str, int]) -> ChargerOut:
    site = ctx.fleet.site(charger.site)
    return ChargerOut(
        id=charger.id,
        site=charger.site,
        client=site.client if site else "",
        group=charger.group,
        vendor=charger.vendor,
        model=charger.model,
        firing_alerts=firing.get(charger.id, 0),
    )
