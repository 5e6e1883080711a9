"""The console's own tables: users, API tokens, the silence behind an ack, charger notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chargekeeper.store.models import Base


class User(Base):
    """A console login: a role and an argon2 hash, never the password itself."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))  # viewer | technician | admin
    created_at: Mapped[datetime]

    # Session cookies name the user by id: SQLite must never hand a removed user's id to a
    # new one (PostgreSQL sequences never do).
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's own attribute


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 digest is kept."""

    __tablename__ = "console_api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class AlertSilence(Base):
    """The Alertmanager silence a console ack created, so unack and resolution can expire it."""

    __tablename__ = "console_alert_silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    silence_id: Mapped[str] = mapped_column(String(64))
    ends_at: Mapped[datetime]
    # Set once the silence was expired in Alertmanager (unack or the alert resolved).
    expired_at: Mapped[datetime | None]


class ChargerNote(Base):
    """A technician's note in a charger's maintenance record (what was done, what to bring)."""

    __tablename__ = "console_charger_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(String(255), index=True)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)


class ConfigChange(Base):
    """The audit log of configuration edits made in the console (rules and routing).

    Both versions of the file are kept whole, so any change can be read, compared or put back;
    a change that failed its checks is recorded too, with why, and changed nothing.
    """

    __tablename__ = "console_config_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    by: Mapped[str] = mapped_column(String(64))  # console username
    kind: Mapped[str] = mapped_column(String(16))  # policy | routing
    summary: Mapped[str] = mapped_column(Text)  # one line per changed setting, human readable
    before: Mapped[str] = mapped_column(Text)  # the file as it was
    after: Mapped[str] = mapped_column(Text)  # the file as written (or as proposed, if rejected)
    outcome: Mapped[str] = mapped_column(String(16))  # applied | rejected
    detail: Mapped[str] = mapped_column(Text, default="")  # the checker's or reload's answer
