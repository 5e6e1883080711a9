"""The console's live logins: a session cookie is honoured only while its row is here.

The cookie stays signed and dated (``console.auth.cookies``); this table is what lets logout,
and the removal of a user, end a session before its cookie expires.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from chargekeeper.store.models import Base


class LoginSession(Base):
    """One live console login, named by the random id its cookie carries."""

    __tablename__ = "console_login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Removing a user ends their sessions, even when the row is deleted outside the console.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("console_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    # Logins that simply expire are deleted at the next login, so the table stays small.
    expires_at: Mapped[datetime] = mapped_column(index=True)
