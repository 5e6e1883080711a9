"""API tokens as the store keeps them: a SHA-256 digest, looked up by digest.

A token is 32 random bytes, so a plain digest (no salt, no slow hash) is enough: there is
nothing to guess, and looking it up by digest leaks no timing about its value. The console
issues and revokes tokens (``console.auth.tokens``); the API's bearer check
(``chargekeeper.api.bearer``) looks them up here.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store.accounts import ApiToken, User

TOKEN_PREFIX = "ck_"  # noqa: S105 - a visible prefix, not a secret


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_token(sessions: sessionmaker[Session], token: str) -> User | None:
    """The user a bearer token belongs to, or None."""
    with sessions() as session:
        return session.scalar(
            select(User)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.digest == token_digest(token))
        )
