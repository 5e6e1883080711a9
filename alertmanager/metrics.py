"""The receiver's own metrics (names fixed by rules/README.md, scraped as chargekeeper-receiver)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector

from alertmanager.notify.errors import FailureReason
from chargekeeper.config.routing import CHANNELS

FAILURE_REASONS: tuple[FailureReason, ...] = (
    "connection",
    "timeout",
    "auth",
    "rejected",
    "invalid_address",
    "rate_limited",
    "provider",
)


class ReceiverMetrics:
    """Counters for deliveries and webhooks, registered in their own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.sent = Counter(
            "chargekeeper_notifications_sent_total",
            "Messages the provider accepted (SMTP relay, SMS API), per channel.",
            ["channel"],
            registry=self.registry,
        )
        self.failed = Counter(
            "chargekeeper_notifications_failed_total",
            "Delivery attempts that failed, each attempt counted, per channel and reason.",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.dead = Counter(
            "chargekeeper_notifications_dead_total",
            "Deliveries given up on (retries exhausted or permanent failure), per channel.",
            ["channel"],
            registry=self.registry,
        )
        self.webhooks = Counter(
            "chargekeeper_receiver_webhooks_total",
            "Webhooks received, by outcome (stored, invalid, unauthorized, store_failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.truncated = Counter(
            "chargekeeper_receiver_truncated_alerts_total",
            "Alerts Alertmanager left out of webhooks (truncatedAlerts).",
            registry=self.registry,
        )
        self.webhook_seconds = Histogram(
            "chargekeeper_receiver_webhook_duration_seconds",
            "Time to store a webhook and answer it.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        # Every label combination exists from the start, so rate() has a zero to start from.
        for channel in CHANNELS:
            self.sent.labels(channel)
            self.dead.labels(channel)
            for reason in FAILURE_REASONS:
                self.failed.labels(channel, reason)
        for outcome in ("stored", "invalid", "unauthorized", "store_failed"):
            self.webhooks.labels(outcome)
