"""The signed session cookie: who is logged in, which login, and its CSRF token.

itsdangerous signs and timestamps the payload, so a forged or altered cookie, or one older
than ``max_age``, is refused without a lookup. A genuine one is honoured only while its login
is live in the store (``console.auth.logins``), which is what lets logout end it.
The secret lives in a file of the state directory, generated on first start with owner-only
permissions.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

SECRET_FILE = "console-session-secret"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class SessionData:
    """What the cookie carries: the user's id, the CSRF token bound to this login, and the
    login's id in the store."""

    user_id: int
    csrf: str
    sid: str


def load_or_create_secret(state_dir: Path) -> str:
    """The session signing secret from ``<state dir>/console-session-secret``, made if absent."""
    path = state_dir / SECRET_FILE
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise ValueError(f"{path}: session secret shorter than 32 characters; delete the file")
    return secret


class SessionSigner:
    """Turns a :class:`SessionData` into a cookie value and back."""

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="chargekeeper-console-session")
        self.max_age_seconds = max_age_seconds

    def dumps(self, data: SessionData) -> str:
        return self._serializer.dumps({"uid": data.user_id, "csrf": data.csrf, "sid": data.sid})

    def loads(self, value: str) -> SessionData | None:
        """The session, or None for a forged, expired or malformed cookie."""
        try:
            raw = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadSignature:  # SignatureExpired is a BadSignature
            return None
        if not isinstance(raw, dict):
            return None
        uid, csrf, sid = raw.get("uid"), raw.get("csrf"), raw.get("sid")
        # A cookie from before logins were stored has no sid: its user logs in again.
        if not isinstance(uid, int) or not isinstance(csrf, str) or not isinstance(sid, str):
            return None
        return SessionData(uid, csrf, sid)

    @staticmethod
    def new(user_id: int) -> SessionData:
        return SessionData(user_id, secrets.token_urlsafe(32), secrets.token_urlsafe(32))
