"""What a failed send means: retry later, or give up on this channel."""

from __future__ import annotations

from typing import Literal

# The fixed set of ``reason`` label values of chargekeeper_notifications_failed_total.
FailureReason = Literal[
    "connection", "timeout", "auth", "rejected", "invalid_address", "rate_limited", "provider"
]


class DeliveryError(Exception):
    """A send failed; ``reason`` is a metric label, ``detail`` what the provider said."""

    retryable: bool = True

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: FailureReason = reason
        self.detail = detail


class RetryableDeliveryError(DeliveryError):
    """Worth another attempt later: the provider was unreachable, busy or deferred."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """Retrying the same message to the same address will fail again (bad address, refused)."""

    retryable = False
