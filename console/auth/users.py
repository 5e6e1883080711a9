"""Users, roles and the first admin, over the store.

Passwords are hashed with argon2 (argon2-cffi's defaults, RFC 9106's recommended profile).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.store import User
from console.auth.names import username_key

log = logging.getLogger(__name__)

# The first admin: "username:password" in this variable, or the same in this file of the
# state directory. Either is read only while the store has no user at all.
ADMIN_ENV = "CHARGEKEEPER_CONSOLE_ADMIN"
ADMIN_FILE = "console-admin"
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verifying against this when the username is unknown keeps the answer time the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


# The family of the stack's own alerts (the Watchdog heartbeat, a collector or Alertmanager
# down). Acknowledging one silences it in Alertmanager: a silenced Watchdog is a dead-man
# switch that can no longer fire, so only an admin may.
STACK_FAMILY = "fleet"


class Role(StrEnum):
    VIEWER = "viewer"  # reads everything
    TECHNICIAN = "technician"  # also acknowledges chargers' alerts
    ADMIN = "admin"  # also manages users and acknowledges the stack's own alerts

    @property
    def can_acknowledge(self) -> bool:
        return self is not Role.VIEWER

    def may_acknowledge(self, family: str) -> bool:
        """Whether this role may acknowledge, and so silence, an alert of ``family``."""
        if family == STACK_FAMILY:
            return self is Role.ADMIN
        return self.can_acknowledge


class UserError(ValueError):
    """A user that cannot be created as asked (the message says why)."""


def create_user(sessions: sessionmaker[Session], username: str, password: str, role: Role) -> User:
    """Store a new user, named in canonical form, with an argon2 hash of ``password``."""
    username = username_key(username)
    if not username or len(username) > 64 or any(ch.isspace() or ch == ":" for ch in username):
        raise UserError(f"username {username!r}: 1-64 characters, no spaces or ':'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password for {username!r}: at least {MIN_PASSWORD_LENGTH} characters")
    with sessions.begin() as session:
        if session.scalar(select(User).where(User.username == username)) is not None:
            raise UserError(f"user {username!r} already exists")
        user = User(
            username=username,
            password_hash=_hasher.hash(password),
            role=role.value,
            created_at=datetime.now(UTC),
        )
        session.add(user)
    return user


def authenticate(sessions: sessionmaker[Session], username: str, password: str) -> User | None:
    """The user if ``password`` is theirs, else None (same work whether or not they exist)."""
    with sessions() as session:
        user = session.scalar(select(User).where(User.username == username_key(username)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def bootstrap_admin(
    sessions: sessionmaker[Session], state_dir: Path, environ: Mapping[str, str] = os.environ
) -> User | None:
    """Create the first admin from ``$CHARGEKEEPER_CONSOLE_ADMIN`` or ``<state>/console-admin``.

    Does nothing once any user exists, so the variable or file can stay in place.
    """
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return None
    path = state_dir / ADMIN_FILE
    if environ.get(ADMIN_ENV):
        source, value = f"${ADMIN_ENV}", environ[ADMIN_ENV]
    elif path.exists():
        source, value = str(path), path.read_text().strip()
    else:
        log.warning(
            "console has no user: set %s=username:password or write it to %s", ADMIN_ENV, path
        )
        return None
    username, sep, password = value.partition(":")
    if not sep:
        raise UserError(f"{source}: expected 'username:password'")
    try:
        user = create_user(sessions, username, password, Role.ADMIN)
    except UserError as exc:
        raise UserError(f"{source}: {exc}") from None
    log.info("console admin %r created from %s", user.username, source)
    return user
