"""``/api/v1/chargers``: the fleet with its firing alerts, and each charger's record."""

# No ``from __future__ import annotations``: ``ApiUser`` is local to the router function.

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from chargekeeper.api.models import ChargerOut, ChargerRecordOut, ConsoleAlertOut, IncidentOut
from chargekeeper.config.fleet import Charger
from chargekeeper.store import User
from console.api.base import console_api_router
from console.context import ConsoleContext
from console.web.chargers import firing_per_charger, incident_history


def chargers_api_router(ctx: ConsoleContext) -> APIRouter:
    router = console_api_router()

    ApiUser = Annotated[User, Depends(ctx.bearer.user())]

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
                IncidentOut(alert=ConsoleAlertOut.of(i.alert, i.ack), duration=i.duration)
                for i in incidents
            ],
        )

    return router


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
