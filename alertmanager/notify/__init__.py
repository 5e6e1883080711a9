"""Notifiers: one per channel, each sending one message per call (email, SMS)."""

from typing import Protocol

from alertmanager.notify.email import SmtpNotifier, SmtpSettings
from alertmanager.notify.errors import (
    DeliveryError,
    FailureReason,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from alertmanager.notify.message import OutgoingMessage
from alertmanager.notify.sms import TwilioNotifier, TwilioSettings


class Notifier(Protocol):
    """Sends one message; returns the provider's id; raises a DeliveryError subclass."""

    channel: str

    def send(self, message: OutgoingMessage) -> str: ...


__all__ = [
    "DeliveryError",
    "FailureReason",
    "Notifier",
    "OutgoingMessage",
    "PermanentDeliveryError",
    "RetryableDeliveryError",
    "SmtpNotifier",
    "SmtpSettings",
    "TwilioNotifier",
    "TwilioSettings",
]
