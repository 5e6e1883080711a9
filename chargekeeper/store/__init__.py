"""The SQL store shared by the receiver and the console (SQLAlchemy 2; SQLite by default,
PostgreSQL supported), part of the kernel: models, sessions, migrations, and the UTC column type
that makes every datetime read back aware on both engines."""

from chargekeeper.store.accounts import AlertSilence, ApiToken, ChargerNote, ConfigChange, User
from chargekeeper.store.logins import LoginSession
from chargekeeper.store.models import (
    Acknowledgement,
    Alert,
    Base,
    Delivery,
    DeliveryAlert,
    DeliveryState,
    NotifiedAlertState,
    WebhookReceipt,
)
from chargekeeper.store.session import create_schema, make_engine, make_sessionmaker, sqlite_url
from chargekeeper.store.types import UtcDateTime

__all__ = [
    "Acknowledgement",
    "Alert",
    "AlertSilence",
    "ApiToken",
    "Base",
    "ChargerNote",
    "ConfigChange",
    "Delivery",
    "DeliveryAlert",
    "DeliveryState",
    "LoginSession",
    "NotifiedAlertState",
    "User",
    "UtcDateTime",
    "WebhookReceipt",
    "create_schema",
    "make_engine",
    "make_sessionmaker",
    "sqlite_url",
]
