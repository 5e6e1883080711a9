"""The console's JSON API under ``/api/v1``: alerts and acks, the delivery log, chargers and
their records, the rules and the routing.

Every endpoint takes its caller from the kernel's one bearer check (``chargekeeper.api``), and
every model is in ``chargekeeper.api.models``. The rules and routing endpoints are built with
their editors (``console.web.rules``, ``console.web.routing_edit``), which the pages share.
The receiver serves the rest of ``/api/v1``: Alertmanager's webhook and Twilio's callbacks.
"""

from fastapi import APIRouter

from console.api.alerts import console_alerts_router, stored_alerts_router
from console.api.chargers import chargers_api_router
from console.api.notifications import notifications_api_router
from console.context import ConsoleContext


def api_routers(ctx: ConsoleContext) -> list[APIRouter]:
    """The alerts, acks, delivery log and chargers endpoints."""
    return [
        stored_alerts_router(ctx),
        notifications_api_router(ctx),
        console_alerts_router(ctx),
        chargers_api_router(ctx),
    ]
