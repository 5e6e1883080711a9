"""Live logins in the store: opened at login, checked on every request, closed at logout.

A signed cookie alone would stay valid until it expires, whatever the user did; the row is
what a logout, or the removal of the user, takes away.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import LoginSession, User
from console.auth.cookies import SessionData, SessionSigner


def open_login(sessions: sessionmaker[Session], user_id: int, max_age_seconds: int) -> SessionData:
    """A new login for ``user_id``, stored until it expires; expired logins are deleted."""
    data = SessionSigner.new(user_id)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
        session.add(
            LoginSession(
                id=data.sid,
                user_id=user_id,
                created_at=now,
                expires_at=now + timedelta(seconds=max_age_seconds),
            )
        )
    return data


def login_user(sessions: sessionmaker[Session], data: SessionData) -> User | None:
    """The user of a signed cookie's login, or None once it was closed, expired or its user
    removed."""
    query = (
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.id == data.sid,
            User.id == data.user_id,
            LoginSession.expires_at > datetime.now(UTC),
        )
    )
    with sessions() as session:
        return session.scalar(query)


def close_login(sessions: sessionmaker[Session], sid: str) -> None:
    with sessions.begin() as session:
        session.execute(delete(LoginSession).where(LoginSession.id == sid))


def close_logins_of(session: Session, user_id: int) -> None:
    """End every login of ``user_id`` (in the caller's transaction)."""
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
