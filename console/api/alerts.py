"""``/api/v1/alerts``: list and read alerts, acknowledge and unacknowledge them.

Two lists: ``GET /api/v1/alerts`` filters on the stored fields (for scripts; it takes the
webhook token as well), ``GET /api/v1/console/alerts`` is the alerts page's list, with its
filters, counts and acks.
"""

# No ``from __future__ import annotations`` here: FastAPI resolves string annotations in the
# module's globals, and ``ApiUser`` is local to the router functions (it closes over the context).

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select

from chargekeeper.api.models import AckIn, AlertListOut, AlertOut, ConsoleAlertOut
from chargekeeper.store import Alert, User
from console.acks import AckForbidden, AckTimeError, UnknownAlertError
from console.api.base import console_api_router, read_access
from console.auth import Role
from console.context import ConsoleContext
from console.queries import AlertFilter, alert_page, first_acks
from console.silences import SilenceError

_ACK_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"description": "The user's role cannot acknowledge this alert"},
    404: {"description": "No such alert"},
    422: {"description": "Invalid body, or 'until' not in the future"},
    502: {"description": "Alertmanager refused or is unreachable; nothing was recorded"},
}


def stored_alerts_router(ctx: ConsoleContext) -> APIRouter:
    """``GET /api/v1/alerts``: the stored alerts by their own fields (API or webhook token)."""
    router = APIRouter(prefix="/api/v1")

    @router.get("/alerts", response_model=list[AlertOut], **read_access(ctx))
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
        with ctx.sessions() as session:
            return [AlertOut.model_validate(row) for row in session.scalars(query)]

    return router


def console_alerts_router(ctx: ConsoleContext) -> APIRouter:
    """The alerts page's list, one alert, and its acknowledgement (API tokens)."""
    router = console_api_router()

    ApiUser = Annotated[User, Depends(ctx.bearer.user())]

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
        """Alerts newest first (at most 200) with their ack, filtered like the alerts page;
        like the page, it leaves out the stack's own alerts unless ``family=fleet`` asks for
        them."""
        wanted = AlertFilter(alert_status, severity, family, site, client, period, charge_point_id)
        with ctx.sessions() as session:
            page = alert_page(session, wanted, ctx.fleet)
        return AlertListOut(
            alerts=[ConsoleAlertOut.of(row.alert, row.ack) for row in page.rows],
            counts=page.counts,
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
        return ConsoleAlertOut.of(alert, ack)

    @router.post(
        "/alerts/{alert_id}/ack",
        response_model=ConsoleAlertOut,
        responses=_ACK_ERRORS,
    )
    def acknowledge(alert_id: int, body: AckIn, user: ApiUser) -> ConsoleAlertOut:
        """Acknowledge and silence the alert in Alertmanager (technician or admin)."""
        _may_acknowledge(user)
        try:
            ctx.acks.acknowledge(alert_id, user.username, body.note, body.until, Role(user.role))
        except UnknownAlertError:
            raise HTTPException(404, f"no alert {alert_id}") from None
        except AckForbidden as exc:
            raise HTTPException(403, str(exc)) from None
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

    return router


def _may_acknowledge(user: User) -> None:
    if not Role(user.role).can_acknowledge:
        raise HTTPException(403, f"role {user.role!r} cannot acknowledge")
