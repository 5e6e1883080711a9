"""The SQL store shared by the receiver and the console (SQLAlchemy 2; SQLite by default)."""

from console.store.accounts import AlertSilence, ApiToken, ChargerNote, ConfigChange, User
from console.store.models import (
    Acknowledgement,
    Alert,
    Base,
    Delivery,
    DeliveryAlert,
    DeliveryState,
    NotifiedAlertState,
    WebhookReceipt,
)
from console.store.session import create_schema, make_engine, make_sessionmaker, sqlite_url

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
    "NotifiedAlertState",
    "User",
    "WebhookReceipt",
    "create_schema",
    "make_engine",
    "make_sessionmaker",
    "sqlite_url",
]
