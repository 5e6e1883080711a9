"""API tokens for the JSON API: issued to a user, shown once, stored as a SHA-256 digest
(``chargekeeper.store.tokens``, where the API's bearer check looks them up)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import ApiToken, User
from chargekeeper.store.tokens import TOKEN_PREFIX, token_digest
from console.auth.names import username_key
from console.auth.users import UserError


def issue_api_token(sessions: sessionmaker[Session], username: str, name: str) -> str:
    """A new bearer token for ``username``; only its digest is stored, so show it once."""
    name = name.strip()
    if not name or len(name) > 64:
        raise UserError("token name: 1-64 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == username_key(username)))
        if user is None:
            raise UserError(f"no user {username!r}")
        session.add(
            ApiToken(
                user_id=user.id, name=name, digest=token_digest(token), created_at=datetime.now(UTC)
            )
        )
    return token


def tokens_of(sessions: sessionmaker[Session], user_id: int) -> list[ApiToken]:
    with sessions() as session:
        query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
        return list(session.scalars(query))


def revoke_api_token(sessions: sessionmaker[Session], user_id: int, token_id: int) -> bool:
    """Delete one of the user's tokens; False if they have no such token."""
    with sessions.begin() as session:
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != user_id:
            return False
        session.delete(token)
    return True
