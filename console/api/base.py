"""What every console router under ``/api/v1`` shares: the prefix, the tag and the 401."""

from fastapi import APIRouter


def console_api_router() -> APIRouter:
    """An ``/api/v1`` router in the OpenAPI tag ``console``, documenting the 401."""
    return APIRouter(
        prefix="/api/v1",
        tags=["console"],
        responses={401: {"description": "Missing or unknown API token"}},
    )
