"""How the console's JSON API authenticates: a console API token sent as a bearer token.

Every router under ``/api/v1`` that serves console users (alerts, rules, routing) takes its
``ApiUser`` dependency from here, so a missing or revoked token gets the same 401 everywhere.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import User
from console.auth.tokens import user_for_token

_bearer = HTTPBearer(auto_error=False, description="A console API token (ck_...)")


def token_user(sessions: sessionmaker[Session]) -> Callable[..., User]:
    """A FastAPI dependency: the user owning the request's API token, or a 401."""

    def api_user(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> User:
        user = user_for_token(sessions, credentials.credentials) if credentials else None
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing or unknown API token: send 'Authorization: Bearer ck_...'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return user

    return api_user


def console_api_router() -> APIRouter:
    """An ``/api/v1`` router in the OpenAPI tag ``console``, documenting the 401."""
    return APIRouter(
        prefix="/api/v1",
        tags=["console"],
        responses={401: {"description": "Missing or unknown API token"}},
    )
