"""SQLAlchemy 2 models of the store: what Alertmanager sent, the alerts, the delivery outbox,
the acknowledgements.

The receiver writes these and the console reads them; ``accounts.py`` and ``logins.py`` hold the
console's own tables. Every table shares one metadata, which the Alembic migrations build.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from chargekeeper.store.types import UtcDateTime

# SQLAlchemy's documented convention: every index and constraint gets a predictable name on
# every engine, so a later migration can name what it alters or drops (SQLite keeps no name
# for a constraint created without one, and PostgreSQL makes up its own).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every Chargekeeper table (one metadata for Alembic)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        datetime: UtcDateTime,
    }


class WebhookReceipt(Base):
    """One webhook body exactly as it arrived: stored before the answer, processed after it."""

    __tablename__ = "webhook_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime]
    receiver: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    group_key: Mapped[str] = mapped_column(Text)
    truncated_alerts: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_webhook_receipts_unprocessed", "processed_at"),)


class Alert(Base):
    """One occurrence of an alert: a fingerprint firing from ``starts_at`` (until resolved)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    ends_at: Mapped[datetime | None]
    alertname: Mapped[str] = mapped_column(String(255), default="")
    severity: Mapped[str] = mapped_column(String(16), default="")
    family: Mapped[str] = mapped_column(String(32), default="")
    site: Mapped[str] = mapped_column(String(255), default="")
    charge_point_id: Mapped[str] = mapped_column(String(255), default="")
    labels: Mapped[dict[str, Any]]
    annotations: Mapped[dict[str, Any]]
    generator_url: Mapped[str] = mapped_column(Text, default="")
    first_received_at: Mapped[datetime]
    last_received_at: Mapped[datetime]
    # Alertmanager cut the group: this alert arrived in a webhook that left others out.
    truncated: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        UniqueConstraint("fingerprint", "starts_at", name="uq_alerts_occurrence"),
        Index("ix_alerts_status_site", "status", "site"),
    )


class DeliveryState(enum.StrEnum):
    """Where a delivery is in the outbox."""

    PENDING = "pending"  # waiting for its next attempt time
    SENDING = "sending"  # leased to a worker; back to pending once that worker is gone
    SENT = "sent"  # the provider accepted it
    FAILED = "failed"  # permanent failure on this channel (failover may have been enqueued)
    DEAD = "dead"  # retries exhausted


class Delivery(Base):
    """One message to one recipient on one channel: the outbox row and the delivery log."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The idempotency key from alertmanager.stages.dedup.delivery_key(): unique, so a redelivered
    # webhook or an HA twin cannot enqueue the same message twice.
    dedup_key: Mapped[str] = mapped_column(String(128), unique=True)
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_receipts.id"))
    group_key: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # firing | resolved
    site: Mapped[str] = mapped_column(String(255), default="")
    recipient_id: Mapped[str] = mapped_column(String(255))
    recipient_name: Mapped[str] = mapped_column(String(255), default="")
    channel: Mapped[str] = mapped_column(String(16))  # email | sms
    address: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[DeliveryState] = mapped_column(
        Enum(DeliveryState, native_enum=False, length=16), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    failure_detail: Mapped[str | None] = mapped_column(Text)
    provider_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # What the provider reported later (Twilio status callback: delivered, undelivered...).
    provider_status: Mapped[str | None] = mapped_column(String(32))
    # Where to fail over after repeated failure: the recipient's other channel, if any.
    failover_channel: Mapped[str | None] = mapped_column(String(16))
    failover_address: Mapped[str | None] = mapped_column(String(320))
    # Set on the delivery that a failover created: the one on the other channel that failed.
    failover_of_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id"))
    # The lease of the latest claim: which worker process took the delivery and when it last
    # renewed it (alertmanager.outbox). Kept after the send, as a record of who sent it.
    claimed_by: Mapped[str | None] = mapped_column(String(255))
    claimed_at: Mapped[datetime | None]

    alerts: Mapped[list[DeliveryAlert]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (Index("ix_deliveries_due", "state", "next_attempt_at"),)


class DeliveryAlert(Base):
    """Which alerts a delivery speaks of (a site-wide message lists many)."""

    __tablename__ = "delivery_alerts"

    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)


class NotifiedAlertState(Base):
    """An alert state (fingerprint, status, start) promised to a recipient on a channel.

    The unique constraint is the store's half of the idempotency rule in
    ``alertmanager.stages.dedup``: one message per alert state, recipient and channel, whatever
    Alertmanager redelivers or an HA pair duplicates.
    """

    __tablename__ = "notified_alert_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime]
    recipient_id: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"))

    delivery: Mapped[Delivery] = relationship()

    __table_args__ = (
        UniqueConstraint(
            "fingerprint",
            "status",
            "starts_at",
            "recipient_id",
            "channel",
            name="uq_notified_state",
        ),
    )


class Acknowledgement(Base):
    """Someone took an alert in hand: escalation stops, the console shows who and when."""

    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    by: Mapped[str] = mapped_column(String(255))  # technician id
    at: Mapped[datetime]
    via: Mapped[str] = mapped_column(String(16))  # sms | console
    note: Mapped[str] = mapped_column(Text, default="")
