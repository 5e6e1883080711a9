"""``/api/v1/chargers``: the fleet with its firing alerts (filtered as the Chargers page is),
and each charger's record."""

# No ``from __future__ import annotations``: ``ApiUser`` is local to the router function.

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from chargekeeper.api.models import ChargerOut, ChargerRecordOut, ConsoleAlertOut, IncidentOut
from chargekeeper.store import User
from console.api.base import console_api_router
from console.context import ConsoleContext
from console.fleet_state import STATES, ChargerFilter, ChargerView, fleet_view
from console.web.chargers import FILTER_MAX, incident_history

Text = Annotated[str, Query(max_length=FILTER_MAX)]


def chargers_api_router(ctx: ConsoleContext) -> APIRouter:
    router = console_api_router()

    ApiUser = Annotated[User, Depends(ctx.bearer.user())]

    @router.get("/chargers", response_model=list[ChargerOut])
    def list_chargers(
        _user: ApiUser,
        q: Text = "",
        site: Text = "",
        client: Text = "",
        group: Text = "",
        vendor: Text = "",
        status: Annotated[
            str,
            Query(description=f"one of {', '.join(STATES)}", pattern=f"^({'|'.join(STATES)})?$"),
        ] = "",
    ) -> list[ChargerOut]:
        """The chargers with how many alerts each has firing (the store's and those only
        Prometheus has), vendor and model from the last boot; the filters are the Chargers
        page's (``q`` searches ids, names, vendor, model and firmware)."""
        wanted = ChargerFilter(q, site, client, group, vendor, status)
        fleet = fleet_view(ctx.fleet, ctx.sessions, ctx.config.prometheus_url)
        return [_charger_out(view) for view in wanted.apply(fleet.chargers) if view.in_fleet]

    @router.get(
        "/chargers/{charge_point_id}",
        response_model=ChargerRecordOut,
        responses={404: {"description": "No such alert or charger"}},
    )
    def charger_record(charge_point_id: str, _user: ApiUser) -> ChargerRecordOut:
        """A charger's maintenance record: identity and every alert with duration and ack."""
        incidents = incident_history(ctx, charge_point_id)
        view = fleet_view(
            ctx.fleet, ctx.sessions, ctx.config.prometheus_url, charge_point_id
        ).charger(charge_point_id)
        if view is None and not incidents:
            raise HTTPException(404, f"no charger {charge_point_id!r}")
        return ChargerRecordOut(
            charger=_charger_out(view) if view and view.in_fleet else None,
            incidents=[
                IncidentOut(alert=ConsoleAlertOut.of(i.alert, i.ack), duration=i.duration)
                for i in incidents
            ],
        )

    return router


def _charger_out(view: ChargerView) -> ChargerOut:
    return ChargerOut(
        id=view.id,
        site=view.site,
        client=view.client,
        group=view.group,
        vendor=view.vendor,
        model=view.model,
        firing_alerts=len(view.alerts),
    )
