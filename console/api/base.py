"""What the console's routers under ``/api/v1`` share: prefix, tag, token check and its 401."""

from typing import Any

from fastapi import APIRouter, Depends

from chargekeeper.api import Accept
from console.context import ConsoleContext


def console_api_router() -> APIRouter:
    """An ``/api/v1`` router in the OpenAPI tag ``console``, documenting the 401."""
    return APIRouter(
        prefix="/api/v1",
        tags=["console"],
        responses={401: {"description": "Missing or unknown API token"}},
    )


def read_access(ctx: ConsoleContext) -> dict[str, Any]:
    """Route options for the reads that show addresses and message bodies (the alert list,
    the delivery log): a console API token of any role, or Alertmanager's webhook token."""
    return {
        "dependencies": [Depends(ctx.bearer.required(Accept.READ))],
        "responses": {401: {"description": "Missing or unknown token"}},
    }
